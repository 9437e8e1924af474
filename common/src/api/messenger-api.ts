// MessengerApi: everything the UI may ask of the client engine, and nothing else. The
// core implements it in Node; the Electron preload exposes it through contextBridge and
// the web host over a local WebSocket, so every parameter and result is plain JSON and
// every method returns a Promise (both transports are asynchronous). Parameters are
// validated at those boundaries with the schemas in params.ts.
import type { MessengerEvent } from './events.ts';
import type {
  Account,
  AttachmentData,
  ConnectionStatus,
  Contact,
  Conversation,
  Device,
  Draft,
  GroupInfo,
  Invite,
  LinkCode,
  LinkRequest,
  Message,
  MessagePage,
  SafetyNumber,
  SearchHit,
  Settings,
} from './model.ts';
import type { MethodName, ParamsOf } from './params.ts';

type P<M extends MethodName> = ParamsOf<M>;

export interface MessengerApi {
  // Onboarding and devices
  /** Null until an account exists on this profile (show onboarding). */
  getAccount(p: P<'getAccount'>): Promise<Account | null>;
  createAccount(p: P<'createAccount'>): Promise<Account>;
  /** On the NEW device: returns the code/QR to show; resolves the account later via events. */
  startDeviceLink(p: P<'startDeviceLink'>): Promise<LinkCode>;
  /**
   * On the NEW device: the user gave up on the code shown. It stops working here at once
   * and its relay mailbox is retired, so approving it later fails (link_expired) without
   * adding a device. Resolves when done, or after a few seconds offline (the retirement is
   * retried at the next start). Nothing pending: resolves at once.
   */
  cancelDeviceLink(p: P<'cancelDeviceLink'>): Promise<void>;
  /** On the EXISTING device: decode a scanned/typed code and show what would be approved. */
  inspectLinkCode(p: P<'inspectLinkCode'>): Promise<LinkRequest>;
  approveLink(p: P<'approveLink'>): Promise<Device>;
  listDevices(p: P<'listDevices'>): Promise<Device[]>;
  unlinkDevice(p: P<'unlinkDevice'>): Promise<void>;

  // Contacts
  getInvite(p: P<'getInvite'>): Promise<Invite>;
  addContactByInvite(p: P<'addContactByInvite'>): Promise<Contact>;
  listContacts(p: P<'listContacts'>): Promise<Contact[]>;
  getSafetyNumber(p: P<'getSafetyNumber'>): Promise<SafetyNumber>;
  setContactVerified(p: P<'setContactVerified'>): Promise<Contact>;

  // Conversations and groups
  listConversations(p: P<'listConversations'>): Promise<Conversation[]>;
  openDirect(p: P<'openDirect'>): Promise<Conversation>;
  createGroup(p: P<'createGroup'>): Promise<Conversation>;
  getGroup(p: P<'getGroup'>): Promise<GroupInfo>;
  renameGroup(p: P<'renameGroup'>): Promise<GroupInfo>;
  addGroupMembers(p: P<'addGroupMembers'>): Promise<GroupInfo>;
  removeGroupMember(p: P<'removeGroupMember'>): Promise<GroupInfo>;
  setGroupRole(p: P<'setGroupRole'>): Promise<GroupInfo>;
  leaveGroup(p: P<'leaveGroup'>): Promise<void>;
  setConversationFlags(p: P<'setConversationFlags'>): Promise<Conversation>;

  // Messages
  /** Stored at once with status 'pending' and returned; sending happens in the outbox. */
  sendText(p: P<'sendText'>): Promise<Message>;
  /** emoji null removes this user's reaction. */
  react(p: P<'react'>): Promise<Message>;
  sendAttachment(p: P<'sendAttachment'>): Promise<Message>;
  /** Downloads and verifies on demand; returns the updated message (attachment state). */
  downloadAttachment(p: P<'downloadAttachment'>): Promise<Message>;
  /**
   * The bytes of a downloaded (or own) attachment, for the full-size viewer and "Save":
   * the whole file, or with `offset` and `length` (at most MAX_READ_ATTACHMENT_BYTES) that
   * part of it, so files of any size are read in parts. Refused with
   * attachment_not_downloaded before a download, attachment_missing when the saved file is
   * gone or changed, attachment_too_large for a whole-file read over
   * MAX_READ_ATTACHMENT_BYTES, bad_params for an offset past the end.
   */
  readAttachment(p: P<'readAttachment'>): Promise<AttachmentData>;
  getHistory(p: P<'getHistory'>): Promise<MessagePage>;
  markRead(p: P<'markRead'>): Promise<void>;
  /** Puts a failed message back into the outbox with a fresh attempt budget. */
  retryMessage(p: P<'retryMessage'>): Promise<Message>;
  /** Called on every keystroke; the core debounces what goes on the wire. */
  setTyping(p: P<'setTyping'>): Promise<void>;

  // Drafts
  getDraft(p: P<'getDraft'>): Promise<Draft | null>;
  setDraft(p: P<'setDraft'>): Promise<Draft>;

  // Search
  search(p: P<'search'>): Promise<SearchHit[]>;

  // Settings and connection
  getSettings(p: P<'getSettings'>): Promise<Settings>;
  updateSettings(p: P<'updateSettings'>): Promise<Settings>;
  getConnectionStatus(p: P<'getConnectionStatus'>): Promise<ConnectionStatus>;

  /** Subscribes to the event stream; returns the unsubscribe function. */
  subscribe(listener: (event: MessengerEvent) => void): () => void;
}

/** Every callable method (all but subscribe), for transports that dispatch by name. */
export type MessengerMethod = Exclude<keyof MessengerApi, 'subscribe'>;
export type MessengerResult<M extends MessengerMethod> = Awaited<ReturnType<MessengerApi[M]>>;

// Keeps params.ts and this interface in step: a method added to one but not the other
// fails to typecheck here.
type _SameMethods = [MessengerMethod] extends [MethodName] ? ([MethodName] extends [MessengerMethod] ? true : never) : never;
export const _methodsInStep: _SameMethods = true;

/** The message envelope a transport (web host WebSocket) uses to carry calls and events. */
export type ApiWireFrame =
  | { t: 'call'; id: number; method: MessengerMethod; params: unknown }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { t: 'event'; event: MessengerEvent };
