// Automerge actor ids carry their author: hex of "<user id>.<device id>". Every change
// names its actor, so an applier that knows which device DELIVERED a change (from the
// authenticated end-to-end envelope) can require that the two agree — a device cannot
// slip in a change under another device's name.
export interface Author {
  userId: string;
  deviceId: string;
}

export const actorOf = (a: Author): string => Buffer.from(`${a.userId}.${a.deviceId}`, 'utf8').toString('hex');

export function authorOfActor(actor: string): Author | null {
  const text = Buffer.from(actor, 'hex').toString('utf8');
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1) return null;
  return { userId: text.slice(0, dot), deviceId: text.slice(dot + 1) };
}

export const sameAuthor = (a: Author, b: Author | null): boolean => !!b && a.userId === b.userId && a.deviceId === b.deviceId;
