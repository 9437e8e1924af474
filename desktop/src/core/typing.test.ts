import { describe, expect, it } from 'vitest';
import { ManualClock } from './testing/manual-clock.ts';
import { TypingSender, TypingTracker } from './typing.ts';

describe('typing sender', () => {
  function setup(enabled = true) {
    const clock = new ManualClock();
    const sent: [number, string, boolean][] = [];
    const t0 = clock.now();
    const sender = new TypingSender(clock, (c, typing) => sent.push([clock.now() - t0, c, typing]), () => enabled, { refreshMs: 5000, idleMs: 3000, expireMs: 15000 });
    return { clock, sent, sender };
  }

  it('sends "typing" at most once per refresh interval while typing', () => {
    const { clock, sent, sender } = setup();
    for (let i = 0; i < 12; i++) {
      sender.keystroke('d:bob');
      clock.advance(1000);
    }
    expect(sent.filter(([, , typing]) => typing).map(([t]) => t)).toEqual([0, 5000, 10000]);
  });

  it('sends "stopped" after the idle time without keystrokes', () => {
    const { clock, sent, sender } = setup();
    sender.keystroke('d:bob');
    clock.advance(2000);
    sender.keystroke('d:bob');
    clock.advance(2999);
    expect(sent).toEqual([[0, 'd:bob', true]]);
    clock.advance(1);
    expect(sent).toEqual([
      [0, 'd:bob', true],
      [5000, 'd:bob', false],
    ]);
  });

  it('stops at once when the message is sent, and starts afresh after', () => {
    const { clock, sent, sender } = setup();
    sender.keystroke('d:bob');
    clock.advance(500);
    sender.stop('d:bob');
    sender.keystroke('d:bob');
    expect(sent).toEqual([
      [0, 'd:bob', true],
      [500, 'd:bob', false],
      [500, 'd:bob', true],
    ]);
    sender.stop('d:carol'); // never typing there: nothing sent
    expect(sent).toHaveLength(3);
  });

  it('sends nothing when typing indicators are off', () => {
    const { clock, sent, sender } = setup(false);
    sender.keystroke('d:bob');
    clock.advance(10_000);
    expect(sent).toEqual([]);
  });
});

describe('disposing (engine closing)', () => {
  it('fires no timer after dispose (regression: "stopped typing" ran on a closed database)', () => {
    const clock = new ManualClock();
    const sent: boolean[] = [];
    const changes: boolean[] = [];
    const timings = { refreshMs: 5000, idleMs: 3000, expireMs: 15000 };
    const sender = new TypingSender(clock, (_c, typing) => sent.push(typing), () => true, timings);
    const tracker = new TypingTracker(clock, (_c, _u, typing) => changes.push(typing), () => true, timings);
    sender.keystroke('d:bob');
    tracker.received('d:bob', 'bob', true);
    sender.dispose();
    tracker.dispose();
    clock.advance(60_000);
    expect(sent).toEqual([true]);
    expect(changes).toEqual([true]);
  });
});

describe('typing tracker (receiving side)', () => {
  function setup(enabled = true) {
    const clock = new ManualClock();
    const changes: string[] = [];
    const tracker = new TypingTracker(clock, (c, u, typing) => changes.push(`${c} ${u} ${typing}`), () => enabled, { refreshMs: 5000, idleMs: 3000, expireMs: 15000 });
    return { clock, changes, tracker };
  }

  it('expires an indicator whose "stopped" never arrived', () => {
    const { clock, changes, tracker } = setup();
    tracker.received('g:x', 'bob', true);
    clock.advance(10_000);
    tracker.received('g:x', 'bob', true); // refresh extends it
    clock.advance(14_999);
    expect(tracker.typingIn('g:x')).toEqual(['bob']);
    clock.advance(1);
    expect(tracker.typingIn('g:x')).toEqual([]);
    expect(changes).toEqual(['g:x bob true', 'g:x bob false']);
  });

  it('tracks several typists and clears one on "stopped" or on their message', () => {
    const { changes, tracker } = setup();
    tracker.received('g:x', 'bob', true);
    tracker.received('g:x', 'carol', true);
    expect(tracker.typingIn('g:x')).toEqual(['bob', 'carol']);
    tracker.received('g:x', 'bob', false);
    tracker.messageReceived('g:x', 'carol');
    expect(tracker.typingIn('g:x')).toEqual([]);
    expect(changes).toHaveLength(4);
  });

  it('shows nothing when typing indicators are off', () => {
    const { tracker } = setup(false);
    tracker.received('g:x', 'bob', true);
    expect(tracker.typingIn('g:x')).toEqual([]);
  });
});
