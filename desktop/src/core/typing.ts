// Typing indicators. Sending side: the composer reports every keystroke; on the wire
// goes "typing" at most once per `refreshMs` while the user keeps typing, and "stopped"
// after `idleMs` without a keystroke (or at once when the message is sent or the field
// cleared). Receiving side: an indicator expires `expireMs` after the last "typing" even
// if "stopped" is lost (ephemeral frames are never stored or retried), so it must exceed
// refreshMs. Both honour the typing-indicators setting: off means neither sent nor shown.
import type { Clock } from './clock.ts';

export interface TypingTimings {
  refreshMs: number;
  idleMs: number;
  expireMs: number;
}

export const DEFAULT_TYPING_TIMINGS: TypingTimings = { refreshMs: 5_000, idleMs: 5_000, expireMs: 15_000 };

export class TypingSender {
  private state = new Map<string, { lastSentAt: number; idleTimer: unknown }>();

  constructor(
    private readonly clock: Clock,
    private readonly send: (conversationId: string, typing: boolean) => void,
    private readonly enabled: () => boolean = () => true,
    private readonly timings: TypingTimings = DEFAULT_TYPING_TIMINGS,
  ) {}

  /** A keystroke (or any edit) in a conversation's composer. */
  keystroke(conversationId: string): void {
    if (!this.enabled()) return;
    const now = this.clock.now();
    let s = this.state.get(conversationId);
    if (!s) {
      s = { lastSentAt: -Infinity, idleTimer: null };
      this.state.set(conversationId, s);
    }
    if (now - s.lastSentAt >= this.timings.refreshMs) {
      s.lastSentAt = now;
      this.send(conversationId, true);
    }
    if (s.idleTimer !== null) this.clock.clearTimeout(s.idleTimer);
    s.idleTimer = this.clock.setTimeout(() => this.stop(conversationId), this.timings.idleMs);
  }

  /** The message was sent, the draft cleared or the conversation left: stop now. */
  stop(conversationId: string): void {
    const s = this.state.get(conversationId);
    if (!s) return;
    if (s.idleTimer !== null) this.clock.clearTimeout(s.idleTimer);
    this.state.delete(conversationId);
    this.send(conversationId, false);
  }

  /** Cancels every pending idle timer without sending anything (the engine is closing). */
  dispose(): void {
    for (const s of this.state.values()) if (s.idleTimer !== null) this.clock.clearTimeout(s.idleTimer);
    this.state.clear();
  }
}

export class TypingTracker {
  private timers = new Map<string, unknown>();
  private typing = new Map<string, Set<string>>();

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (conversationId: string, userId: string, typing: boolean) => void,
    private readonly enabled: () => boolean = () => true,
    private readonly timings: TypingTimings = DEFAULT_TYPING_TIMINGS,
  ) {}

  /** An ephemeral typing frame from a peer. */
  received(conversationId: string, userId: string, typing: boolean): void {
    if (!this.enabled()) return;
    if (typing) this.start(conversationId, userId);
    else this.clear(conversationId, userId);
  }

  /** A message from the user arrived: whatever they were typing is now sent. */
  messageReceived(conversationId: string, userId: string): void {
    this.clear(conversationId, userId);
  }

  typingIn(conversationId: string): string[] {
    return [...(this.typing.get(conversationId) ?? [])].sort();
  }

  private start(conversationId: string, userId: string): void {
    const key = `${conversationId}\n${userId}`;
    const old = this.timers.get(key);
    if (old !== undefined) this.clock.clearTimeout(old);
    this.timers.set(key, this.clock.setTimeout(() => this.clear(conversationId, userId), this.timings.expireMs));
    const set = this.typing.get(conversationId) ?? new Set<string>();
    this.typing.set(conversationId, set);
    if (!set.has(userId)) {
      set.add(userId);
      this.onChange(conversationId, userId, true);
    }
  }

  private clear(conversationId: string, userId: string): void {
    const key = `${conversationId}\n${userId}`;
    const timer = this.timers.get(key);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.timers.delete(key);
    const set = this.typing.get(conversationId);
    if (set?.delete(userId)) this.onChange(conversationId, userId, false);
  }

  /** Cancels every expiry timer without emitting anything (the engine is closing). */
  dispose(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.typing.clear();
  }
}
