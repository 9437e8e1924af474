// The desktop client engine's local-first foundation: plain Node, no Electron. The
// relay connection and crypto are wired on top of these modules (see docs/desktop-core.md).
export { openProfile, type LocalProfile } from './profile.ts';
export { openDatabase, type Db } from './db/database.ts';
export { DatabaseVersionError, MigrationError, migrate, schemaVersion, type Migration } from './db/migrate.ts';
export { MIGRATIONS } from './db/migrations/index.ts';
export { systemClock, type Clock } from './clock.ts';
export * from './ids.ts';
export { SecretBoxError, type SecretBox, type SecretBoxKind } from './secrets/secret-box.ts';
export { openKeyFileBox, KEY_FILE } from './secrets/key-file-box.ts';
export { SecretStore } from './secrets/secret-store.ts';
export { ConversationStore, ConversationNotFoundError, type ConversationFlags } from './store/conversation-store.ts';
export { MessageStore, MessageNotFoundError, type NewIncoming, type NewOutgoing } from './store/message-store.ts';
export { decodeCursor, encodeCursor, CursorError } from './store/cursor.ts';
export { searchMessages, type SearchOptions } from './store/search.ts';
export { DraftStore } from './store/draft-store.ts';
export { SettingsStore, DEFAULT_SETTINGS } from './store/settings-store.ts';
export { DocumentStore, ACCOUNT_DOC_ID, groupDocId } from './store/document-store.ts';
export { RelayCursor } from './store/relay-cursor.ts';
export { Outbox, backoffDelay, DEFAULT_OUTBOX_POLICY, type OutboxItem, type OutboxTransport, type OutboxPolicy, type SendOutcome } from './outbox.ts';
export { AccountDoc, type ContactEntry, type DraftEntry } from './docs/account-doc.ts';
export { GroupDoc, GroupDocError, foldMembers, checkGroupChange, type LogEntry, type ApplyResult } from './docs/group-doc.ts';
export { actorOf, authorOfActor, type Author } from './docs/actor.ts';
export { encodeChangeBatch, decodeChangeBatch } from './docs/change-batch.ts';
export { decideNotification, type NotificationInput, type NotificationDecision } from './notification-policy.ts';
export { TypingSender, TypingTracker, DEFAULT_TYPING_TIMINGS } from './typing.ts';
export { formatPresence, relayVisibility, sharePresenceWith, visiblePresence } from './presence.ts';
