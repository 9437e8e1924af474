// kill -9 under load. A real relay process on a temporary data directory (the embedded
// store, default durability: WAL + synchronous=FULL) is SIGKILLed at seeded random
// moments while a sender streams messages, then restarted on the same directory and
// port. The sender keeps an outbox: every message is retried with its cid until a `sent`
// arrives. The recipient stays connected (reconnecting after each kill), acknowledges
// what it gets, logs in without `after` so the relay redelivers whatever it still holds,
// and deduplicates by mailbox seq. At the end every message the relay acknowledged must
// have been delivered, exactly once after that dedup, under a single seq.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64Url, utf8 } from '@parley/common/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestAccount, registerUser, sodiumReady } from './support/client.ts';
import { RelayProcess, freePort, openSession, seededRandom } from './support/faults-relay.ts';

const SEED = Number(process.env.PARLEY_FAULT_SEED ?? 0x5eed9);
const KILLS = 5;
/** Each kill comes this long (uniformly random) after the relay is back up. */
const KILL_AFTER_MS: [number, number] = [1_000, 2_500];
const IN_FLIGHT = 64;
/** The sender's pace: about 500 new messages a second. */
const RATE_PER_MS = 0.5;

let relay: RelayProcess;
let dataDir: string;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  await sodiumReady();
  dataDir = await mkdtemp(join(tmpdir(), 'parley-kill9-'));
  relay = new RelayProcess(dataDir, await freePort(), ['--device-frames-per-second', '0', '--address-requests-per-second', '0']);
  await relay.start();
  alice = await registerUser(relay.host, 1);
  bob = await registerUser(relay.host, 1);
}, 30_000);
afterAll(async () => {
  await relay?.kill9();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bodyOf = (cid: string) => toBase64Url(utf8(`${cid}|${'x'.repeat(40)}`));
const cidOf = (body: string) => Buffer.from(body, 'base64url').toString('utf8').split('|')[0];

type Session = Awaited<ReturnType<typeof openSession>>;

/** Logs in, retrying while the relay is down. */
async function connect(device: TestAccount['devices'][number], onFrame: (f: any, ws: Session['ws']) => void, stop: () => boolean): Promise<Session | null> {
  while (!stop()) {
    try {
      return await openSession(relay, device, onFrame);
    } catch {
      await sleep(50);
    }
  }
  return null;
}

describe('kill -9 under load', () => {
  it('delivers every acknowledged message exactly once (after client dedup) across 5 SIGKILLs', async () => {
    const random = seededRandom(SEED);
    const [a] = alice.devices;
    const [b] = bob.devices;
    let sending = true;
    let finished = false;

    // ---- sender: an outbox of cids, retried on every (re)connection until acknowledged
    const created: string[] = [];
    const t0 = performance.now();
    const unacked = new Set<string>();
    const acked = new Set<string>();
    let frames = 0;
    let retries = 0;
    let dupAcks = 0;
    const sender = (async () => {
      while (!finished) {
        const inFlight = new Set<string>();
        const sock = await connect(
          a,
          (f) => {
            if (f.t !== 'sent') return;
            inFlight.delete(f.cid);
            if (f.dup) dupAcks++;
            if (unacked.delete(f.cid)) acked.add(f.cid);
          },
          () => finished,
        );
        if (!sock) break;
        let open = true;
        const closed = sock.closed.then(() => {
          open = false;
        });
        const post = (cid: string) => {
          inFlight.add(cid);
          frames++;
          sock.ws.send(JSON.stringify({ t: 'send', cid, to: [{ d: b.id, b: bodyOf(cid) }] }));
        };
        // Everything not yet acknowledged goes again, with the same cid.
        for (const cid of unacked) {
          if (inFlight.size >= IN_FLIGHT) break;
          retries++;
          post(cid);
        }
        while (open && !finished) {
          if (inFlight.size < IN_FLIGHT) {
            const retry = [...unacked].find((c) => !inFlight.has(c));
            if (retry) {
              retries++;
              post(retry);
            } else if (sending && created.length >= (performance.now() - t0) * RATE_PER_MS) {
              await sleep(2);
            } else if (sending) {
              const cid = `k9-${created.length.toString().padStart(6, '0')}`;
              created.push(cid);
              unacked.add(cid);
              post(cid);
            } else await sleep(5);
          } else await sleep(2);
        }
        sock.ws.close();
        await closed;
      }
    })();

    // ---- recipient: connected throughout, dedup by seq, ack each deliver frame
    const bySeq = new Map<number, string>(); // seq → cid
    const seqsOfCid = new Map<string, Set<number>>();
    let deliveredEntries = 0;
    let duplicates = 0;
    let recipientSessions = 0;
    let seqConflicts = 0;
    const recipient = (async () => {
      while (!finished) {
        const sock = await connect(
          b,
          (f, ws) => {
            if (f.t !== 'deliver') return;
            for (const e of f.m as { s: number; b: string }[]) {
              deliveredEntries++;
              if (bySeq.has(e.s)) {
                duplicates++;
                if (bySeq.get(e.s) !== cidOf(e.b)) seqConflicts++; // a seq must never name two messages
                continue;
              }
              const cid = cidOf(e.b);
              bySeq.set(e.s, cid);
              if (!seqsOfCid.has(cid)) seqsOfCid.set(cid, new Set());
              seqsOfCid.get(cid)!.add(e.s);
            }
            ws.send(JSON.stringify({ t: 'ack', upTo: f.m[f.m.length - 1].s }));
          },
          () => finished,
        );
        if (!sock) break;
        recipientSessions++;
        const stopWatching = new Promise<void>((resolve) => {
          const timer = setInterval(() => finished && resolve(), 50);
          void sock.closed.then(() => {
            clearInterval(timer);
            resolve();
          });
        });
        await stopWatching;
        sock.ws.close();
      }
    })();

    // ---- the killer: seeded random moments, restart on the same data directory and port
    const kills: { afterMs: number; ackedBefore: number; restartMs: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const afterMs = Math.round(KILL_AFTER_MS[0] + random() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]));
      await sleep(afterMs);
      const ackedBefore = acked.size;
      await relay.kill9();
      const restartMs = Math.round(await relay.start());
      kills.push({ afterMs, ackedBefore, restartMs });
    }
    await sleep(1_000);
    sending = false;

    // ---- drain: every message acknowledged, then every acknowledged one delivered
    const deadline = Date.now() + 20_000;
    while ((unacked.size > 0 || [...acked].some((c) => !seqsOfCid.has(c))) && Date.now() < deadline) await sleep(50);
    finished = true;
    await Promise.all([sender, recipient]);

    const lost = [...acked].filter((c) => !seqsOfCid.has(c));
    const twice = [...seqsOfCid].filter(([, seqs]) => seqs.size > 1).map(([c]) => c);
    const stray = [...seqsOfCid.keys()].filter((c) => !created.includes(c));
    const report = {
      seed: SEED,
      kills: kills.length,
      killAfterMs: kills.map((k) => k.afterMs),
      restartMs: kills.map((k) => k.restartMs),
      messages: created.length,
      sendFrames: frames,
      retries,
      acked: acked.size,
      ackedAsDuplicate: dupAcks,
      deliveredEntries,
      duplicatesRemovedByDedup: duplicates,
      deliveredUnique: seqsOfCid.size,
      recipientSessions,
      lostAcknowledged: lost.length,
      storedTwice: twice.length,
      seqConflicts,
    };
    console.log(`[kill -9] ${JSON.stringify(report)}`);
    if (lost.length || twice.length) console.log(`[kill -9] relay log:\n${relay.log.slice(-30).join('\n')}`);

    expect(kills).toHaveLength(KILLS);
    expect(created.length).toBeGreaterThan(500); // it really was under load
    expect(kills.every((k, i) => i === 0 || k.ackedBefore > kills[i - 1].ackedBefore)).toBe(true); // acks kept coming between kills
    expect(unacked.size).toBe(0);
    expect(lost).toEqual([]); // zero acknowledged messages lost
    expect(twice).toEqual([]); // a retried cid was stored once (relay-side idempotency survived the kills)
    expect(stray).toEqual([]);
    expect(seqConflicts).toBe(0);
    expect(seqsOfCid.size).toBe(acked.size);
    // Seqs stay gapless across crashes: a rolled-back transaction reissues its numbers.
    const seqs = [...bySeq.keys()].sort((x, y) => x - y);
    expect(seqs[0]).toBe(1);
    expect(seqs[seqs.length - 1]).toBe(seqs.length);
  }, 80_000);
});
