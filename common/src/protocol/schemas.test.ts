import { describe, expect, it } from 'vitest';
import { ClientFrame, ServerFrame, SendFrame } from './schemas.ts';

const device = 'abcdefghijklmnop';
const user = 'abcdefghijklmnopqrstuvwxyz234567';

describe('client frames', () => {
  it('accepts each well-formed frame', () => {
    const frames = [
      { t: 'auth', device, ts: 1, sig: 'A'.repeat(86), after: 5 },
      { t: 'send', cid: 'abcdefgh', to: [{ d: device, b: 'AAAA' }], check: [user] },
      { t: 'send', cid: 'abcdefgh', fanout: { users: [user], b: 'AAAA' } },
      { t: 'ack', upTo: 10 },
      { t: 'eph', to: [{ d: device, b: 'AA' }] },
      { t: 'presence.sub', users: [user] },
      { t: 'presence.set', visibility: 'nobody' },
      { t: 'ping', n: 1 },
      { t: 'pong' },
    ];
    for (const f of frames) expect(ClientFrame.safeParse(f).success, JSON.stringify(f)).toBe(true);
  });

  it('rejects unknown types, extra fields, wrong id shapes and non-base64url bytes', () => {
    const bad = [
      {},
      { t: 'nope' },
      { t: 'ack', upTo: -1 },
      { t: 'ack', upTo: 1.5 },
      { t: 'ack', upTo: 1, extra: true },
      { t: 'send', cid: 'short', to: [{ d: device, b: 'AAAA' }] },
      { t: 'send', cid: 'abcdefgh', to: [{ d: 'UPPERCASEDEVICE1', b: 'AAAA' }] },
      { t: 'send', cid: 'abcdefgh', to: [{ d: device, b: 'AA==' }] },
      { t: 'send', cid: 'abcdefgh', to: [] },
      { t: 'send', cid: 'abcdefgh' },
      { t: 'presence.set', visibility: 'contacts' },
      { t: 'auth', device, ts: 1, sig: 'short' },
      null,
      'send',
      42,
    ];
    for (const f of bad) expect(ClientFrame.safeParse(f).success, JSON.stringify(f)).toBe(false);
  });

  it('bounds recipients and payload size', () => {
    const many = Array.from({ length: 2049 }, () => ({ d: device, b: 'AAAA' }));
    expect(SendFrame.safeParse({ t: 'send', cid: 'abcdefgh', to: many }).success).toBe(false);
    expect(SendFrame.safeParse({ t: 'send', cid: 'abcdefgh', to: [{ d: device, b: 'A'.repeat(256 * 1024 + 4) }] }).success).toBe(false);
  });
});

describe('server frames', () => {
  it('accepts deliveries and errors carrying device lists', () => {
    expect(ServerFrame.safeParse({ t: 'deliver', m: [{ s: 1, b: 'AAAA', ts: 2 }] }).success).toBe(true);
    expect(ServerFrame.safeParse({ t: 'error', code: 'stale_devices', message: 'x', ref: 'abcdefgh', lists: [] }).success).toBe(true);
    expect(ServerFrame.safeParse({ t: 'sent', cid: 'abcdefgh', seqs: [{ d: device, s: 3 }], ts: 1, dup: true }).success).toBe(true);
  });
});
