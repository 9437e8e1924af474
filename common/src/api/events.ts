// The event stream the core pushes to the UI. One discriminated union, JSON only, so the
// preload and the web host forward it verbatim.
import type {
  ConnectionStatus,
  Conversation,
  ConversationId,
  Draft,
  Message,
  MessageId,
  MessageStatus,
  Presence,
} from './model.ts';

export type MessengerEvent =
  | { type: 'message.added'; message: Message }
  | { type: 'message.updated'; message: Message }
  | { type: 'message.status'; messageId: MessageId; conversationId: ConversationId; status: MessageStatus }
  | { type: 'conversation.updated'; conversation: Conversation }
  | { type: 'conversation.removed'; conversationId: ConversationId }
  | { type: 'typing'; conversationId: ConversationId; userId: string; typing: boolean }
  | { type: 'presence'; presence: Presence }
  | { type: 'connection'; status: ConnectionStatus }
  /** A contact's identity key changed: show the safety-number warning. */
  | { type: 'key.changed'; userId: string; conversationIds: ConversationId[]; at: number }
  | { type: 'draft.changed'; draft: Draft }
  | { type: 'link.request'; requestId: string; deviceName: string; verificationWords: string }
  | { type: 'devices.changed' };

export type MessengerEventType = MessengerEvent['type'];
