// Byte-level fuzzing of the relay's own WebSocket framing (src/node-websocket.ts) on a live
// relay process: thousands of raw TCP connections (node:net, no WebSocket library) that
// upgrade (or send a broken upgrade) and then write well-formed and hostile frames, in one
// write, in random pieces or one byte at a time, from a seeded PRNG (printed; rerun with
// PARLEY_FUZZ_SEED=<seed>, PARLEY_FUZZ_CONNECTIONS=<n>). The cases are in
// ./support/ws-fuzz-cases.ts; what the relay must answer is derived from the bytes by the
// reference reader in ./support/ws-wire.ts (RFC 6455 and docs/protocol.md):
// - a broken upgrade gets its HTTP status (and Problem body), every pong and app reply
//   the bytes call for arrives in order, and the close code is exactly the expected one
//   (1002, 1007, 1009, an echo of the client's valid close, or 4002 for a slowloris);
// - the relay cuts every connection off within a bound (CLOSE_TIMEOUT_MS, 10 s) even
//   when the client never answers or ends its side;
// - the relay process stays up and logs no error; afterwards it holds no socket beyond
//   its baseline and its heap after a full GC is back near where it started;
// - throughout, a well-behaved pair of devices exchanges messages exactly once, in order.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ClientFrame, DEFAULT_LIMITS, HARD_LIMITS, ServerFrame } from '@parley/common/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAGMENTS } from '../src/node-websocket.ts';
import { type TestAccount, registerUser, sodiumReady } from './support/client.ts';
import { type FuzzRelay, startFuzzRelay } from './support/fuzz-relay.ts';
import { Rng, fuzzSeed } from './support/fuzz-rng.ts';
import { wellBehavedPair } from './support/well-behaved.ts';
import { type ConnectionPlan, type FuzzLimits, makePlan } from './support/ws-fuzz-cases.ts';
import { OP, closePayload, encodeFrame, expectFromBytes } from './support/ws-wire.ts';
import { RawConnection } from './support/ws-raw-connection.ts';

const SEED = fuzzSeed();
const CONNECTIONS = Number(process.env.PARLEY_FUZZ_CONNECTIONS ?? 2000);
const SLOWLORIS = 4;
const PARALLEL = 12;
const AUTH_TIMEOUT_MS = 3000;
/** The relay's wait for a peer's close frame or FIN before it destroys the socket (node-websocket.ts). */
const CLOSE_TIMEOUT_MS = 10_000;
/** Slack on every bound: a loaded machine, two cores. Bounds are for liveness, not speed. */
const SLACK_MS = 5000;
const LIMITS_UNDER_FUZZ: FuzzLimits = { maxMessageBytes: HARD_LIMITS.maxFrameBytes, maxFragments: MAX_FRAGMENTS, maxAppFrameBytes: DEFAULT_LIMITS.maxFrameBytes };
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const RELAY_FLAGS = [
  '--sqlite-synchronous', 'NORMAL',
  '--auth-timeout-ms', String(AUTH_TIMEOUT_MS),
  // Pre-login garbage counts as bad frames; the framing, not that limit, is under test here.
  '--max-bad-frames', '100000',
  '--address-requests-per-second', '0',
  // The well-behaved pair sends as fast as the relay answers (faster than 500 frames a
  // second once the fuzzing is done); the rate limit is not under test.
  '--device-frames-per-second', '100000',
  '--device-frame-burst', '100000',
];
const GC_PRELOAD = fileURLToPath(new URL('./support/gc-on-signal.ts', import.meta.url));

interface Stats {
  byLabel: Record<string, number>;
  closes: Record<string, number>;
  statuses: Record<string, number>;
  authTimeouts: number;
  goodMessages: number;
  violations: string[];
}
const stats: Stats = { byLabel: {}, closes: {}, statuses: {}, authTimeouts: 0, goodMessages: 0, violations: [] };
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);

let relay: FuzzRelay;
let good: [TestAccount, TestAccount];

/** GET /metrics on a connection of its own (no keep-alive socket left behind), as name{labels} → value. */
function metrics(): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(relay.host.split(':')[1]), path: '/metrics', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const out = new Map<string, number>();
        for (const line of body.split('\n')) {
          const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
          if (m) out.set(m[1], Number(m[2]));
        }
        resolve(out);
      });
    });
    req.on('error', reject);
    req.end();
  });
}
const socketHandles = (m: Map<string, number>) => m.get('parley_nodejs_active_handles{type="Socket"}') ?? 0;

beforeAll(async () => {
  console.log(`ws byte fuzz seed ${SEED} (rerun with PARLEY_FUZZ_SEED=${SEED})`);
  await sodiumReady();
  relay = await startFuzzRelay(RELAY_FLAGS, ['--expose-gc', '--import', GC_PRELOAD]);
}, 60_000);

afterAll(async () => {
  await relay?.stop();
});

/** Lingering checks that end after the relay's close timeout; awaited at the end. */
const lingering: Promise<void>[] = [];

/**
 * After the relay closed (or refused) a connection: a replying client ends its side and
 * the TCP connection must be gone soon; a silent one never ends, and the relay must still
 * drop the connection by its close timeout (a write then meets a reset).
 */
function expectTcpClose(c: RawConnection, plan: ConnectionPlan, what: string, violation: (s: string) => void): void {
  if (plan.after === 'reply') {
    c.socket.end();
    lingering.push(c.until(() => c.closed, SLACK_MS).then((ok) => void (ok || violation(`${what}: the TCP connection was still open ${SLACK_MS} ms after the client ended its side`))));
    return;
  }
  lingering.push(
    (async () => {
      // Our side stays open after the relay's FIN, so its destroy shows only on a write: a
      // write to a socket the relay destroyed draws a reset and the next write fails
      // (EPIPE); a socket the relay still holds takes them all.
      const deadline = Date.now() + CLOSE_TIMEOUT_MS + SLACK_MS;
      await c.until(() => c.closed, CLOSE_TIMEOUT_MS + 500);
      while (!c.closed && Date.now() < deadline) {
        c.socket.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
        await c.until(() => c.closed, 250);
      }
      if (!c.closed) violation(`${what}: the relay still held the connection ${CLOSE_TIMEOUT_MS + SLACK_MS} ms after closing it, for a client that never ended its side`);
      c.socket.destroy();
    })(),
  );
}

async function runConnection(plan: ConnectionPlan, rng: Rng, index: number): Promise<void> {
  bump(stats.byLabel, plan.label);
  const what = `connection ${index} (${plan.label}, ${plan.writes}${plan.pipelined ? ', pipelined' : ''}, ${plan.after})`;
  const violation = (s: string) => {
    if (stats.violations.length < 60) stats.violations.push(`${s} [seed ${SEED}]`);
  };
  const c = new RawConnection(Number(relay.host.split(':')[1]), plan.after === 'silent');
  const started = Date.now();
  if (plan.pipelined) await c.write(Buffer.concat([plan.request, plan.stream]), plan.writes, rng);
  else await c.write(plan.request, plan.writes === 'bytes' ? 'chunks' : plan.writes, rng);

  if (!(await c.until(() => c.closed || (c.response !== null && (c.response.status === 101 || c.ended)), 10_000))) {
    violation(`${what}: no HTTP response within 10 s`);
    c.socket.destroy();
    return;
  }
  if (!c.response) {
    // Node's parser gives up on headers over 16 KiB, writes 431 and destroys the socket;
    // with our request not all read, that close is a reset, which may discard the 431.
    if (plan.status === 431) bump(stats.statuses, 'reset');
    else violation(`${what}: closed without an HTTP response`);
    return;
  }
  bump(stats.statuses, String(c.response.status));
  if (c.response.status !== plan.status) {
    violation(`${what}: HTTP ${c.response.status}, expected ${plan.status}`);
    c.socket.destroy();
    return;
  }
  if (plan.status !== 101) {
    await c.until(() => c.ended || c.closed, 10_000);
    const res = c.response;
    if (plan.problem) {
      let code: unknown;
      try {
        code = (JSON.parse(res.body) as { code?: unknown }).code;
      } catch {
        code = undefined;
      }
      if (code !== plan.problem) violation(`${what}: refusal body ${JSON.stringify(res.body.slice(0, 200))}, expected a Problem with code ${plan.problem}`);
    }
    // RFC 6455 4.4: a version the server does not speak is answered with the versions it does.
    if (plan.label === 'upgrade: wrong version' || plan.label === 'upgrade: no version') {
      if (res.headers.get('sec-websocket-version') !== '13') violation(`${what}: refusal without Sec-WebSocket-Version: 13`);
    }
    if (!c.ended && !c.closed) violation(`${what}: the relay did not end the connection after refusing the upgrade`);
    expectTcpClose(c, plan, what, violation);
    return;
  }

  const accept = createHash('sha1').update(plan.key + GUID).digest('base64');
  if (c.response.headers.get('sec-websocket-accept') !== accept) violation(`${what}: wrong Sec-WebSocket-Accept`);
  if ((c.response.headers.get('sec-websocket-protocol') ?? null) !== plan.protocol) violation(`${what}: subprotocol ${c.response.headers.get('sec-websocket-protocol')}, expected ${plan.protocol}`);
  if (!plan.pipelined) await c.write(plan.stream, plan.writes, rng);

  const expected = expectFromBytes(plan.stream, LIMITS_UNDER_FUZZ);
  let expectClose: number;
  if ('close' in expected.end) expectClose = expected.end.close;
  else if (plan.slowloris) expectClose = 4002;
  else if (expected.end.open === 'mid-frame') expectClose = -1; // we end our side; the relay ends its, no close frame
  else {
    // Everything was read: close the normal way, mid-message or not (control frames may interleave).
    c.socket.write(encodeFrame({ opcode: OP.close, payload: closePayload(1000, Buffer.from('bye')) }));
    expectClose = 1000;
  }
  if (expectClose === -1) {
    c.socket.end();
    if (!(await c.until(() => c.closed, SLACK_MS))) violation(`${what}: still open ${SLACK_MS} ms after the client ended its side mid-frame`);
  } else {
    const bound = plan.slowloris ? AUTH_TIMEOUT_MS + SLACK_MS : 10_000;
    await c.until(() => c.frames.some((f) => f.opcode === OP.close) || c.closed, bound);
  }

  // What came back, against what the bytes called for.
  const closeAt = c.frames.findIndex((f) => f.opcode === OP.close);
  const close = closeAt >= 0 ? c.frames[closeAt] : null;
  const code = close ? (close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005) : null;
  bump(stats.closes, String(code ?? 'none'));
  const timedOut = code === 4002 && Date.now() - started >= AUTH_TIMEOUT_MS - 100;
  if (timedOut) stats.authTimeouts++;
  if (expectClose !== -1 && code !== expectClose && !timedOut) {
    const why = 'close' in expected.end ? expected.end.why : expected.end.open;
    violation(`${what}: close ${code ?? 'none'} (TCP ${c.closed ? 'closed' : 'open'}), expected ${expectClose} (${why}); stream ${plan.stream.length} bytes: ${plan.stream.subarray(0, 64).toString('hex')}`);
  }
  if (expectClose === -1 && close && !timedOut) violation(`${what}: close ${code} for a frame left unfinished`);
  if (closeAt >= 0 && closeAt < c.frames.length - 1) violation(`${what}: ${c.frames.length - 1 - closeAt} frames after the close frame`);
  const pongs: Buffer[] = [];
  const replies: ServerFrame[] = [];
  for (const [i, f] of c.frames.entries()) {
    if (f.masked || f.rsv !== 0 || !f.fin || ![OP.text, OP.close, OP.pong].includes(f.opcode as 1)) violation(`${what}: server frame ${i} with fin ${f.fin} rsv ${f.rsv} opcode ${f.opcode} masked ${f.masked}`);
    if (f.opcode === OP.pong) pongs.push(f.payload);
    if (f.opcode !== OP.text) continue;
    const parsed = ServerFrame.safeParse(JSON.parse(f.payload.toString('utf8')));
    if (!parsed.success) violation(`${what}: server frame outside the v1 schema: ${f.payload.toString('utf8').slice(0, 200)}`);
    else if (i === 0 ? parsed.data.t !== 'challenge' : parsed.data.t === 'challenge') violation(`${what}: challenge not first`);
    else if (i > 0) replies.push(parsed.data);
  }
  // A relay that timed the login out first may have read less: then a prefix is enough.
  const samePongs = timedOut ? pongs.every((p, i) => expected.pongs[i]?.equals(p)) : pongs.length === expected.pongs.length && pongs.every((p, i) => p.equals(expected.pongs[i]));
  if (!samePongs) violation(`${what}: ${pongs.length} pongs, expected ${expected.pongs.length} with the pings' payloads`);
  // Before login the app answers a ping with a pong, takes a pong silently and refuses
  // anything else with one error frame (a bit flip may make any of these).
  const wantReplies = expected.messages.flatMap((m) => {
    if ('binary' in m) return ['error'];
    let parsed: ReturnType<typeof ClientFrame.safeParse>;
    try {
      parsed = ClientFrame.safeParse(JSON.parse(m.text));
    } catch {
      return ['error'];
    }
    if (!parsed.success) return ['error'];
    if (parsed.data.t === 'ping') return [`pong ${parsed.data.n}`];
    if (parsed.data.t === 'pong') return [];
    return ['error'];
  });
  const gotReplies = replies.filter((r) => !(timedOut && r.t === 'error' && r.code === 'auth_expired')).map((r) => (r.t === 'pong' ? `pong ${r.n}` : r.t));
  const sameReplies = timedOut ? gotReplies.every((r, i) => r === wantReplies[i]) : gotReplies.join() === wantReplies.join();
  if (!sameReplies) violation(`${what}: replies ${JSON.stringify(gotReplies).slice(0, 300)}, expected ${JSON.stringify(wantReplies).slice(0, 300)}`);

  if (expectClose === -1) {
    c.socket.destroy();
    return;
  }
  if (!close) {
    c.socket.destroy();
    return;
  }
  if (plan.after === 'reply' && code !== 1000 && !(expected.end as { why?: string }).why?.startsWith('close echoed')) {
    // The relay started the closing handshake: answer it.
    c.socket.write(encodeFrame({ opcode: OP.close, payload: close.payload.subarray(0, 2) }));
  }
  expectTcpClose(c, plan, what, violation);
}

describe('WebSocket framing under byte-level fuzzing', () => {
  it(`answers ${CONNECTIONS} raw connections of random and hostile bytes with the documented status or close code, and leaks nothing`, async () => {
    const master = new Rng(SEED);
    const baseline = await metrics();
    good = [await registerUser(relay.host, 1), await registerUser(relay.host, 1)];
    // One seed per connection, its plan made when it runs (the same plans, whatever the timing).
    const seeds = Array.from({ length: CONNECTIONS }, () => master.u32());
    const plan = (i: number) => {
      const rng = new Rng(seeds[i]);
      return { plan: makePlan(rng, relay.host, LIMITS_UNDER_FUZZ), rng };
    };
    const slowloris = Array.from({ length: SLOWLORIS }, () => {
      const rng = new Rng(master.u32());
      return { plan: makePlan(rng, relay.host, LIMITS_UNDER_FUZZ, { slowloris: true }), rng };
    });

    // The heap baseline after a warm-up (the code paths compiled, the caches filled).
    // (Silent clients of the warm-up may still be open: they only lower the heap afterwards.)
    for (let i = 0; i < 40; i++) {
      const p = plan(i);
      await runConnection(p.plan, p.rng, i);
    }
    await relay.gc();
    const heapBefore = (await metrics()).get('parley_nodejs_heap_size_used_bytes') ?? 0;

    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    let fuzzing = true;
    const pair = wellBehavedPair(relay, [good[0].devices[0], good[1].devices[0]], () => !fuzzing, () => stats.goodMessages++);
    const started = performance.now();
    let next = 40;
    let workersDone = 0;
    await Promise.all([
      ...slowloris.map((p, i) => runConnection(p.plan, p.rng, CONNECTIONS + i)),
      ...Array.from({ length: PARALLEL }, async () => {
        while (next < CONNECTIONS) {
          const i = next++;
          const p = plan(i);
          await runConnection(p.plan, p.rng, i);
        }
        workersDone = performance.now();
      }),
    ]);
    fuzzing = false;
    const goodResult = await pair.catch((err: Error) => ({ sent: [0, 0], problems: [`the well-behaved pair failed: ${err.message}`] }));
    await Promise.all(lingering.splice(0));
    const seconds = (performance.now() - started) / 1000;
    lag.disable();

    // Back to the baseline: no WebSocket connection and no socket beyond the one asking.
    let after = await metrics();
    for (let i = 0; i < 40 && (socketHandles(after) > socketHandles(baseline) || (after.get('parley_connections_open') ?? 0) > 0); i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await metrics();
    }
    await relay.gc();
    const heapAfter = (await metrics()).get('parley_nodejs_heap_size_used_bytes') ?? 0;
    console.log(
      `ws byte fuzz seed ${SEED}: ${CONNECTIONS + SLOWLORIS} connections in ${seconds.toFixed(1)} s (${((workersDone - started) / 1000).toFixed(1)} s before the lingering checks); classes ${JSON.stringify(stats.byLabel)}; ` +
        `statuses ${JSON.stringify(stats.statuses)}; closes ${JSON.stringify(stats.closes)} (${stats.authTimeouts} login timeouts); well-behaved messages ${stats.goodMessages}; ` +
        `socket handles ${socketHandles(baseline)} → ${socketHandles(after)}; heap after a full GC ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB; ` +
        `test process event-loop delay max ${(lag.max / 1e6).toFixed(0)} ms`,
    );
    expect(stats.violations).toEqual([]);
    // Not vacuous: a run of the default size meets every refusal the fuzzer aims at (a
    // short exploratory run, PARLEY_FUZZ_CONNECTIONS below 1000, may miss a rare one).
    if (CONNECTIONS >= 1000) {
      for (const code of ['1002', '1005', '1007', '1009', '1000', '4002']) expect(stats.closes).toHaveProperty(code);
      for (const status of ['101', '400', '404', '431']) expect(stats.statuses).toHaveProperty(status);
    }
    expect(relay.alive()).toBe(true);
    expect(relay.errorLines).toEqual([]);
    expect(goodResult.problems).toEqual([]);
    expect(goodResult.sent[0] + goodResult.sent[1]).toBeGreaterThan(10);
    expect(after.get('parley_connections_open')).toBe(0);
    expect(socketHandles(after)).toBeLessThanOrEqual(socketHandles(baseline));
    // Not a byte-exact figure (compiled code, caches), but a leak per connection would be megabytes.
    expect(heapAfter - heapBefore).toBeLessThan(4 * 2 ** 20);
  }, 120_000);
});
