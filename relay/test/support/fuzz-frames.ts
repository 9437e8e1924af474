// WebSocket frames for the bad-input fuzz test: random text and bytes, random JSON, valid
// frames with mutated fields, types and lengths, raw-text edits (truncation, duplicate
// keys, __proto__), deep nesting, oversized and binary frames, unknown types. Each frame
// comes with what the relay must do with it, predicted from the same schema the relay
// uses: `error` means it must answer with an error frame at once (never drop it silently).
import { ClientFrame } from '@parley/common/protocol';
import type { Rng } from './fuzz-rng.ts';

export interface FrameContext {
  /** The fuzzing device (for `auth` templates). */
  self: string;
  /** Registered devices and users the valid templates address. */
  devices: string[];
  users: string[];
  maxFrameBytes: number;
}

export type FrameCase =
  | { kind: 'text'; data: string; expect: 'error' | 'any' }
  | { kind: 'binary'; data: Uint8Array; expect: 'error' }
  /** Ends the socket: invalid UTF-8 (1007) or above the 1 MiB hard ceiling (1009). */
  | { kind: 'fatal'; data: Buffer; binary: false; closeCode: number };

const TYPES = ['auth', 'send', 'ack', 'eph', 'presence.sub', 'presence.set', 'ping', 'pong', 'sent', 'deliver', 'challenge', 'ready', 'error', 'Send', 'SEND', 'send ', ''];

function validFrame(rng: Rng, ctx: FrameContext, authed: boolean): Record<string, unknown> {
  const b = () => rng.b64url(rng.pick([2, 3, 4, 8, 44, 136, 500, 2000]));
  const cid = () => rng.b64url(8 + rng.int(57));
  const device = () => rng.pick(ctx.devices);
  switch (rng.int(authed ? 9 : 8)) {
    case 0:
      return { t: 'send', cid: cid(), to: Array.from({ length: 1 + rng.int(3) }, () => ({ d: device(), b: b() })) };
    case 1:
      return { t: 'send', cid: cid(), fanout: { users: [rng.pick(ctx.users)], b: b() } };
    case 2:
      return { t: 'send', cid: cid(), to: [{ d: device(), b: b() }], check: [rng.pick(ctx.users)] };
    case 3:
      return { t: 'ack', upTo: rng.chance(0.5) ? rng.int(100) : rng.nastyNumber() };
    case 4:
      return { t: 'eph', to: [{ d: device(), b: b() }] };
    case 5:
      return { t: 'presence.sub', users: ctx.users.slice(0, rng.int(ctx.users.length + 1)) };
    case 6:
      return { t: 'presence.set', visibility: rng.pick(['everyone', 'nobody']) };
    case 7:
      return rng.chance(0.5) ? { t: 'ping', n: rng.int(1e6) } : { t: 'pong' };
    default:
      return { t: 'auth', device: ctx.self, ts: Date.now(), sig: rng.b64url(86) };
  }
}

/** Every [parent, key] of a JSON value, for picking a place to mutate. */
function slots(value: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([value, i]), slots(v, out)));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) out.push([value as Record<string, unknown>, k]), slots((value as Record<string, unknown>)[k], out);
  return out;
}

function corruptString(rng: Rng, s: string): string {
  switch (rng.int(7)) {
    case 0:
      return s + rng.pick(['+', '/', '=', '==', ' ', '\n', '.', 'é', '\u0000']);
    case 1:
      return s + 'A'.repeat((((1 - s.length) % 4) + 4) % 4); // a length no base64url string can have
    case 2:
      return '';
    case 3:
      return s.repeat(Math.min(2 + rng.int(200), Math.ceil(200_000 / (s.length + 1))));
    case 4:
      return s.toUpperCase();
    case 5:
      return rng.anyString(40);
    default:
      return s.slice(0, rng.int(s.length + 1));
  }
}

/** Applies one structural mutation somewhere inside `root` (returns the new root). */
export function mutate(rng: Rng, root: unknown): unknown {
  const places = slots(root);
  if (places.length === 0 || rng.chance(0.05)) return rng.chance(0.5) ? [root] : rng.json();
  const [parent, key] = rng.pick(places);
  const current = (parent as Record<string | number, unknown>)[key];
  const set = (v: unknown) => Object.defineProperty(parent, key, { value: v, enumerable: true, configurable: true, writable: true });
  switch (rng.int(9)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, unknown>)[key];
      break;
    case 1:
      set(rng.json(2));
      break;
    case 2:
      set(rng.nastyNumber());
      break;
    case 3:
      set(typeof current === 'string' ? corruptString(rng, current) : rng.anyString());
      break;
    case 4: {
      // Long arrays (past maxRecipients and maxUsers), kept below ~1 MB of JSON. Sized by the
      // whole frame, not `current`: earlier copies share references, so `current` may occur
      // many times in the frame and copying it multiplies (regression: a compounded mutation
      // once outgrew the largest string V8 can build).
      const size = (JSON.stringify(root) ?? '').length + 1;
      const count = Math.min(rng.pick([0, 2, 17, 1025, 2049]), Math.floor(1_000_000 / size));
      set(Array.from({ length: count }, () => current));
      break;
    }
    case 5:
      if (!Array.isArray(parent)) Object.defineProperty(parent, rng.nastyKey(), { value: rng.json(1), enumerable: true, configurable: true, writable: true });
      break;
    case 6:
      set([current]);
      break;
    case 7:
      set(typeof current === 'number' ? String(current) : typeof current === 'string' && /^\d+$/.test(current) ? Number(current) : { value: current });
      break;
    default:
      if (key === 't' || rng.chance(0.3)) set(rng.pick(TYPES));
      else set(null);
  }
  return root;
}

/** Edits of the JSON text itself: what structural mutation cannot express. */
function mutateText(rng: Rng, s: string): string {
  switch (rng.int(7)) {
    case 0:
      return s.slice(0, rng.int(s.length));
    case 1: {
      const i = rng.int(s.length + 1);
      return s.slice(0, i) + rng.pick(['"', '{', '}', '[', ']', ',', ':', '\\', '\\u', '\u0000', '\ud800', 'NaN', 'Infinity', '1e999', '-', ' ']) + s.slice(i);
    }
    case 2:
      return s.startsWith('{') ? `{"__proto__":${JSON.stringify(rng.json(2))},` + s.slice(1) : s;
    case 3:
      return s.startsWith('{') ? `{"t":"${rng.pick(TYPES)}",` + s.slice(1) : s; // duplicate key
    case 4:
      return s.startsWith('{') ? s.slice(0, -1) + `,"constructor":{"prototype":{"polluted":true}},"__proto__":{"t":"ack","upTo":1}}` : s;
    case 5:
      return s.replace(/\d+/, rng.pick(['1e999', '-1e999', '9'.repeat(400), '0x10', '01', '1.0e+3', '-0']));
    default:
      return ' \t\n' + s + ' \n';
  }
}

function deepNesting(rng: Rng, maxBytes: number): string {
  const depth = rng.pick([64, 1000, 10_000, Math.floor(maxBytes / 2) - 20]);
  switch (rng.int(3)) {
    case 0:
      return '['.repeat(depth) + ']'.repeat(depth);
    case 1:
      return '{"a":'.repeat(Math.floor(depth / 5)) + '1' + '}'.repeat(Math.floor(depth / 5));
    default:
      return `{"t":"send","cid":"abcdefgh","to":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  }
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** What the relay must do with a text frame, by the relay's own rules and schema. */
export function predict(data: string, authed: boolean, maxFrameBytes: number): 'error' | 'any' | 'auth' {
  if (utf8Length(data) > maxFrameBytes) return 'error';
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return 'error';
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) return 'error';
  const t = parsed.data.t;
  if (!authed) return t === 'auth' ? 'auth' : t === 'ping' || t === 'pong' ? 'any' : 'error';
  return t === 'auth' ? 'error' : 'any';
}

export function nextFrame(rng: Rng, ctx: FrameContext, authed: boolean): FrameCase {
  for (;;) {
    const r = rng.float();
    let data: string;
    if (r < 0.1) data = rng.anyString(2000);
    else if (r < 0.15) data = Buffer.from(rng.bytes(rng.length(3000))).toString('latin1');
    else if (r < 0.25) data = JSON.stringify(rng.json(4)) ?? 'null';
    else if (r < 0.68) {
      let f: unknown = validFrame(rng, ctx, authed);
      for (let i = 1 + rng.int(3); i > 0; i--) f = mutate(rng, f);
      data = JSON.stringify(f) ?? 'undefined';
    } else if (r < 0.76) data = mutateText(rng, JSON.stringify(validFrame(rng, ctx, authed)));
    else if (r < 0.84) data = JSON.stringify(validFrame(rng, ctx, authed));
    else if (r < 0.88) return { kind: 'binary', data: rng.bytes(rng.length(5000)), expect: 'error' };
    else if (r < 0.91) data = deepNesting(rng, ctx.maxFrameBytes);
    else if (r < 0.94) data = `{"t":"send","cid":"abcdefgh","to":[{"d":"${ctx.devices[0]}","b":"${'A'.repeat(ctx.maxFrameBytes + rng.int(ctx.maxFrameBytes))}"}]}`;
    else if (r < 0.97) data = JSON.stringify({ ...validFrame(rng, ctx, authed), t: rng.anyString(10) });
    else if (r < 0.985) data = JSON.stringify(rng.pick([[], {}, null, 0, '', true, [{ t: 'ping' }], { t: null }, { T: 'ping' }]));
    else if (r < 0.995) {
      // Invalid UTF-8 in a text frame: the WebSocket layer must close with 1007.
      const bytes = Buffer.from(rng.bytes(1 + rng.int(64)));
      bytes[rng.int(bytes.length)] = rng.pick([0xff, 0xc0, 0xed, 0xf8]);
      if (Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)) continue;
      return { kind: 'fatal', data: bytes, binary: false, closeCode: 1007 };
    } else if (rng.chance(0.2)) {
      return { kind: 'fatal', data: Buffer.alloc(1024 * 1024 + 1 + rng.int(1000), 0x61), binary: false, closeCode: 1009 };
    } else continue;
    // Text frames stay under the 1 MiB hard ceiling (past it, `fatal` frames test the cut-off).
    if (data.length > 4 * ctx.maxFrameBytes) data = data.slice(0, ctx.maxFrameBytes + 1 + rng.int(ctx.maxFrameBytes));
    const expect = predict(data, authed, ctx.maxFrameBytes);
    if (expect === 'auth') continue; // a well-formed login attempt is the auth phase's business
    return { kind: 'text', data, expect };
  }
}
