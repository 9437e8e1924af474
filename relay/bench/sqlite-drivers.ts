// Micro-benchmark of the SQLite store's two drivers through its public API: better-sqlite3
// (Node) and node:sqlite (Deno). Appends in group-commit batches, reads the mailboxes back
// in delivery pages, acks them. Prints one JSON line and appends it to
// sqlite-drivers.jsonl beside this file; run each driver under its runtime:
//   node --import tsx relay/bench/sqlite-drivers.ts
//   node_modules/deno/deno run -A relay/bench/sqlite-drivers.ts
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSqliteDriver } from '../src/store/sqlite-driver.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';

const DEVICES = 100;
const BATCH = 50; // sends per append (one transaction), as group commit produces under load
const body = 'x'.repeat(200); // ~ a short message's base64url ciphertext

async function run(synchronous: 'FULL' | 'NORMAL', sends: number) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-sqlite-bench-'));
  const store = await openSqliteStore({ path: join(dir, 'relay.db'), blobDir: join(dir, 'blobs'), synchronous });
  try {
    const now = Date.now();
    let t = performance.now();
    for (let i = 0; i < sends; i += BATCH) {
      const requests = [];
      for (let j = i; j < Math.min(sends, i + BATCH); j++) {
        requests.push({ sender: 'sender', cid: `c${j}`, items: [{ device: `d${j % DEVICES}`, body }], now, expiresAt: now + 86_400_000 });
      }
      await store.append(requests);
    }
    const appendMs = performance.now() - t;
    t = performance.now();
    let read = 0;
    for (let d = 0; d < DEVICES; d++) {
      let after = 0;
      for (;;) {
        const page = await store.read(`d${d}`, after, 100, now);
        if (page.length === 0) break;
        read += page.length;
        after = page[page.length - 1].seq;
      }
      await store.ack(`d${d}`, after);
    }
    const readAckMs = performance.now() - t;
    if (read !== sends) throw new Error(`read ${read} of ${sends}`);
    return { synchronous, sends, appendsPerSecond: Math.round(sends / (appendMs / 1000)), readAckEntriesPerSecond: Math.round(read / (readAckMs / 1000)) };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const runtime = 'Deno' in globalThis ? `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno}` : `node ${process.versions.node}`;
await run('NORMAL', 5_000); // warm-up
const results = [await run('NORMAL', 50_000), await run('FULL', 20_000)];
const line = JSON.stringify({ at: new Date().toISOString(), runtime, driver: defaultSqliteDriver(), batch: BATCH, bodyBytes: body.length, results });
console.log(line);
await appendFile(join(import.meta.dirname!, 'sqlite-drivers.jsonl'), line + '\n');
