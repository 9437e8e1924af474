// The measured client: a fresh process opens the recipient's profile (already holding the
// seeded history) and connects; the clock runs from before Messenger.open until the last
// of the queued messages is committed (its message.added event fires after the commit).
// Then history paging and memory. Prints one JSON line for core-bench.ts.
// argv[2]: JSON { profileDir, expect, fromUserId, conversations: string[] }
import { Messenger } from '../src/core/messenger.ts';
import { readFileSync } from 'node:fs';
import { SEARCH_QUERIES } from './corpus.ts';

/** RSS split into anonymous memory and mapped files (Linux), with process.memoryUsage(). */
function usage(): NodeJS.MemoryUsage & { anon?: number; file?: number } {
  const u = process.memoryUsage();
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
    return { ...u, anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return u;
  }
}

const args = JSON.parse(process.argv[2]) as { profileDir: string; expect: number; fromUserId: string; conversations: string[] };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mb = (b: number) => b / 1024 / 1024;

const atStart = usage();
let peakRss = atStart.rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

const started = performance.now();
let received = 0;
let firstAt = 0;
let done: () => void;
const allIn = new Promise<void>((r) => (done = r));
const m = await Messenger.open({ profileDir: args.profileDir });
const opened = usage();
m.subscribe((e) => {
  if (e.type === 'connection' && e.status.state === 'online' && !firstAt) firstAt = performance.now();
  if (e.type === 'message.added' && e.message.senderUserId === args.fromUserId && ++received === args.expect) done();
});
const timeout = setTimeout(() => {
  process.stderr.write(`catch-up stalled at ${received}/${args.expect}\n`);
  process.exit(1);
}, 300_000);
await allIn;
const catchUpMs = performance.now() - started;
clearTimeout(timeout);
// Memory as it stands once caught up (a GC first, so garbage is not counted as use).
await new Promise((r) => setTimeout(r, 200));
gc();
gc();
const caughtUp = usage();
const stored = (await m.getHistory({ conversationId: `d:${args.fromUserId}`, limit: 1 })).messages.length;

// Open a 1,000-message conversation: the newest page (what the UI loads first), and all
// 1,000 messages in two 500-message pages. Random conversations, so the cache is not warm
// for the one being opened.
const pick = (i: number) => args.conversations[(i * 7919) % args.conversations.length];
const firstPage: number[] = [];
const fullLoad: number[] = [];
for (let i = 0; i < 300; i++) {
  const conversationId = pick(i);
  let t = performance.now();
  await m.getHistory({ conversationId, limit: 50 });
  firstPage.push(performance.now() - t);
  t = performance.now();
  const newer = await m.getHistory({ conversationId, limit: 500 });
  const older = await m.getHistory({ conversationId, limit: 500, before: newer.messages[0].cursor });
  fullLoad.push(performance.now() - t);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (newer.messages.length + older.messages.length !== 1000) throw new Error(`expected 1,000 messages in ${conversationId}`);
}

// Search through the API over this database size too.
const search: number[] = [];
for (let r = 0; r < 3; r++) {
  for (const q of SEARCH_QUERIES) {
    const t = performance.now();
    await m.search({ query: q.query });
    search.push(performance.now() - t);
  }
}

clearInterval(sampler);
gc();
gc();
const after = usage();
const mem = (u: NodeJS.MemoryUsage & { anon?: number; file?: number }) => ({
  rss: mb(u.rss),
  heapUsed: mb(u.heapUsed),
  heapTotal: mb(u.heapTotal),
  external: mb(u.external),
  anon: u.anon ?? null,
  file: u.file ?? null,
});
await m.close();
process.stdout.write(
  `${JSON.stringify({
    catchUpMs,
    connectMs: firstAt ? firstAt - started : null,
    received,
    stored,
    firstPage,
    fullLoad,
    search,
    atStart: mem(atStart),
    opened: mem(opened),
    caughtUp: mem(caughtUp),
    afterReads: mem(after),
    peakRssMb: mb(peakRss),
  })}\n`,
);
process.exit(0);
