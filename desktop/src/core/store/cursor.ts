// History cursors: the ordering key of one message, opaque to the UI. Because the key
// is (sender clock, sender user id, client message id) — the same on every device — a
// cursor stays meaningful across restarts and while new messages arrive in between.
export interface OrderKey {
  clock: number;
  sender: string;
  clientMsgId: string;
}

export const encodeCursor = (k: OrderKey): string => Buffer.from(JSON.stringify([k.clock, k.sender, k.clientMsgId])).toString('base64url');

export function decodeCursor(cursor: string): OrderKey {
  try {
    const [clock, sender, clientMsgId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof clock === 'number' && typeof sender === 'string' && typeof clientMsgId === 'string') return { clock, sender, clientMsgId };
  } catch {
    // fall through
  }
  throw new CursorError();
}

export class CursorError extends Error {
  readonly code = 'bad_params';
  constructor() {
    super('That history cursor is not valid; reload the conversation.');
    this.name = 'CursorError';
  }
}
