// The load generator: a child process of relay-bench.ts that runs one workload against
// the relay over loopback and reports raw figures over IPC. At the points where the
// orchestrator must read the relay's CPU and memory it sends a `mark` and waits for
// `continue`, so the measured window is exactly the workload's busy part.
import { sodiumReady } from '@parley/common/sodium';
import {
  type BenchSocket,
  LatencyHistogram,
  closeAll,
  errorCode,
  isDeliver,
  isError,
  isSent,
  login,
  loginAll,
  scanDeliver,
} from './bench-client.ts';
import { type BenchDevice, benchDevice } from './bench-identities.ts';
import type { GeneratorCommand, GeneratorMessage, W1Params, W1Result, W2Params, W2Result, W3Params, W3Result } from './protocol.ts';

const send = (m: GeneratorMessage) => process.send!(m);
let continueWaiter: (() => void) | null = null;

/** Tells the orchestrator we reached `name` and waits until it has taken its readings. */
function mark(name: string): Promise<void> {
  return new Promise((resolve) => {
    continueWaiter = resolve;
    send({ evt: 'mark', name });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** A 100-byte payload is 136 base64url characters; the relay never decodes it. */
function payloadOf(bytes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const chars = Math.ceil((bytes * 4) / 3);
  let s = '';
  for (let i = 0; i < chars; i++) s += alphabet[(i * 7919) % 64];
  return s;
}

function devices(run: string, from: number, count: number): BenchDevice[] {
  return Array.from({ length: count }, (_, i) => benchDevice(run, from + i));
}

/** Frames of one sender → one recipient: `{"t":"send","cid":"<cid>","to":[{"d":"<to>","b":"<payload>"}]}`. */
function sendFramer(pairTag: string, to: string, payload: string): (n: number) => string {
  const head = '{"t":"send","cid":"' + pairTag;
  const tail = '","to":[{"d":"' + to + '","b":"' + payload + '"}]}';
  return (n) => head + n.toString(36).padStart(8, '0') + tail;
}

// ---------------------------------------------------------------- W1: pairs

interface Pair {
  sender: BenchSocket;
  recipient: BenchSocket;
  frame: (n: number) => string;
  sent: number;
  committed: number;
  delivered: number;
  lastSeq: number;
  sendTimes: Float64Array;
  sendOne: () => void;
}

const RING = 1 << 14;

async function w1(p: W1Params): Promise<W1Result> {
  const devs = devices(p.run, 0, p.pairs * 2);
  // Senders are the even devices, recipients the odd ones; each side logs in on its relay.
  const [senderSocks, recipientSocks] = await Promise.all([
    loginAll(p.url, devs.filter((_, i) => i % 2 === 0), 32),
    loginAll(p.recipientUrl ?? p.url, devs.filter((_, i) => i % 2 === 1), 32),
  ]);
  const socks = [...senderSocks, ...recipientSocks];
  const payload = payloadOf(p.payloadBytes);
  const hist = new LatencyHistogram();
  let recording = false;
  let stopping = false;
  let anomalies = 0;
  const errors: Record<string, number> = {};
  const countError = (b: Buffer) => {
    const c = errorCode(b);
    errors[c] = (errors[c] ?? 0) + 1;
  };
  const now = () => performance.now();

  const pairs: Pair[] = [];
  for (let i = 0; i < p.pairs; i++) {
    const sender = senderSocks[i];
    const recipient = recipientSocks[i];
    const frame = sendFramer(`p${i.toString(36)}x`, recipient.device.id, payload);
    const pair: Pair = { sender, recipient, frame, sent: 0, committed: 0, delivered: 0, lastSeq: 0, sendTimes: new Float64Array(RING), sendOne: () => {} };
    pairs.push(pair);
    const sendOne = (pair.sendOne = () => {
      pair.sendTimes[pair.sent % RING] = now();
      sender.ws.send(frame(pair.sent++));
    });
    sender.onFrame = (b) => {
      if (isSent(b)) pair.committed++;
      else if (isError(b)) countError(b);
    };
    recipient.onFrame = (b) => {
      if (!isDeliver(b)) {
        if (isError(b)) countError(b);
        return;
      }
      const t = now();
      let last = 0;
      scanDeliver(b, (seq) => {
        if (seq !== pair.lastSeq + 1) anomalies++;
        pair.lastSeq = last = seq;
        if (recording) hist.record((t - pair.sendTimes[pair.delivered % RING]) * 1000);
        pair.delivered++;
        if (p.rate === 0 && !stopping) sendOne();
      });
      recipient.ws.send('{"t":"ack","upTo":' + last + '}');
    };
  }

  let skipped = 0;
  let ticker: ReturnType<typeof setTimeout> | undefined;
  if (p.rate === 0) {
    for (const pair of pairs) for (let k = 0; k < p.inFlight; k++) pair.sendOne();
  } else {
    // Open loop: every millisecond, send whatever the schedule says is due, round-robin.
    const t0 = now();
    let issued = 0;
    const tick = () => {
      if (stopping) return;
      const due = Math.floor(((now() - t0) * p.rate) / 1000);
      while (issued < due) {
        const pair = pairs[issued++ % pairs.length];
        if (pair.sent - pair.delivered >= RING - 1) skipped++;
        else pair.sendOne();
      }
      ticker = setTimeout(tick, 1);
    };
    tick();
  }
  const total = () => pairs.reduce((a, x) => a + x.delivered, 0);

  await sleep(p.warmupMs);
  await mark('start');
  recording = true;
  const d0 = total();
  const t0 = now();
  await sleep(p.durationMs);
  const d1 = total();
  const t1 = now();
  recording = false;
  await mark('end');

  // Drain: stop sending, then everything sent must be committed and delivered exactly once.
  stopping = true;
  clearTimeout(ticker);
  const drainUntil = now() + 15_000;
  const settled = () => pairs.every((x) => x.delivered === x.sent && x.committed === x.sent);
  while (!settled() && now() < drainUntil) await sleep(20);
  const sent = pairs.reduce((a, x) => a + x.sent, 0);
  const committed = pairs.reduce((a, x) => a + x.committed, 0);
  closeAll(socks);
  return {
    delivered: d1 - d0,
    seconds: (t1 - t0) / 1000,
    msgPerSecond: round((d1 - d0) / ((t1 - t0) / 1000), 0),
    p50Us: hist.quantile(0.5),
    p99Us: hist.quantile(0.99),
    p999Us: hist.quantile(0.999),
    maxUs: hist.quantile(1),
    sentTotal: sent,
    committedTotal: committed,
    deliveredTotal: total(),
    outOfOrder: anomalies,
    skipped,
    errors,
  };
}

// ---------------------------------------------------------------- W2: offline backlog

async function w2(p: W2Params): Promise<W2Result> {
  const [recipientDev, ...senderDevs] = devices(p.run, 0, p.senders + 1);
  const senders = await loginAll(p.url, senderDevs, 16);
  const payload = payloadOf(p.payloadBytes);
  const perSender = Math.ceil(p.messages / p.senders);
  const errors: Record<string, number> = {};
  let committed = 0;
  let allCommitted!: () => void;
  const done = new Promise<void>((r) => (allCommitted = r));

  await mark('ingest-start');
  const t0 = performance.now();
  senders.forEach((s, i) => {
    const frame = sendFramer(`w2s${i.toString(36)}x`, recipientDev.id, payload);
    const quota = Math.min(perSender, p.messages - i * perSender);
    let issued = 0;
    const more = () => {
      if (issued < quota) s.ws.send(frame(issued++));
    };
    s.onFrame = (b) => {
      if (isSent(b)) {
        if (++committed === p.messages) allCommitted();
        more();
      } else if (isError(b)) {
        const c = errorCode(b);
        errors[c] = (errors[c] ?? 0) + 1;
        if (++committed === p.messages) allCommitted();
        more();
      }
    };
    for (let k = 0; k < p.window; k++) more();
  });
  await done;
  const t1 = performance.now();
  await mark('ingest-end');
  closeAll(senders);
  await sleep(200);

  await mark('catchup-start');
  const c0 = performance.now();
  let received = 0;
  let anomalies = 0;
  let last = 0;
  let caughtUp!: () => void;
  const finished = new Promise<void>((r) => (caughtUp = r));
  const sock = await login(p.recipientUrl ?? p.url, recipientDev, 0);
  const ready = performance.now();
  sock.onFrame = (b) => {
    if (!isDeliver(b)) return;
    let top = 0;
    received += scanDeliver(b, (seq) => {
      if (seq !== last + 1) anomalies++;
      last = top = seq;
    });
    sock.ws.send('{"t":"ack","upTo":' + top + '}');
    if (received >= p.messages) caughtUp();
  };
  for (const b of sock.early.splice(0)) sock.onFrame(b);
  await Promise.race([finished, sleep(30_000)]);
  const c1 = performance.now();
  await mark('catchup-end');
  sock.ws.terminate();
  return {
    messages: p.messages,
    ingestSeconds: (t1 - t0) / 1000,
    ingestMsgPerSecond: round(p.messages / ((t1 - t0) / 1000), 0),
    catchupMs: round(c1 - c0, 1),
    loginMs: round(ready - c0, 1),
    deliversBeforeReady: sock.deliversBeforeReady,
    received,
    outOfOrder: anomalies,
    errors,
  };
}

// ---------------------------------------------------------------- W3: idle connections

async function w3(p: W3Params): Promise<W3Result> {
  const devs = devices(p.run, p.from, p.count);
  await mark('logins-start');
  const t0 = performance.now();
  const socks = await loginAll(p.url, devs, p.concurrency);
  const t1 = performance.now();
  await mark('logins-end');
  await mark('idle-end');
  const open = socks.filter((s) => s.ws.readyState === s.ws.OPEN).length;
  closeAll(socks);
  return { connections: p.count, open, seconds: (t1 - t0) / 1000 };
}

// ---------------------------------------------------------------- IPC

process.on('message', (m: GeneratorCommand) => {
  if (m.cmd === 'continue') {
    const w = continueWaiter;
    continueWaiter = null;
    w?.();
    return;
  }
  void (async () => {
    try {
      await sodiumReady();
      const result = m.cmd === 'w1' ? await w1(m.params) : m.cmd === 'w2' ? await w2(m.params) : await w3(m.params);
      send({ evt: 'result', result });
    } catch (err) {
      send({ evt: 'failed', error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
