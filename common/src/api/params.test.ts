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

  it('a relay URL is http(s) or ws(s) with a host, wherever one is accepted (regression: ftp:// passed url())', () => {
    for (const ok of ['http://127.0.0.1:8787', 'https://relay.example', 'wss://relay.example/v1/ws', 'ws://[::1]:8787']) {
      expect(parseParams('createAccount', { displayName: 'A', relayUrl: ok })).toMatchObject({ relayUrl: ok });
      expect(parseParams('startDeviceLink', { deviceName: 'A', relayUrl: ok })).toMatchObject({ relayUrl: ok });
      expect(parseParams('updateSettings', { relayUrl: ok })).toEqual({ relayUrl: ok });
    }
    for (const bad of ['ftp://relay.example', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@b.c', 'http://', 'relay.example', '']) {
      expect(() => parseParams('createAccount', { displayName: 'A', relayUrl: bad }), bad).toThrow();
      expect(() => parseParams('startDeviceLink', { deviceName: 'A', relayUrl: bad }), bad).toThrow();
      expect(() => parseParams('updateSettings', { relayUrl: bad }), bad).toThrow();
    }
  });

  it('every method refuses a non-object payload (what a hostile web-host client might send)', () => {
    for (const method of Object.keys(MethodParams) as (keyof typeof MethodParams)[]) {
      for (const bad of ['x', 42, [], true]) expect(() => parseParams(method, bad)).toThrow();
    }
  });
});
