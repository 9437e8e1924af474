// The loaded window of one conversation's history. Pages come from getHistory with
// before/after cursors; the window holds at most MAX_LOADED messages and drops the far
// end when it grows (setting hasNewer/hasOlder again), so scrolling through 100,000
// messages keeps memory and layout work bounded. `loadAround` opens the window at any
// message (a search hit far back in history) instead of at the newest page.
import type { ConversationId, Message, MessengerApi, MessengerEvent } from '@parley/common/api/index';

const PAGE = 100;
/** Messages loaded on each side of a jump target. */
const AROUND = 50;
const MAX_LOADED = 1500;

export class Timeline {
  /** Replaced, never mutated in place: raw state, so 1,500 messages are not each wrapped in a deep proxy. */
  messages = $state.raw<Message[]>([]);
  hasOlder = $state(false);
  hasNewer = $state(false);
  loading = $state(false);
  /** The first page has arrived (the list scrolls to the newest message once). */
  ready = $state(false);
  /** A message to scroll to and highlight (set by loadAround; `seq` tells repeated jumps apart). */
  focus = $state<{ messageId: string; seq: number } | null>(null);
  private focusSeq = 0;
  /** Bumped when the window is replaced (newest page, jump): pages still in flight for the old window are dropped. */
  private generation = 0;

  constructor(
    private readonly api: MessengerApi,
    readonly conversationId: ConversationId,
  ) {}

  async loadNewest(): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const page = await this.api.getHistory({ conversationId: this.conversationId, limit: PAGE });
      if (gen !== this.generation) return;
      this.messages = page.messages;
      this.hasOlder = page.hasMore;
      this.hasNewer = false;
    } finally {
      if (gen === this.generation) this.loading = false;
      this.ready = true;
    }
  }

  /**
   * Loads the window around one message (by its history cursor): up to AROUND older and
   * AROUND newer, so scrolling either way pages on from there; then asks the list to
   * scroll to it. Cursors name a position, and pages exclude it, so the target itself is
   * fetched as the first message after the page before it.
   */
  async loadAround(messageId: string, cursor: string): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const conversationId = this.conversationId;
      const older = await this.api.getHistory({ conversationId, before: cursor, limit: AROUND });
      let from: Message[];
      let hasNewer: boolean;
      if (older.messages.length > 0) {
        const page = await this.api.getHistory({ conversationId, after: older.messages[older.messages.length - 1].cursor, limit: AROUND + 1 });
        from = page.messages;
        hasNewer = page.hasMore;
      } else {
        // The target is the first message of the conversation: take it from before the page after it.
        const newer = await this.api.getHistory({ conversationId, after: cursor, limit: AROUND });
        const self = newer.messages.length
          ? await this.api.getHistory({ conversationId, before: newer.messages[0].cursor, limit: 1 })
          : await this.api.getHistory({ conversationId, limit: 1 });
        from = [...self.messages, ...newer.messages];
        hasNewer = newer.hasMore;
      }
      if (gen !== this.generation) return;
      this.messages = [...older.messages, ...from];
      this.hasOlder = older.hasMore;
      this.hasNewer = hasNewer;
      if (this.messages.some((m) => m.id === messageId)) this.focus = { messageId, seq: ++this.focusSeq };
    } finally {
      if (gen === this.generation) this.loading = false;
      this.ready = true;
    }
  }

  async loadOlder(): Promise<void> {
    if (this.loading || !this.hasOlder || this.messages.length === 0) return;
    const gen = this.generation;
    this.loading = true;
    try {
      const page = await this.api.getHistory({ conversationId: this.conversationId, before: this.messages[0].cursor, limit: PAGE });
      if (gen !== this.generation) return;
      let next = [...page.messages, ...this.messages];
      if (next.length > MAX_LOADED) {
        next = next.slice(0, MAX_LOADED);
        this.hasNewer = true;
      }
      this.messages = next;
      this.hasOlder = page.hasMore;
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  async loadNewer(): Promise<void> {
    if (this.loading || !this.hasNewer || this.messages.length === 0) return;
    const gen = this.generation;
    this.loading = true;
    try {
      const page = await this.api.getHistory({ conversationId: this.conversationId, after: this.messages[this.messages.length - 1].cursor, limit: PAGE });
      if (gen !== this.generation) return;
      let next = [...this.messages, ...page.messages];
      if (next.length > MAX_LOADED) {
        next = next.slice(next.length - MAX_LOADED);
        this.hasOlder = true;
      }
      this.messages = next;
      this.hasNewer = page.hasMore;
    } finally {
      if (gen === this.generation) this.loading = false;
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
