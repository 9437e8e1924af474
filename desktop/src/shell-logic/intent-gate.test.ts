import { describe, expect, it } from 'vitest';
import { IntentGate } from './intent-gate.ts';

describe('IntentGate', () => {
  it('keeps intents pushed before the UI listens and hands them over in order when it does', () => {
    const gate = new IntentGate<string>();
    gate.push('link at launch');
    gate.push('second link');
    const seen: string[] = [];
    gate.open((i) => seen.push(i));
    expect(seen).toEqual(['link at launch', 'second link']);
    gate.push('live');
    expect(seen).toEqual(['link at launch', 'second link', 'live']);
  });

  it('keeps intents again while the UI is away (reload, page closed), delivering each once', () => {
    const gate = new IntentGate<string>();
    const first: string[] = [];
    gate.open((i) => first.push(i));
    gate.push('a');
    gate.close();
    expect(gate.isOpen).toBe(false);
    gate.push('b');
    const second: string[] = [];
    gate.open((i) => second.push(i));
    expect(first).toEqual(['a']);
    expect(second).toEqual(['b']);
  });

  it('keeps at most its limit while nobody listens: the first ones', () => {
    const gate = new IntentGate<number>(3);
    for (let i = 0; i < 10; i++) gate.push(i);
    const seen: number[] = [];
    gate.open((i) => seen.push(i));
    expect(seen).toEqual([0, 1, 2]);
  });
});
