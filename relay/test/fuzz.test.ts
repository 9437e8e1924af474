// Bad input against a running relay: thousands of random and mutated WebSocket frames
// (before and after login, login attempts themselves) and HTTP requests, from a seeded
// PRNG (the seed is printed; rerun with PARLEY_FUZZ_SEED=<seed>). Throughout, two
// well-behaved devices exchange messages on the same relay. The relay must stay up,
// answer every bad frame at once with an `error` frame of a known code (or close with a
// documented code), answer every bad request with a Problem of the right status, never
// report `internal` for client garbage, never log an error, and deliver the
// well-behaved devices' messages in order, exactly once.
import {
  CLOSE_CODES,
  ERROR_CODES,
  type ErrorCode,
  HTTP_STATUS,
  Problem,
  ServerFrame,
  wsAuthSigningInput,
} from '@parley/common/protocol';
import { toBase64Url } from '@parley/common/encoding';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestAccount, type TestDevice, http, registerUser, sodiumReady } from './support/client.ts';
import { type FrameCase, type FrameContext, mutate, nextFrame } from './support/fuzz-frames.ts';
import { type HttpContext, nextRequest, sendRequest } from './support/fuzz-http.ts';
import { type FuzzRelay, startFuzzRelay } from './support/fuzz-relay.ts';
import { Rng, fuzzSeed } from './support/fuzz-rng.ts';
import { wellBehavedPair } from './support/well-behaved.ts';

const SEED = fuzzSeed();
const FRAMES = Number(process.env.PARLEY_FUZZ_FRAMES ?? 10_000);
const REQUESTS = Number(process.env.PARLEY_FUZZ_REQUESTS ?? 5_000);
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_BLOB_BYTES = 256 * 1024;
/** Frames per batch before a ping marker; below --max-bad-frames so batches never trip 4006. */
const BATCH = 40;

// Limits: high per-device frame rate (fuzz sockets send thousands of frames a second) and
// addresses taken from X-Forwarded-For, so each fuzz connection and request comes from its
// own random address and is not simply rate-limited away; the last test hammers one
// address on purpose to see rate_limited come back.
const RELAY_FLAGS = [
  '--sqlite-synchronous', 'NORMAL',
  '--trust-proxy',
  '--max-frame-bytes', String(MAX_FRAME_BYTES),
  '--max-body-bytes', String(MAX_BODY_BYTES),
  '--max-blob-bytes', String(MAX_BLOB_BYTES),
  '--max-bad-frames', '50',
  '--device-frames-per-second', '100000',
  '--device-frame-burst', '100000',
];

const DOCUMENTED_CLOSES = new Set<number>([...Object.values(CLOSE_CODES), 1009]);
/** Closes the WebSocket layer itself makes for broken framing: 1007 invalid UTF-8 text. */
const WS_LAYER_CLOSES = new Set([1007, 1009]);
/** Error codes a frame is refused with on the spot (no store or directory involved). */
const IMMEDIATE = new Set(['bad_frame', 'too_large', 'unauthenticated']);

interface Stats {
  frames: number;
  framesByKind: Record<string, number>;
  requests: number;
  statuses: Record<string, number>;
  errorCodes: Record<string, number>;
  closes: Record<string, number>;
  goodMessages: number;
  violations: string[];
}

const stats: Stats = { frames: 0, framesByKind: {}, requests: 0, statuses: {}, errorCodes: {}, closes: {}, goodMessages: 0, violations: [] };
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
const violation = (what: string) => {
  if (stats.violations.length < 50) stats.violations.push(`${what} (seed ${SEED})`);
};
const randomAddress = (rng: Rng) => (rng.chance(0.97) ? `10.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}` : rng.b64url(12));

let relay: FuzzRelay;
let good: [TestAccount, TestAccount];
let fuzzers: TestAccount[];
let sink: TestAccount;
let blob: { id: string; size: number };

beforeAll(async () => {
  console.log(`fuzz seed ${SEED} (rerun with PARLEY_FUZZ_SEED=${SEED})`);
  await sodiumReady();
  relay = await startFuzzRelay(RELAY_FLAGS);
  good = [await registerUser(relay.host, 1), await registerUser(relay.host, 1)];
  fuzzers = [await registerUser(relay.host, 1), await registerUser(relay.host, 1), await registerUser(relay.host, 1), await registerUser(relay.host, 1)];
  sink = await registerUser(relay.host, 2);
  const bytes = new Uint8Array(1000).map((_, i) => i & 0xff);
  const up = await http(relay.host, 'POST', '/v1/blobs', { as: fuzzers[0].devices[0], body: bytes, bodyHash: '-' });
  expect(up.status).toBe(201);
  blob = { id: up.json.id, size: 1000 };
}, 60_000);

afterAll(async () => {
  await relay?.stop();
});

// ------------------------------------------------------------------ WebSocket fuzzing

/** A raw socket that checks every frame the relay sends and counts immediate errors. */
class FuzzSocket {
  immediateErrors = 0;
  closed: { code: number } | null = null;
  challenge: { nonce: string; relay: string } | null = null;
  private waiters = new Map<number, () => void>();
  private closeWaiters: ((code: number) => void)[] = [];
  private readyWaiter: ((ok: boolean) => void) | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    ws.on('close', (code) => {
      this.closed = { code };
      bump(stats.closes, String(code));
      if (!DOCUMENTED_CLOSES.has(code) && !WS_LAYER_CLOSES.has(code) && code !== 1005 && code !== 1006) violation(`undocumented close code ${code}`);
      for (const w of this.closeWaiters) w(code);
      for (const w of this.waiters.values()) w();
      this.readyWaiter?.(false);
    });
    ws.on('error', () => {});
  }

  static async open(url: string, rng: Rng): Promise<FuzzSocket> {
    const ws = new WebSocket(url, { headers: { 'x-forwarded-for': randomAddress(rng) } });
    const sock = new FuzzSocket(ws);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (sock.challenge) {
          clearInterval(timer);
          resolve();
        } else if (sock.closed) {
          clearInterval(timer);
          reject(new Error(`socket closed before the challenge (${sock.closed.code})`));
        }
      }, 2);
    });
    return sock;
  }

  /** Opens a socket and logs `device` in. */
  static async login(url: string, rng: Rng, device: TestDevice): Promise<FuzzSocket> {
    const sock = await FuzzSocket.open(url, rng);
    const ready = new Promise<boolean>((r) => (sock.readyWaiter = r));
    sock.ws.send(JSON.stringify(sock.authFrame(device)));
    if (!(await ready)) throw new Error('fuzz device could not log in');
    return sock;
  }

  authFrame(device: TestDevice, ts = Date.now(), nonce = this.challenge!.nonce) {
    return { t: 'auth', device: device.id, ts, sig: device.sign(wsAuthSigningInput(this.challenge!.relay, nonce, device.id, ts)) };
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (isBinary) return violation('relay sent a binary frame');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return violation('relay sent a frame that is not JSON');
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) return violation(`relay sent a frame outside the v1 schema: ${data.toString().slice(0, 200)}`);
    const f = parsed.data;
    if (f.t === 'challenge') this.challenge = { nonce: f.nonce, relay: f.relay };
    else if (f.t === 'ready') this.readyWaiter?.(true);
    else if (f.t === 'pong' && f.n !== undefined) this.waiters.get(f.n)?.();
    else if (f.t === 'error') {
      bump(stats.errorCodes, f.code);
      if (!(f.code in ERROR_CODES)) violation(`unknown error code ${f.code}`);
      if (f.code === 'internal') violation(`internal error for client input: ${f.message}`);
      if (IMMEDIATE.has(f.code)) this.immediateErrors++;
    }
  }

  /** Sends a ping marker and waits for its pong (or the close). */
  marker(n: number, timeoutMs = 10_000): Promise<'pong' | 'closed' | 'timeout'> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const finish = (r: 'pong' | 'closed' | 'timeout') => {
        clearTimeout(timer);
        this.waiters.delete(n);
        resolve(r);
      };
      this.waiters.set(n, () => finish(this.closed ? 'closed' : 'pong'));
      this.ws.send(JSON.stringify({ t: 'ping', n }));
    });
  }

  waitClose(timeoutMs = 5000): Promise<number | null> {
    if (this.closed) return Promise.resolve(this.closed.code);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.closeWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  send(c: FrameCase): void {
    if (c.kind === 'text') this.ws.send(c.data);
    else if (c.kind === 'binary') this.ws.send(c.data, { binary: true });
    else this.ws.send(c.data, { binary: false });
  }
}

let markerSeq = 1;

/** Sends `quota` fuzz frames in batches, each followed by a ping marker. */
async function fuzzFrames(rng: Rng, ctx: FrameContext, quota: number, device: TestDevice | null): Promise<void> {
  const authed = device !== null;
  let sock: FuzzSocket | null = null;
  let sent = 0;
  while (sent < quota) {
    // Unauthenticated sockets never reset their bad-frame count, so each batch gets a new one.
    if (!sock || sock.closed || !authed) {
      sock?.ws.terminate();
      sock = authed ? await FuzzSocket.login(relay.wsUrl, rng, device) : await FuzzSocket.open(relay.wsUrl, rng);
    }
    const n = 1 + rng.int(BATCH);
    let predicted = 0;
    const before = sock.immediateErrors;
    let fatal: Extract<FrameCase, { kind: 'fatal' }> | null = null;
    const batch: string[] = [];
    for (let i = 0; i < n && sent < quota; i++) {
      const c = nextFrame(rng, ctx, authed);
      sent++;
      stats.frames++;
      bump(stats.framesByKind, c.kind === 'text' ? (c.expect === 'error' ? 'text-invalid' : 'text-valid') : c.kind === 'fatal' ? `fatal-${c.closeCode}` : c.kind);
      if (c.kind === 'fatal') {
        fatal = c;
        sock.send(c);
        break;
      }
      if (c.kind === 'binary' || c.expect === 'error') predicted++;
      batch.push(c.kind === 'text' ? `${c.data.length}:${c.data.slice(0, 80)}` : `${c.kind}:${c.data.length}`);
      sock.send(c);
    }
    if (fatal) {
      const code = await sock.waitClose();
      if (code !== fatal.closeCode) violation(`expected close ${fatal.closeCode} after a broken frame, got ${code}`);
      continue;
    }
    const outcome = await sock.marker(markerSeq++);
    if (outcome === 'timeout') violation(`no pong for a marker within 10 s after ${JSON.stringify(batch).slice(0, 3000)}`);
    if (outcome === 'pong' && sock.immediateErrors - before < predicted) {
      violation(`${predicted} invalid frames but only ${sock.immediateErrors - before} immediate error frames (silent drop)`);
    }
  }
  sock?.ws.terminate();
}

/** Login attempts: forged, expired, replayed, mutated and doubled `auth` frames. */
async function fuzzLogins(rng: Rng, attempts: number, devices: TestDevice[]): Promise<void> {
  let previous: { frame: object } | null = null;
  for (let i = 0; i < attempts; i++) {
    const sock = await FuzzSocket.open(relay.wsUrl, rng);
    const device = rng.pick(devices);
    const valid = sock.authFrame(device);
    const kind = rng.int(7);
    let frame: unknown;
    if (kind === 0) frame = { ...valid, sig: toBase64Url(rng.bytes(64)) };
    else if (kind === 1) frame = sock.authFrame(device, Date.now() + rng.pick([-1, 1]) * (120_000 + rng.int(1e9)));
    else if (kind === 2) frame = { ...valid, device: rng.pick(devices.filter((d) => d !== device)).id };
    else if (kind === 3) frame = previous?.frame ?? valid; // replay of another socket's login
    else if (kind === 4) frame = sock.authFrame(device, Date.now(), toBase64Url(rng.bytes(24)));
    else if (kind === 5) frame = mutate(rng, { ...valid });
    else frame = valid;
    previous = { frame: valid };
    stats.frames++;
    bump(stats.framesByKind, 'auth');
    sock.ws.send(JSON.stringify(frame) ?? 'null');
    if (kind === 6) {
      // Logged in: a second auth on the same socket must be refused, the socket kept.
      stats.frames++;
      bump(stats.framesByKind, 'auth');
      sock.ws.send(JSON.stringify(sock.authFrame(device)));
    }
    const outcome = await sock.marker(markerSeq++, 5000);
    if (outcome === 'timeout') violation(`no answer to login attempt (kind ${kind}) within 5 s: ${(JSON.stringify(frame) ?? '').slice(0, 300)}`);
    sock.ws.terminate();
  }
}

// ------------------------------------------------------------------ HTTP fuzzing

async function fuzzHttp(rng: Rng, ctx: HttpContext, quota: { left: number }): Promise<void> {
  while (quota.left-- > 0) {
    const c = nextRequest(rng, ctx);
    stats.requests++;
    let res: Awaited<ReturnType<typeof sendRequest>>;
    try {
      res = await sendRequest(relay.host, c, randomAddress(rng));
    } catch (err) {
      // The relay may answer an oversized stream and close before the client finished sending.
      if (c.label.startsWith('oversized')) {
        bump(stats.statuses, 'closed-early');
        continue;
      }
      violation(`${c.label} ${c.method} ${c.path.slice(0, 80)}: request failed: ${(err as Error).message}`);
      continue;
    }
    bump(stats.statuses, String(res.status));
    if (res.status >= 500) violation(`${c.label} ${c.method} ${c.path.slice(0, 80)}: ${res.status} ${res.text.slice(0, 200)}`);
    if (res.status < 400 || c.method === 'HEAD') continue;
    let problem: Problem;
    try {
      problem = Problem.parse(JSON.parse(res.text));
    } catch {
      violation(`${c.label} ${c.method} ${c.path.slice(0, 80)}: ${res.status} without a Problem body: ${res.text.slice(0, 200)}`);
      continue;
    }
    bump(stats.errorCodes, `http:${problem.code}`);
    if (!(problem.code in ERROR_CODES)) violation(`${c.label}: unknown problem code ${problem.code}`);
    else if (HTTP_STATUS[problem.code as ErrorCode] !== res.status) violation(`${c.label}: ${problem.code} came with status ${res.status}`);
    if (!res.contentType?.startsWith('application/json')) violation(`${c.label}: problem with content type ${res.contentType}`);
  }
}

describe('bad input (fuzz)', () => {
  it(`keeps serving through ${FRAMES} bad frames and ${REQUESTS} bad requests, answering each with a stable code`, async () => {
    const master = new Rng(SEED);
    const fuzzDevices = fuzzers.map((a) => a.devices[0]);
    const ctx = (self: string): FrameContext => ({
      self,
      devices: [...sink.devices.map((d) => d.id), ...fuzzDevices.map((d) => d.id), toBase64Url(master.bytes(10)).toLowerCase().replace(/[^a-z2-7]/g, 'a').slice(0, 16)],
      users: [sink.userId, ...fuzzers.map((a) => a.userId)],
      maxFrameBytes: MAX_FRAME_BYTES,
    });
    const httpCtx: HttpContext = {
      host: relay.host,
      signers: fuzzDevices,
      users: [sink.userId, good[0].userId, ...fuzzers.map((a) => a.userId)],
      blobId: blob.id,
      blobSize: blob.size,
      maxBodyBytes: MAX_BODY_BYTES,
      maxBlobBytes: MAX_BLOB_BYTES,
    };

    let fuzzing = true;
    const client = wellBehavedPair(relay, [good[0].devices[0], good[1].devices[0]], () => !fuzzing, () => stats.goodMessages++);
    const health: number[] = [];
    let slowestHealthMs = 0;
    const healthTimer = setInterval(() => {
      const t = performance.now();
      void http(relay.host, 'GET', '/v1/health').then(
        (r) => {
          health.push(r.status);
          slowestHealthMs = Math.max(slowestHealthMs, performance.now() - t);
        },
        () => health.push(0),
      );
    }, 250);
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();

    const started = performance.now();
    const authedShare = Math.floor(FRAMES * 0.23);
    const logins = Math.ceil(FRAMES * 0.04);
    const preAuth = FRAMES - 3 * authedShare - logins;
    const quota = { left: REQUESTS };
    await Promise.all([
      fuzzFrames(new Rng(master.u32()), ctx(fuzzDevices[0].id), authedShare, fuzzDevices[0]),
      fuzzFrames(new Rng(master.u32()), ctx(fuzzDevices[1].id), authedShare, fuzzDevices[1]),
      fuzzFrames(new Rng(master.u32()), ctx(fuzzDevices[2].id), authedShare, fuzzDevices[2]),
      fuzzFrames(new Rng(master.u32()), ctx(fuzzDevices[3].id), preAuth, null),
      // Not the devices the authenticated workers use: a login would replace their sockets (4007).
      fuzzLogins(new Rng(master.u32()), logins, [fuzzDevices[3], ...sink.devices]),
      ...Array.from({ length: 6 }, () => fuzzHttp(new Rng(master.u32()), httpCtx, quota)),
    ]);
    fuzzing = false;
    lag.disable();
    const goodResult = await client;
    clearInterval(healthTimer);
    const seconds = (performance.now() - started) / 1000;

    const final = await http(relay.host, 'GET', '/v1/health');
    console.log(
      `fuzz seed ${SEED}: ${stats.frames} frames ${JSON.stringify(stats.framesByKind)}, ${stats.requests} requests ${JSON.stringify(stats.statuses)} in ${seconds.toFixed(1)} s; ` +
        `error codes ${JSON.stringify(stats.errorCodes)}; closes ${JSON.stringify(stats.closes)}; well-behaved messages ${stats.goodMessages}; ` +
        `health checks ${health.length} (slowest ${slowestHealthMs.toFixed(0)} ms); test process event-loop delay max ${(lag.max / 1e6).toFixed(0)} ms`,
    );
    expect(stats.violations).toEqual([]);
    expect(stats.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(stats.requests).toBeGreaterThanOrEqual(REQUESTS);
    expect(relay.alive()).toBe(true);
    expect(final.status).toBe(200);
    expect(final.json.ok).toBe(true);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(relay.errorLines).toEqual([]);
    expect(goodResult.problems).toEqual([]);
    expect(goodResult.sent[0] + goodResult.sent[1]).toBeGreaterThan(10);
  }, 120_000);

  it('answers rate_limited (429, Retry-After) once one address exceeds its limit, and only that address', async () => {
    const address = '198.51.100.77';
    const results = await Promise.all(
      Array.from({ length: 300 }, () => fetch(`http://${relay.host}/v1/health`, { headers: { 'x-forwarded-for': address } }).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: await r.text() }))),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(Problem.parse(JSON.parse(r.body)).code).toBe('rate_limited');
      expect(r.retry).not.toBeNull();
    }
    // Socket opens from that address are limited too: refused with 429 before any upgrade.
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () => {
        const ws = new WebSocket(relay.wsUrl, { headers: { 'x-forwarded-for': address } });
        return new Promise<number>((resolve) => {
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => resolve(101));
          ws.on('error', () => resolve(-1));
        }).finally(() => ws.terminate());
      }),
    );
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 429 || s === 101)).toBe(true);
    // Everyone else is served as before.
    expect((await http(relay.host, 'GET', '/v1/health')).status).toBe(200);
    const other = await fetch(`http://${relay.host}/v1/health`, { headers: { 'x-forwarded-for': '198.51.100.78' } });
    expect(other.status).toBe(200);
  });
});
