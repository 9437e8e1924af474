// The connections the byte-level WebSocket fuzz test (../ws-bytes-fuzz.test.ts) makes:
// each one an upgrade request (valid, or broken in one way with the HTTP status it must
// get) and the bytes sent after it: well-formed frames (JSON pings, text the app refuses,
// binary, pings and pongs, fragmented with control frames in between, any length
// encoding) around at most one hostile piece from a named class. What the relay must
// answer is not decided here but by the reference reader (./ws-wire.ts) from the bytes.
import { type Rng } from './fuzz-rng.ts';
import { OP, type WireFrame, closePayload, encodeFrame } from './ws-wire.ts';

export interface FuzzLimits {
  /** The WebSocket layer's ceiling on a message. */
  maxMessageBytes: number;
  /** Data frames one message may arrive in. */
  maxFragments: number;
  /** The app's frame limit (maxFrameBytes); JSON pings stay below it. */
  maxAppFrameBytes: number;
}

export interface ConnectionPlan {
  /** The class of the hostile piece (or `benign`), for the summary and for failures. */
  label: string;
  request: Buffer;
  /** The key sent, for checking Sec-WebSocket-Accept (null when the request is broken anyway). */
  key: string | null;
  /** The subprotocol the relay must echo, if one is offered. */
  protocol: string | null;
  /** 101, or the status a broken upgrade must be refused with. */
  status: number;
  /** The Problem code of the refusal's body (null: no body, Node's own 431). */
  problem: string | null;
  /** Bytes after the request: in the same write (`pipelined`) or once the 101 arrived. */
  stream: Buffer;
  pipelined: boolean;
  writes: 'one' | 'bytes' | 'chunks';
  /** After the relay closes: answer and end our side, or stay silent and never end it. */
  after: 'reply' | 'silent';
  /** A frame cut short on purpose and then silence: the login timeout must close it. */
  slowloris: boolean;
}

const GOOD_KEYS = ['dGhlIHNhbXBsZSBub25jZQ==', 'AQIDBAUGBwgJCgsMDQ4PEA==', 'x3JJHMbDL1EzLkh9GBhXDw==', '/+/+/+/+/+/+/+/+/+/+/w=='];

function upgradeRequest(lines: string[], target = '/v1/ws', method = 'GET', version = 'HTTP/1.1'): string {
  return `${method} ${target} ${version}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
}

/** A valid upgrade, in one of the spellings clients use. */
function goodUpgrade(rng: Rng, host: string): { request: string; key: string; protocol: string | null } {
  const key = rng.chance(0.5) ? GOOD_KEYS[rng.int(GOOD_KEYS.length)] : Buffer.from(rng.bytes(16)).toString('base64');
  const protocol = rng.chance(0.15) ? rng.pick(['parley.v1', 'chat', 'x-test']) : null;
  const lines = [
    `Host: ${host}`,
    rng.pick(['Upgrade: websocket', 'Upgrade: WebSocket', 'upgrade: websocket']),
    rng.pick(['Connection: Upgrade', 'Connection: keep-alive, Upgrade', 'connection: upgrade']),
    `${rng.pick(['Sec-WebSocket-Key', 'sec-websocket-key'])}: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}${rng.chance(0.5) ? ', other' : ''}`);
  if (rng.chance(0.1)) lines.push(`X-Padding: ${'p'.repeat(1000 + rng.int(10_000))}`); // big, within Node's 16 KiB
  if (rng.chance(0.5)) lines.push('Origin: http://example.test', 'User-Agent: parley-fuzz');
  const n = lines.length;
  for (let i = 1; i < n; i++) {
    const j = 1 + rng.int(n - 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return { request: upgradeRequest(lines, rng.chance(0.2) ? '/v1/ws?v=1' : '/v1/ws'), key, protocol };
}

/** A broken upgrade and what it must get. */
function badUpgrade(rng: Rng, host: string): { label: string; request: string; status: number; problem: string | null } {
  const key = GOOD_KEYS[0];
  const base = (over: Partial<Record<'host' | 'upgrade' | 'connection' | 'key' | 'version' | 'protocol', string | null>> = {}) => {
    const h = { host: `Host: ${host}`, upgrade: 'Upgrade: websocket', connection: 'Connection: Upgrade', key: `Sec-WebSocket-Key: ${key}`, version: 'Sec-WebSocket-Version: 13', protocol: null as string | null, ...over };
    return Object.values(h).filter((l): l is string => l !== null);
  };
  switch (rng.int(10)) {
    case 0:
      return { label: 'upgrade: no key', request: upgradeRequest(base({ key: null })), status: 400, problem: 'bad_request' };
    case 1: {
      const bad = rng.pick(['abc', 'dGhlIHNhbXBsZSBub25jZQ', 'dGhlIHNhbXBsZSBub25jZQ=!', Buffer.from(rng.bytes(15)).toString('base64'), Buffer.from(rng.bytes(17)).toString('base64'), 'dGhlIHNhbXBsZSBub25jZQ==x', '']);
      const twice = rng.chance(0.2);
      return { label: 'upgrade: bad key', request: upgradeRequest(twice ? [...base(), `Sec-WebSocket-Key: ${key}`] : base({ key: `Sec-WebSocket-Key: ${bad}` })), status: 400, problem: 'bad_request' };
    }
    case 2:
      return { label: 'upgrade: no version', request: upgradeRequest(base({ version: null })), status: 400, problem: 'bad_request' };
    case 3: {
      const v = rng.pick(['0', '8', '12', '14', '13, 8', '013', 'thirteen', '']);
      return { label: 'upgrade: wrong version', request: upgradeRequest(base({ version: `Sec-WebSocket-Version: ${v}` })), status: 400, problem: 'bad_request' };
    }
    case 4:
      return { label: 'upgrade: not GET', request: upgradeRequest([...base(), 'Content-Length: 0'], '/v1/ws', rng.pick(['POST', 'PUT', 'DELETE'])), status: 400, problem: 'bad_request' };
    case 5:
      return { label: 'upgrade: not websocket', request: upgradeRequest(base({ upgrade: `Upgrade: ${rng.pick(['h2c', 'websockets', 'TLS/1.0'])}` })), status: 400, problem: 'bad_request' };
    case 6:
      return { label: 'upgrade: bad subprotocol', request: upgradeRequest(base({ protocol: `Sec-WebSocket-Protocol: ${rng.pick(['a b', ',x', '"q"', 'é'])}` })), status: 400, problem: 'bad_request' };
    case 7:
      return { label: 'upgrade: other path', request: upgradeRequest(base(), rng.pick(['/v1/w', '/v2/ws', '/v1/ws/', '/', '/v1/health'])), status: 404, problem: 'not_found' };
    case 8:
      // Node's parser refuses headers over 16 KiB itself, with no body.
      return { label: 'upgrade: huge headers', request: upgradeRequest([...base(), `X-Huge: ${'h'.repeat(17_000 + rng.int(50_000))}`]), status: 431, problem: null };
    default:
      // RFC 6455 4.2.1: the handshake needs a Host header field.
      return { label: 'upgrade: no Host', request: upgradeRequest(base({ host: null })), status: 400, problem: 'bad_request' };
  }
}

const randomMask = (rng: Rng) => (rng.chance(0.1) ? Buffer.alloc(4) : Buffer.from(rng.bytes(4)));

/** A frame as a conforming client might send it, in any length encoding that fits. */
function wellFormed(rng: Rng, opcode: number, payload: Buffer, fin = true): Buffer {
  const minimal = payload.length < 126 ? 7 : payload.length < 65536 ? 16 : 64;
  const control = opcode >= 8;
  // Non-minimal encodings (a 7-bit length in 16 or 64 bits) are accepted for data frames;
  // a control frame's length must fit the 7 bits.
  const form = !control && rng.chance(0.15) ? rng.pick([16, 64] as const).valueOf() : minimal;
  return encodeFrame({ opcode, payload, fin, form: Math.max(form, minimal) as 7 | 16 | 64, mask: randomMask(rng) });
}

/** Valid UTF-8 text, multi-byte characters included, that is not JSON (the app answers bad_frame). */
function nonJsonText(rng: Rng): string {
  const pieces = ['#', 'hello', ' ', 'é', 'ü', '€', '日本', '😀', '\u0000', '\u{10ffff}', 'ﬀ', '\t'];
  let s = '#';
  const n = rng.length(60);
  for (let i = 0; i < n; i++) s += rng.pick(pieces);
  return s;
}

interface Stream {
  parts: Buffer[];
  /** The next JSON ping number. */
  n: number;
}

function controlFrame(rng: Rng): Buffer {
  const payload = Buffer.from(rng.bytes(rng.chance(0.3) ? 0 : rng.length(125)));
  return wellFormed(rng, rng.chance(0.7) ? OP.ping : OP.pong, payload);
}

/** One whole message (a JSON ping mostly), in one frame or fragmented with control frames in between. */
function message(rng: Rng, s: Stream, limits: FuzzLimits): void {
  let opcode: number = OP.text;
  let body: Buffer;
  const r = rng.float();
  if (r < 0.7) {
    const pad = rng.chance(0.05) ? rng.int(Math.min(150_000, limits.maxAppFrameBytes - 64)) : rng.length(40);
    // Sometimes after a byte order mark: U+FEFF is text like any other (not JSON whitespace).
    body = Buffer.from(`${rng.chance(0.05) ? '\ufeff' : ''}{"t":"ping",${' '.repeat(pad)}"n":${s.n++}}`);
  } else if (r < 0.85) body = Buffer.from(nonJsonText(rng));
  else if (r < 0.95) {
    opcode = OP.binary;
    body = Buffer.from(rng.bytes(rng.length(300)));
  } else body = Buffer.alloc(0);
  const pieces = rng.chance(0.7) ? 1 : 2 + rng.int(rng.chance(0.9) ? 6 : 60);
  // Cut anywhere, also inside a multi-byte character: text is checked once whole.
  const cuts = Array.from({ length: pieces - 1 }, () => rng.int(body.length + 1)).sort((a, b) => a - b);
  let from = 0;
  for (let i = 0; i < pieces; i++) {
    const to = i === pieces - 1 ? body.length : cuts[i];
    s.parts.push(wellFormed(rng, i === 0 ? opcode : OP.continuation, body.subarray(from, to), i === pieces - 1));
    from = to;
    if (i < pieces - 1 && rng.chance(0.3)) s.parts.push(controlFrame(rng));
  }
}

function benign(rng: Rng, s: Stream, limits: FuzzLimits, count: number): void {
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.2)) s.parts.push(controlFrame(rng));
    else message(rng, s, limits);
  }
}

const INVALID_UTF8 = [[0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];
const INVALID_CLOSE_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
const VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const HUGE_LENGTHS = (ceiling: number) => [BigInt(ceiling + 1), BigInt(ceiling) * 2n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 5n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

function withInvalidUtf8(rng: Rng, text: Buffer): Buffer {
  const at = rng.int(text.length + 1);
  return Buffer.concat([text.subarray(0, at), Buffer.from(rng.pick(INVALID_UTF8)), text.subarray(at)]);
}

/** The hostile piece: appends its bytes and returns its class. */
function hostile(rng: Rng, s: Stream, limits: FuzzLimits): string {
  const ping = () => Buffer.from(`{"t":"ping","n":${s.n++}}`);
  const push = (f: WireFrame) => s.parts.push(encodeFrame({ mask: randomMask(rng), ...f }));
  switch (rng.int(19)) {
    case 0:
      push({ opcode: rng.pick([OP.text, OP.binary, OP.ping, OP.continuation]), rsv: 1 + rng.int(7), payload: ping() });
      return 'reserved bits';
    case 1:
      push({ opcode: rng.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: Buffer.from(rng.bytes(rng.length(200))), fin: rng.chance(0.8) });
      return 'unknown opcode';
    case 2:
      push({ opcode: rng.pick([OP.text, OP.ping, OP.close, OP.binary]), payload: ping(), masked: false });
      return 'unmasked';
    case 3:
      if (rng.chance(0.6)) push({ opcode: rng.pick([OP.ping, OP.pong, OP.close]), payload: Buffer.from(rng.bytes(126 + rng.int(400))) });
      else push({ opcode: rng.pick([OP.ping, OP.pong, OP.close]), payload: Buffer.alloc(0), form: 64, declared: rng.pick([126n, 2n ** 32n + 1n, 2n ** 63n]) });
      return 'control frame over 125 bytes';
    case 4:
      push({ opcode: rng.pick([OP.ping, OP.pong, OP.close]), payload: Buffer.from(rng.bytes(rng.length(20))), fin: false });
      return 'fragmented control frame';
    case 5:
      push({ opcode: OP.continuation, payload: ping(), fin: rng.chance(0.5), ...(rng.chance(0.3) ? { form: 64 as const, declared: rng.pick(HUGE_LENGTHS(limits.maxMessageBytes)), payload: Buffer.alloc(0) } : {}) });
      return 'continuation without a start';
    case 6:
      push({ opcode: OP.text, payload: Buffer.from('{"t":'), fin: false });
      if (rng.chance(0.5)) s.parts.push(controlFrame(rng));
      push({ opcode: rng.pick([OP.text, OP.binary]), payload: ping(), fin: rng.chance(0.7) });
      return 'data frame inside a fragmented message';
    case 7: {
      // The header alone (and a few payload bytes): the relay must not wait for the rest.
      const declared = rng.pick(HUGE_LENGTHS(limits.maxMessageBytes));
      push({ opcode: rng.pick([OP.text, OP.binary]), payload: Buffer.from(rng.bytes(rng.int(16))), form: 64, declared, fin: rng.chance(0.8) });
      return 'length over the ceiling';
    }
    case 8: {
      const first = 1 + rng.int(1000);
      push({ opcode: OP.text, payload: Buffer.alloc(first, 0x20), fin: false });
      push({ opcode: OP.continuation, payload: Buffer.alloc(0), form: 64, declared: BigInt(limits.maxMessageBytes - first + 1 + rng.int(1000)), fin: rng.chance(0.5) });
      return 'fragments over the ceiling';
    }
    case 9: {
      // A message in more frames than allowed: empty (or 1-byte) continuations cost the
      // sender 6 bytes each and the reader a buffer each.
      push({ opcode: OP.text, payload: Buffer.from('{"t":"ping"'), fin: false });
      const one = rng.chance(0.5);
      for (let i = 0; i < limits.maxFragments + 2; i++) push({ opcode: OP.continuation, payload: one ? Buffer.from(' ') : Buffer.alloc(0), fin: false });
      return 'too many fragments';
    }
    case 10: {
      const body = withInvalidUtf8(rng, ping());
      if (rng.chance(0.5)) push({ opcode: OP.text, payload: body });
      else {
        const cut = rng.int(body.length + 1);
        push({ opcode: OP.text, payload: body.subarray(0, cut), fin: false });
        if (rng.chance(0.5)) s.parts.push(controlFrame(rng));
        push({ opcode: OP.continuation, payload: body.subarray(cut) });
      }
      return 'invalid UTF-8 text';
    }
    case 11:
      push({ opcode: OP.close, payload: closePayload(rng.pick(INVALID_CLOSE_CODES), rng.chance(0.5) ? Buffer.from('bye') : undefined) });
      return 'close with an invalid code';
    case 12:
      push({ opcode: OP.close, payload: Buffer.from(rng.bytes(1)) });
      return 'close with a 1-byte payload';
    case 13:
      push({ opcode: OP.close, payload: closePayload(rng.pick(VALID_CLOSE_CODES), withInvalidUtf8(rng, Buffer.from('going away'))) });
      return 'close reason not UTF-8';
    case 14: {
      const reason = Buffer.from('é€😀ok'.repeat(20)).subarray(0, rng.int(124));
      // A reason cut inside a character is invalid; keep it whole.
      const text = reason.toString('utf8').replace(/\ufffd/g, '');
      push({ opcode: OP.close, payload: rng.chance(0.2) ? Buffer.alloc(0) : closePayload(rng.pick(VALID_CLOSE_CODES), Buffer.from(text)) });
      return 'close (valid)';
    }
    case 15:
      s.parts.push(Buffer.from(rng.bytes(1 + rng.length(64))));
      return 'random bytes';
    case 16: {
      const sub: Stream = { parts: [], n: s.n };
      benign(rng, sub, limits, 1 + rng.int(3));
      const bytes = Buffer.concat(sub.parts);
      s.n = sub.n;
      for (let i = 0, flips = 1 + rng.int(3); i < flips; i++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
      s.parts.push(bytes);
      return 'bit flips';
    }
    case 17: {
      // A frame that never finishes (the client then ends its side).
      const f = wellFormed(rng, OP.text, ping());
      s.parts.push(f.subarray(0, 1 + rng.int(f.length - 1)));
      return 'truncated frame';
    }
    default: {
      // Many frames in one write: a burst of pings and JSON pings.
      benign(rng, s, limits, 50 + rng.int(150));
      return 'burst';
    }
  }
}

/** A slowloris stream: some good frames, then a frame cut short, then silence. */
function slowlorisStream(rng: Rng, s: Stream, limits: FuzzLimits): void {
  benign(rng, s, limits, rng.int(3));
  const f = encodeFrame({ opcode: OP.text, payload: Buffer.from('{"t":"ping","n":1}'), form: rng.pick([7, 16, 64] as const), mask: randomMask(rng) });
  s.parts.push(f.subarray(0, 1 + rng.int(f.length - 1)));
}

export function makePlan(rng: Rng, host: string, limits: FuzzLimits, opts: { slowloris?: boolean } = {}): ConnectionPlan {
  const s: Stream = { parts: [], n: 1 };
  const after = rng.chance(0.15) ? 'silent' : 'reply';
  if (!opts.slowloris && rng.chance(0.12)) {
    const bad = badUpgrade(rng, host);
    // Pipelined bytes after a refused request are never read as frames.
    const garbage = rng.chance(0.3) ? Buffer.from(rng.chance(0.5) ? rng.bytes(1 + rng.int(200)) : `GET /v1/ws HTTP/1.1\r\nHost: ${host}\r\n\r\n`) : Buffer.alloc(0);
    return { label: bad.label, request: Buffer.from(bad.request), key: null, protocol: null, status: bad.status, problem: bad.problem, stream: garbage, pipelined: true, writes: rng.chance(0.2) ? 'chunks' : 'one', after, slowloris: false };
  }
  const up = goodUpgrade(rng, host);
  let label = 'benign';
  if (opts.slowloris) {
    slowlorisStream(rng, s, limits);
    label = 'slowloris';
  } else {
    benign(rng, s, limits, rng.int(6));
    if (rng.chance(0.85)) label = hostile(rng, s, limits);
    // What follows a hostile piece must never be read.
    benign(rng, s, limits, rng.int(3));
    if (rng.chance(0.2)) s.parts.push(encodeFrame({ opcode: OP.close, payload: closePayload(1000), mask: randomMask(rng) }));
  }
  const stream = Buffer.concat(s.parts);
  const writes = opts.slowloris ? 'one' : rng.chance(0.15) && stream.length <= 4096 ? 'bytes' : rng.chance(0.4) ? 'chunks' : 'one';
  return { label, request: Buffer.from(up.request), key: up.key, protocol: up.protocol, status: 101, problem: null, stream, pipelined: rng.chance(0.2), writes, after: opts.slowloris ? 'silent' : after, slowloris: !!opts.slowloris };
}
