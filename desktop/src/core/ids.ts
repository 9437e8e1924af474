// Identifiers the core mints or parses. A message is known on every device by
// `<sender user id>:<client message id>`: both travel inside the E2E message, so replies,
// reactions and receipts can name a message no matter which device stored it.
import { randomBytes } from 'node:crypto';

export const newClientMsgId = (): string => randomBytes(16).toString('base64url');
export const newGroupId = (): string => randomBytes(16).toString('base64url');

export const messageIdOf = (senderUserId: string, clientMsgId: string): string => `${senderUserId}:${clientMsgId}`;

export function parseMessageId(id: string): { senderUserId: string; clientMsgId: string } {
  const i = id.indexOf(':');
  if (i <= 0 || i === id.length - 1) throw new Error(`not a message id: ${id}`);
  return { senderUserId: id.slice(0, i), clientMsgId: id.slice(i + 1) };
}

export const directConversationId = (peerUserId: string): string => `d:${peerUserId}`;
export const groupConversationId = (groupId: string): string => `g:${groupId}`;
