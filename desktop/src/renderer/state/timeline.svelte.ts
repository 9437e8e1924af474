// The loaded window of one conversation's history. Pages come from getHistory with
// before/after cursors; the window holds at most MAX_LOADED messages and drops the far
// end when it grows (setting hasNewer/hasOlder again), so scrolling through 100,000
// messages keeps memory and layout work bounded.
import type { ConversationId, Message, MessengerApi, MessengerEvent } from '@parley/common/api/index';

const PAGE = 100;
const MAX_LOADED = 1500;

export class Timeline {
  messages = $state<Message[]>([]);
  hasOlder = $state(false);
  hasNewer = $state(false);
  loading = $state(false);
  /** The first page has arrived (the list scrolls to the newest message once). */
  ready = $state(false);

  constructor(
    private readonly api: MessengerApi,
    readonly conversationId: ConversationId,
  ) {}

  async loadNewest(): Promise<void> {
    this.loading = true;
    try {
      const page = await this.api.getHistory({ conversationId: this.conversationId, limit: PAGE });
      this.messages = page.messages;
      this.hasOlder = page.hasMore;
      this.hasNewer = false;
    } finally {
      this.loading = false;
      this.ready = true;
    }
  }

  async loadOlder(): Promise<void> {
    if (this.loading || !this.hasOlder || this.messages.length === 0) return;
    this.loading = true;
    try {
      const page = await this.api.getHistory({ conversationId: this.conversationId, before: this.messages[0].cursor, limit: PAGE });
      let next = [...page.messages, ...this.messages];
      if (next.length > MAX_LOADED) {
        next = next.slice(0, MAX_LOADED);
        this.hasNewer = true;
      }
      this.messages = next;
      this.hasOlder = page.hasMore;
    } finally {
      this.loading = false;
    }
  }

  async loadNewer(): Promise<void> {
    if (this.loading || !this.hasNewer || this.messages.length === 0) return;
    this.loading = true;
    try {
      const page = await this.api.getHistory({ conversationId: this.conversationId, after: this.messages[this.messages.length - 1].cursor, limit: PAGE });
      let next = [...this.messages, ...page.messages];
      if (next.length > MAX_LOADED) {
        next = next.slice(next.length - MAX_LOADED);
        this.hasOlder = true;
      }
      this.messages = next;
      this.hasNewer = page.hasMore;
    } finally {
      this.loading = false;
    }
  }

  byId(id: string): Message | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Applies a core event; returns true when a new message arrived at the live end. */
  apply(e: MessengerEvent): boolean {
    if (e.type === 'message.added' && e.message.conversationId === this.conversationId) {
      // While the window is away from the newest messages, the newcomer is fetched when scrolled to.
      if (this.hasNewer) return false;
      if (this.messages.some((m) => m.id === e.message.id)) return false;
      const next = [...this.messages, e.message];
      next.sort((a, b) => a.sentAt - b.sentAt);
      this.messages = next;
      return true;
    }
    if (e.type === 'message.updated' && e.message.conversationId === this.conversationId) {
      this.messages = this.messages.map((m) => (m.id === e.message.id ? e.message : m));
    }
    if (e.type === 'message.status' && e.conversationId === this.conversationId) {
      this.messages = this.messages.map((m) => (m.id === e.messageId ? { ...m, status: e.status } : m));
    }
    return false;
  }
}
