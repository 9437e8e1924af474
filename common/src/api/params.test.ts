import { describe, expect, it } from 'vitest';
import { MethodParams, parseParams } from './params.ts';

const user = 'a'.repeat(32);

describe('MessengerApi parameter schemas', () => {
  it('accepts well-formed calls', () => {
    expect(parseParams('sendText', { conversationId: `d:${user}`, text: 'hi', replyTo: `${user}:abcdefgh` })).toMatchObject({ text: 'hi' });
    expect(parseParams('getHistory', { conversationId: 'g:abc', before: 'cursor' })).toMatchObject({ before: 'cursor' });
    expect(parseParams('listDevices', undefined)).toEqual({});
    expect(parseParams('updateSettings', { notificationPrivacy: 'count' })).toEqual({ notificationPrivacy: 'count' });
  });

  it('rejects unknown fields, bad ids and contradictory options', () => {
    expect(() => parseParams('sendText', { conversationId: `d:${user}`, text: 'hi', extra: 1 })).toThrow();
    expect(() => parseParams('sendText', { conversationId: 'nope', text: 'hi' })).toThrow();
    expect(() => parseParams('sendText', { conversationId: `d:${user}`, text: '' })).toThrow();
    expect(() => parseParams('getHistory', { conversationId: 'g:abc', before: 'x', after: 'y' })).toThrow(/at most one/);
    expect(() => parseParams('sendAttachment', { conversationId: 'g:abc', name: 'a', mime: 'b' })).toThrow(/exactly one/);
    expect(() => parseParams('updateSettings', { notificationPrivacy: 'loud' })).toThrow();
  });

  it('every method refuses a non-object payload (what a hostile web-host client might send)', () => {
    for (const method of Object.keys(MethodParams) as (keyof typeof MethodParams)[]) {
      for (const bad of ['x', 42, [], true]) expect(() => parseParams(method, bad)).toThrow();
    }
  });
});
