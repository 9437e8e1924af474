// The relay's own WebSocket framing (node-websocket.ts) against hand-made frames from a
// raw TCP client, through a real relay: what a client library would never send is where
// a parser goes wrong (RFC 6455 section 5: masking, reserved bits and opcodes, lengths,
// fragmentation with control frames in between, the closing handshake, UTF-8).
import { type Socket, connect } from 'node:net';
import { Duplex } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAGMENTS, WireSocket } from './node-websocket.ts';
import { type TestRelay, startTestRelay } from '../test/support/relay.ts';

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay.dispose());

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** A raw client: the handshake, then masked frames out and every server frame in. */
class RawClient {
  readonly frames: Frame[] = [];
  readonly ended: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  response = '';

  private constructor(readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
  }

  static async open(request?: string, opts: { halfOpen?: boolean } = {}): Promise<RawClient> {
    const socket = connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: opts.halfOpen ?? false });
    const c = new RawClient(socket);
    socket.write(
      request ??
        `GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        c.buf = Buffer.concat([c.buf, d]);
        if (!c.response) {
          const end = c.buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          c.response = c.buf.subarray(0, end).toString('latin1');
          c.buf = c.buf.subarray(end + 4);
          resolve();
        }
        c.parse();
      });
      socket.once('close', () => resolve());
    });
    return c;
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      let len = this.buf[1] & 0x7f;
      let p = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        p = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = this.buf.readUInt32BE(6);
        p = 10;
      }
      if (this.buf.length < p + len) return;
      this.frames.push({ fin: (this.buf[0] & 0x80) !== 0, opcode: this.buf[0] & 0x0f, payload: this.buf.subarray(p, p + len) });
      this.buf = this.buf.subarray(p + len);
      for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves with the first frame (from the start) that matches. */
  async next(match: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const hit = this.frames.find(match);
      if (hit) return hit;
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), this.ended.then(() => Promise.reject(new Error('socket closed')))]);
    }
  }

  close(): Promise<Frame> {
    return this.next((f) => f.opcode === 8);
  }

  /** The server's close code (from its close frame). */
  async closeCode(): Promise<number> {
    const f = await this.close();
    return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }
}

/** A client frame: masked unless told otherwise, `b0` overrides the first byte (FIN, RSV, opcode). */
function frame(opcode: number, payload: Buffer | string, opts: { fin?: boolean; masked?: boolean; b0?: number; length?: number } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = opts.length ?? data.length;
  const masked = opts.masked ?? true;
  const head: number[] = [opts.b0 ?? ((opts.fin ?? true ? 0x80 : 0) | opcode)];
  if (length < 126) head.push((masked ? 0x80 : 0) | length);
  else if (length < 65536) head.push((masked ? 0x80 : 0) | 126, length >> 8, length & 0xff);
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(length));
    head.push((masked ? 0x80 : 0) | 127, ...b);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), data]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(data.map((x, i) => x ^ mask[i & 3]));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** This process's memory after full collections (array buffers are swept concurrently: a few, a turn apart). */
async function memoryAfterGc(): Promise<NodeJS.MemoryUsage> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage();
}

const text = (f: Frame) => f.opcode === 1 && JSON.parse(f.payload.toString());
const isPong = (n: number) => (f: Frame) => f.opcode === 1 && text(f).t === 'pong' && text(f).n === n;

describe('WebSocket framing (RFC 6455)', () => {
  it('answers the handshake, and reassembles a fragmented text frame with a ping in between', async () => {
    const c = await RawClient.open();
    expect(c.response).toContain('101 Switching Protocols');
    expect(c.response).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const json = JSON.stringify({ t: 'ping', n: 7 });
    c.send(frame(1, json.slice(0, 5), { fin: false }));
    c.send(frame(9, 'control in between'));
    c.send(frame(0, json.slice(5, 9), { fin: false }));
    c.send(frame(0, json.slice(9)));
    expect((await c.next((f) => f.opcode === 10)).payload.toString()).toBe('control in between');
    await c.next(isPong(7));
    // One byte at a time: frames split anywhere are still whole.
    for (const byte of frame(1, JSON.stringify({ t: 'ping', n: 8 }))) c.send(Buffer.from([byte]));
    await c.next(isPong(8));
    c.socket.destroy();
  });

  it('reads a 200 KiB frame that arrives in 1 KiB pieces', async () => {
    const c = await RawClient.open();
    const big = frame(1, JSON.stringify({ t: 'ping', n: 9 }) + ' '.repeat(200 * 1024));
    for (let at = 0; at < big.length; at += 1024) c.send(big.subarray(at, at + 1024));
    await c.next(isPong(9));
    c.socket.destroy();
  });

  it('answers a close frame with the same code and ends the connection', async () => {
    const c = await RawClient.open();
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    c.send(frame(8, Buffer.concat([code, Buffer.from('bye')])));
    expect(await c.closeCode()).toBe(1000);
    await c.ended;
  });

  it.each([
    ['an unmasked frame', () => frame(1, '{"t":"ping","n":1}', { masked: false }), 1002],
    ['a reserved bit', () => frame(1, '{"t":"ping","n":1}', { b0: 0x80 | 0x40 | 1 }), 1002],
    ['a reserved opcode', () => frame(3, 'x'), 1002],
    ['a control frame over 125 bytes', () => frame(9, Buffer.alloc(126)), 1002],
    ['a fragmented control frame', () => frame(9, 'x', { fin: false }), 1002],
    ['a continuation with nothing to continue', () => frame(0, 'x'), 1002],
    ['a close frame with an invalid code', () => frame(8, Buffer.from([0x03, 0xe8 + 6])), 1002],
    ['text that is not UTF-8', () => frame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
    ['a length over the 1 MiB ceiling (sent without its payload)', () => frame(1, Buffer.alloc(0), { length: 1024 * 1024 + 1 }), 1009],
    ['a 64-bit length', () => Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]), 1009],
  ])('closes on %s', async (_name, bytes, code) => {
    const c = await RawClient.open();
    c.send(bytes());
    expect(await c.closeCode()).toBe(code);
    await c.ended;
  });

  it('refuses a data frame in the middle of a fragmented message (1002)', async () => {
    const c = await RawClient.open();
    c.send(frame(1, '{"t":', { fin: false }));
    c.send(frame(1, '{"t":"ping"}'));
    expect(await c.closeCode()).toBe(1002);
  });

  it('refuses an upgrade without a valid key or version with 400', async () => {
    const noKey = await RawClient.open(`GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    expect(noKey.response).toMatch(/^HTTP\/1.1 400 /);
    const oldVersion = await RawClient.open(
      `GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`,
    );
    expect(oldVersion.response).toMatch(/^HTTP\/1.1 400 /);
  });

  it('ends its side when the client half-closes', async () => {
    const c = await RawClient.open();
    c.socket.end();
    await c.ended;
  });
  // Found by the byte-level fuzz test (relay/test/ws-bytes-fuzz.test.ts).
  it.each([
    ['a ping with a 64-bit length of 2^32 + 1', () => Buffer.from([0x89, 0xff, 0, 0, 0, 1, 0, 0, 0, 1])],
    ['a close frame with a 64-bit length of 2^63', () => Buffer.from([0x88, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0])],
    ['a continuation with nothing to continue and a length of 2^32', () => Buffer.from([0x80, 0xff, 0, 0, 0, 1, 0, 0, 0, 0])],
    ['a reserved opcode with a length of 2^40', () => Buffer.from([0x83, 0xff, 0, 0, 1, 0, 0, 0, 0, 0])],
  ])('refuses broken framing before a huge length: 1002, not 1009, for %s', async (_name, bytes) => {
    const c = await RawClient.open();
    c.send(bytes());
    expect(await c.closeCode()).toBe(1002);
  });

  it(`takes a message in ${MAX_FRAGMENTS} frames, and closes with 1009 on one more (empty continuations grew the fragment list without bound)`, async () => {
    const json = JSON.stringify({ t: 'ping', n: 11 });
    const whole = await RawClient.open();
    whole.send(Buffer.concat([frame(1, json.slice(0, 1), { fin: false }), ...Array.from({ length: MAX_FRAGMENTS - 2 }, () => frame(0, '', { fin: false })), frame(0, json.slice(1))]));
    await whole.next(isPong(11));
    whole.socket.destroy();

    const c = await RawClient.open();
    c.send(Buffer.concat([frame(1, json.slice(0, 1), { fin: false }), ...Array.from({ length: MAX_FRAGMENTS }, () => frame(0, '', { fin: false }))]));
    c.send(frame(9, 'still there?'));
    // The relay used to store every empty fragment and answer the ping.
    const f = await c.next((x) => x.opcode === 8 || x.opcode === 10);
    expect(f.opcode).toBe(8);
    expect(f.payload.readUInt16BE(0)).toBe(1009);
    await c.ended;
  });

  it('does not keep the chunk a fragment arrived in (one byte of fragment pinned up to 64 KiB)', async () => {
    const c = await RawClient.open();
    c.send(frame(1, '{"t":"ping","n":12', { fin: false }));
    // Each 64 KiB write: a 1-byte fragment, then unsolicited pongs (read and dropped).
    const pong = frame(10, Buffer.alloc(125, 0x61));
    const pongs = Buffer.concat(Array.from({ length: Math.floor((64 * 1024 - 7) / pong.length) }, () => pong));
    const chunks = 400;
    const before = (await memoryAfterGc()).arrayBuffers;
    for (let i = 0; i < chunks; i++) {
      c.send(Buffer.concat([frame(0, ' ', { fin: false }), pongs]));
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 1)); // let the relay read
    }
    c.send(frame(9, 'all read?'));
    await c.next((f) => f.opcode === 10);
    const held = (await memoryAfterGc()).arrayBuffers - before;
    // 400 fragments of one byte; a view into each chunk held 24 MiB.
    expect(held).toBeLessThan(4 * 1024 * 1024);
    c.send(frame(0, '}'));
    await c.next(isPong(12));
    c.socket.destroy();
  });

  it('hands text over with a leading byte order mark intact (it was stripped: a ping after U+FEFF got a pong)', async () => {
    const c = await RawClient.open();
    c.send(frame(1, '\ufeff' + JSON.stringify({ t: 'ping', n: 13 })));
    c.send(frame(1, JSON.stringify({ t: 'ping', n: 14 })));
    await c.next(isPong(14));
    // U+FEFF is not JSON whitespace: the frame is not JSON, and the relay says so.
    const answers = c.frames.filter((f) => f.opcode === 1).map((f) => text(f).t);
    expect(answers).toEqual(['challenge', 'error', 'pong']);
    c.socket.destroy();
  });

  it('refuses an upgrade without Host with 400 (RFC 6455 4.2.1)', async () => {
    const noHost = await RawClient.open('GET /v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(noHost.response).toMatch(/^HTTP\/1.1 400 /);
  });

  it('answers a refused version with Sec-WebSocket-Version: 13 (RFC 6455 4.4)', async () => {
    const c = await RawClient.open(
      `GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`,
    );
    expect(c.response).toMatch(/^HTTP\/1.1 400 /);
    expect(c.response).toMatch(/\r\nSec-WebSocket-Version: 13(\r\n|$)/);
  });

  it('drops a refused upgrade whose client never ends its side (it stayed half-open for good)', async () => {
    const c = await RawClient.open(`GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`, { halfOpen: true });
    expect(c.response).toMatch(/^HTTP\/1.1 400 /);
    // The relay ended its side at once; it must let go of the socket within its close
    // timeout (10 s). We never end ours, so only a write shows it: a reset, then EPIPE.
    const closed = new Promise<boolean>((resolve) => {
      c.socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 14_000);
    });
    const probe = setInterval(() => c.socket.write('x'), 500);
    const gone = await closed;
    clearInterval(probe);
    c.socket.destroy();
    expect(gone).toBe(true);
  }, 20_000);
});

describe('WireSocket on a stub socket', () => {
  it('holds an unfinished frame in one buffer, not a buffer per chunk (a frame sent a byte per TCP segment held ~200 times its size)', async () => {
    const socket = new Duplex({
      read() {},
      write(_chunk, _encoding, done) {
        done();
      },
    });
    const ws = new WireSocket(socket, 1024 * 1024, new Set());
    const before = await memoryAfterGc();
    ws.receive(Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0])); // text, 512 KiB, mask 0
    // As socket reads come: each chunk its own buffer.
    for (let i = 0; i < 100_000; i++) ws.receive(Buffer.allocUnsafeSlow(1).fill(0x20));
    const after = await memoryAfterGc();
    const held = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    // 100,000 bytes; kept as 100,000 Buffers they took 22 MB.
    expect(held).toBeLessThan(1024 * 1024);
    socket.destroy();
  });
});
