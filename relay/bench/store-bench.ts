// Micro-benchmark of the SQLite MailboxStore's hot path, printing µs per message (wall and
// process CPU) and writing the figures to bench/store-bench.json.
//   node --import tsx relay/bench/store-bench.ts
// W1-like: 400 devices in 200 pairs; each round appends a batch of one-item sends (one
// transaction), reads the new entries of every touched mailbox and acknowledges them
// (acks of one turn coalesce into one transaction). W2-like: 10,000 sends to one offline
// device, then its catch-up read. Client ids are either random or time-ordered per sender,
// which decides whether the dedup index is written at random pages or at each sender's tail.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteMailboxStore } from '../src/store/sqlite.ts';
import type { AppendRequest } from '../src/store/types.ts';

const BODY = 'A'.repeat(136); // a 100-byte payload as base64url
const TTL = 30 * 86_400_000;
const devices = Array.from({ length: 400 }, (_, i) => `d${i.toString(32).padStart(15, 'a')}`);

interface Figure {
  scenario: string;
  messages: number;
  wallUsPerMsg: number;
  cpuUsPerMsg: number;
  msgPerSecond: number;
  phasesWallUs?: { append: number; read: number; ack: number };
}

async function withStore<T>(synchronous: 'FULL' | 'NORMAL', fn: (s: SqliteMailboxStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-store-bench-'));
  const store = await openSqliteStore({ path: join(dir, 'relay.db'), blobDir: join(dir, 'blobs'), synchronous });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const randomCid = () => Math.random().toString(36).slice(2, 12) + Math.random().toString(36).slice(2, 12);
let clock = 0;
const orderedCid = () => (Date.now() * 1000 + (clock++ % 1000)).toString(36).padStart(12, '0');

function report(scenario: string, messages: number, wallMs: number, cpu: NodeJS.CpuUsage, phases?: Figure['phasesWallUs']): Figure {
  const f: Figure = {
    scenario,
    messages,
    wallUsPerMsg: +((wallMs * 1000) / messages).toFixed(2),
    cpuUsPerMsg: +((cpu.user + cpu.system) / messages).toFixed(2),
    msgPerSecond: Math.round(messages / (wallMs / 1000)),
    phasesWallUs: phases,
  };
  const p = phases ? `  (append ${phases.append}, read ${phases.read}, ack ${phases.ack} µs wall)` : '';
  console.log(`${scenario.padEnd(40)} ${f.wallUsPerMsg.toFixed(2).padStart(7)} µs/msg wall ${f.cpuUsPerMsg.toFixed(2).padStart(7)} µs/msg cpu ${String(f.msgPerSecond).padStart(7)} msg/s${p}`);
  return f;
}

async function w1(batch: number, total: number, synchronous: 'FULL' | 'NORMAL', cids: 'random' | 'ordered'): Promise<Figure> {
  return withStore(synchronous, async (store) => {
    const acked = new Map<string, number>();
    const cid = cids === 'random' ? randomCid : orderedCid;
    let n = 0;
    let tAppend = 0;
    let tRead = 0;
    let tAck = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (n < total) {
      const now = Date.now();
      const requests: AppendRequest[] = new Array(batch);
      for (let i = 0; i < batch; i++, n++) {
        const s = (n * 7919) % devices.length;
        requests[i] = { sender: devices[s], cid: cid(), items: [{ device: devices[s ^ 1], body: BODY }], now, expiresAt: now + TTL };
      }
      let t = performance.now();
      const results = await store.append(requests);
      tAppend += performance.now() - t;
      t = performance.now();
      const newest = new Map<string, number>();
      for (const r of results) newest.set(r.seqs[0].device, 0);
      for (const d of newest.keys()) {
        const got = await store.read(d, acked.get(d) ?? 0, 500, now);
        newest.set(d, got[got.length - 1].seq);
      }
      tRead += performance.now() - t;
      t = performance.now();
      await Promise.all(
        [...newest].map(([d, seq]) => {
          acked.set(d, seq);
          return store.ack(d, seq);
        }),
      );
      tAck += performance.now() - t;
    }
    const wall = performance.now() - t0;
    const us = (ms: number) => +((ms * 1000) / n).toFixed(2);
    return report(`W1 ${synchronous} batch=${batch} cids=${cids}`, n, wall, process.cpuUsage(cpu0), {
      append: us(tAppend),
      read: us(tRead),
      ack: us(tAck),
    });
  });
}

async function w2(synchronous: 'FULL' | 'NORMAL'): Promise<Figure[]> {
  return withStore(synchronous, async (store) => {
    const target = devices[0];
    const total = 10_000;
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    for (let n = 0; n < total; n += 256) {
      const now = Date.now();
      const requests: AppendRequest[] = [];
      for (let i = n; i < Math.min(total, n + 256); i++) {
        requests.push({ sender: devices[1 + (i % 399)], cid: randomCid(), items: [{ device: target, body: BODY }], now, expiresAt: now + TTL });
      }
      await store.append(requests);
    }
    const ingest = report(`W2 ${synchronous} ingest batch=256`, total, performance.now() - t0, process.cpuUsage(cpu0));
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    for (let after = 0; ; ) {
      const got = await store.read(target, after, 500, Date.now());
      if (got.length === 0) break;
      after = got[got.length - 1].seq;
      await store.ack(target, after);
    }
    const catchUp = report(`W2 ${synchronous} catch-up read+ack 500`, total, performance.now() - t0, process.cpuUsage(cpu0));
    return [ingest, catchUp];
  });
}

const figures: Figure[] = [];
console.log(`SQLite MailboxStore hot path; 136-char bodies; database under ${tmpdir()}`);
figures.push(await w1(1, 5_000, 'FULL', 'random'));
for (const batch of [64, 256, 1000]) figures.push(await w1(batch, 300_000, 'FULL', 'random'));
figures.push(await w1(256, 300_000, 'FULL', 'ordered'));
figures.push(await w1(256, 300_000, 'NORMAL', 'random'));
figures.push(...(await w2('FULL')));
await writeFile(
  new URL('./store-bench.json', import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, figures }, null, 2) + '\n',
);
