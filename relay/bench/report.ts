// Writes the relay's section of BENCHMARKS.md (between <!-- relay:start --> and
// <!-- relay:end -->; the rest of the file belongs to other benches and is kept as is).
// Figures come from relay-bench.json, merged per workload so `--only w2` refreshes W2
// without dropping the others; the profile summary and the optimisation log come from
// relay-bench-notes.md, which people edit by hand.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RELAY_DIR } from './relay-process.ts';

export interface BenchRecord {
  workload: string;
  title: string;
  figures: Record<string, number>;
  checks: Record<string, boolean>;
  raw: unknown;
}

export interface BenchMeta {
  date: string;
  commit?: string;
  cpu: string;
  cores: number;
  node: string;
  synchronous: string;
  quick: boolean;
  loadBefore: number;
  loadAfter: number;
  relaySettings: string;
  /** The relay's runtime (`Node v20…` or `deno 2…`) and how many relays ran; absent in older records. */
  runtime?: string;
  relays?: number;
}

/**
 * Runs other than the single Node relay's headline table: each writes its own subsection
 * (its own results file and markers, right after the relay section) and never touches the
 * headline table. `baseline` is the single Node relay measured in the same session as the
 * others, the column they are compared with.
 */
export type BenchVariant = 'deno' | 'redis' | 'baseline';

interface Stored {
  records: (BenchRecord & { meta: BenchMeta })[];
}

const BENCHMARKS = join(RELAY_DIR, '..', 'BENCHMARKS.md');
const RESULTS = join(RELAY_DIR, 'bench', 'relay-bench.json');
const NOTES = join(RELAY_DIR, 'bench', 'relay-bench-notes.md');
const START = '<!-- relay:start -->';
const END = '<!-- relay:end -->';

/** Targets from the issue: [figure, comparison, value]. */
const TARGETS: Record<string, [string, '>=' | '<=', number][]> = {
  w1: [
    ['delivered msg/s', '>=', 40_000],
    ['relay CPU-s per 100k msgs', '<=', 2.5],
  ],
  'w1-paced': [['p99 latency ms', '<=', 1]],
  w2: [
    ['ingest msg/s', '>=', 50_000],
    ['catch-up ms (open → all received)', '<=', 100],
  ],
  w3: [
    ['relay KiB per connection', '<=', 6],
    ['logins/s', '>=', 5_000],
  ],
};

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  if (Math.abs(x) >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

const resultsFile = (variant?: BenchVariant) => (variant ? join(RELAY_DIR, 'bench', `relay-bench-${variant}.json`) : RESULTS);

async function readStored(variant?: BenchVariant): Promise<Stored> {
  const file = resultsFile(variant);
  if (!existsSync(file)) return { records: [] };
  try {
    const prev = JSON.parse(await readFile(file, 'utf8')) as Partial<Stored>;
    return { records: Array.isArray(prev.records) ? prev.records : [] };
  } catch {
    return { records: [] };
  }
}

/** Merges this run's records into relay-bench.json (or the variant's file) and returns every stored record. */
export async function mergeResults(meta: BenchMeta, records: BenchRecord[], variant?: BenchVariant): Promise<Stored> {
  const RESULTS = resultsFile(variant);
  let stored: Stored = { records: [] };
  if (existsSync(RESULTS)) {
    try {
      const prev = JSON.parse(await readFile(RESULTS, 'utf8')) as Partial<Stored>;
      if (Array.isArray(prev.records)) stored = { records: prev.records };
    } catch {
      // unreadable: start over
    }
  }
  for (const r of records) {
    stored.records = stored.records.filter((x) => x.workload !== r.workload);
    stored.records.push({ ...r, meta });
  }
  const order = ['w1', 'w1-paced', 'w2', 'w3'];
  stored.records.sort((a, b) => order.indexOf(a.workload) - order.indexOf(b.workload));
  await writeFile(RESULTS, JSON.stringify(stored, null, 2) + '\n');
  return stored;
}

function render(stored: Stored, notes: string): string {
  const lines: string[] = [START, '## Relay', ''];
  lines.push('Produced by `npm run bench:relay` (relay/bench/relay-bench.ts); rerun a single workload with');
  lines.push('`npm run bench:relay -- --only w1` (or `w1-paced`, `w2`, `w3`). The relay runs as its own');
  lines.push('process (src/node.ts, fresh temp data dir, embedded SQLite store); load generators are');
  lines.push('separate processes over 127.0.0.1; CPU is utime+stime from /proc, memory is VmRSS.');
  lines.push('');
  lines.push('| workload | figure | measured | target | |');
  lines.push('|---|---|---:|---:|---|');
  for (const r of stored.records) {
    const targets = TARGETS[r.workload] ?? [];
    for (const [k, v] of Object.entries(r.figures)) {
      const t = targets.find(([name]) => name === k);
      const verdict = t ? ((t[1] === '>=' ? v >= t[2] : v <= t[2]) ? 'met' : '**short**') : '';
      lines.push(`| ${r.title} | ${k} | ${fmt(v)} | ${t ? `${t[1] === '>=' ? '≥' : '≤'} ${fmt(t[2])}` : ''} | ${verdict} |`);
    }
    for (const [k, ok] of Object.entries(r.checks)) lines.push(`| ${r.title} | check: ${k} | ${ok ? 'ok' : '**FAILED**'} | | |`);
  }
  lines.push('');
  lines.push('Runs:');
  lines.push('');
  for (const r of stored.records) {
    const m = r.meta;
    lines.push(`- ${r.workload}: ${m.date.slice(0, 16).replace('T', ' ')} UTC${m.commit ? `, commit ${m.commit}` : ''}, ${m.cpu}, ${m.cores} cores, Node ${m.node}, SQLite synchronous=${m.synchronous}, load average ${m.loadBefore} before / ${m.loadAfter} after.`);
  }
  const settings = stored.records[0]?.meta.relaySettings;
  if (settings) {
    lines.push('');
    lines.push(`Relay flags (beyond the defaults): \`${settings}\`. All load comes from one address, so the`);
    lines.push('per-address limit is off; the per-device frame limit is raised above what one bench device');
    lines.push('sends. Everything else (delivery window 2,000, deliver batch 500, heartbeat, TTL) is default.');
  }
  lines.push('');
  if (notes.trim()) lines.push(notes.trim(), '');
  lines.push(END);
  return lines.join('\n');
}

const VARIANT_TEXT: Record<Exclude<BenchVariant, 'baseline'>, { heading: string; about: string[] }> = {
  deno: {
    heading: '### The relay on Deno (`--runtime deno`)',
    about: [
      '`npm run bench:relay -- --runtime deno`: the same workloads and relay flags against',
      '`deno run relay/src/deno.ts` with the permissions of `deno task relay` (embedded store on',
      "Deno's node:sqlite; the bench devices are written into the same SQLite file format before",
      'the relay starts). No inspector on Deno, so no event-loop delay or after-GC heap figures.',
    ],
  },
  redis: {
    heading: '### Two relays over Redis (`--relays 2`)',
    about: [
      '`npm run bench:relay -- --relays 2`: a private redis-server (127.0.0.1, no persistence)',
      'and two Node relays on different ports sharing one SQLite file (WAL) and that Redis. W1:',
      "every pair's sender is on relay A and its recipient on relay B, so every message crosses",
      'Redis; W2: senders on A, the offline recipient reconnects on B; W3: half the connections',
      'on each. Relay CPU and RSS are summed over both processes (per-process rows follow),',
      "redis-server's CPU is its own row. No inspector, so no event-loop delay or after-GC figures.",
    ],
  },
};

const markers = (variant: BenchVariant) => [`<!-- relay-${variant}:start -->`, `<!-- relay-${variant}:end -->`] as const;

function runLine(r: BenchRecord & { meta: BenchMeta }): string {
  const m = r.meta;
  return `- ${r.workload}: ${m.date.slice(0, 16).replace('T', ' ')} UTC${m.quick ? ' (**quick**: W1 50 pairs / 500 msg/s for 2 s, W2 1,000 messages, W3 1,000 connections)' : ''}${m.commit ? `, commit ${m.commit}` : ''}, ${m.cpu}, ${m.cores} cores, relay on ${m.runtime ?? `Node ${m.node}`}${(m.relays ?? 1) > 1 ? ` × ${m.relays}` : ''}, SQLite synchronous=${m.synchronous}, load average ${m.loadBefore} before / ${m.loadAfter} after.`;
}

/** A Deno or Redis subsection: its figures beside the same-session single Node relay's (baseline), where there is one. */
function renderVariant(variant: Exclude<BenchVariant, 'baseline'>, stored: Stored, baseline: Stored, notes: string): string {
  const [start, end] = markers(variant);
  const text = VARIANT_TEXT[variant];
  const lines: string[] = [start, text.heading, '', ...text.about, ''];
  lines.push('| workload | figure | measured | single Node relay, same session |');
  lines.push('|---|---|---:|---:|');
  for (const r of stored.records) {
    const base = baseline.records.find((b) => b.workload === r.workload);
    for (const [k, v] of Object.entries(r.figures)) {
      const bv = base?.figures[k];
      lines.push(`| ${r.title} | ${k} | ${fmt(v)} | ${bv === undefined ? '' : fmt(bv)} |`);
    }
    for (const [k, ok] of Object.entries(r.checks)) lines.push(`| ${r.title} | check: ${k} | ${ok ? 'ok' : '**FAILED**'} | |`);
  }
  lines.push('', 'Runs:', '');
  for (const r of stored.records) lines.push(runLine(r));
  if (baseline.records.length > 0) {
    lines.push('', 'Single Node relay column (`npm run bench:relay -- --baseline`, same flags, same session):', '');
    for (const r of baseline.records) lines.push(runLine(r));
  }
  lines.push('');
  if (notes.trim()) lines.push(notes.trim(), '');
  lines.push(end);
  return lines.join('\n');
}

/** Replaces the text between `start` and `end`, or inserts it after `after` (or at the end). */
function splice(current: string, start: string, end: string, section: string, after: string): string {
  const a = current.indexOf(start);
  const b = current.indexOf(end);
  if (a >= 0 && b > a) return current.slice(0, a) + section + current.slice(b + end.length);
  const at = current.indexOf(after);
  if (at >= 0) return current.slice(0, at + after.length) + '\n\n' + section + current.slice(at + after.length);
  return current.trimEnd() + '\n\n' + section + '\n';
}

/** Writes the Deno and Redis subsections (after the relay section) from their results files. */
async function writeVariantSections(): Promise<void> {
  const baseline = await readStored('baseline');
  let current = existsSync(BENCHMARKS) ? await readFile(BENCHMARKS, 'utf8') : '# Benchmarks\n';
  let after = END;
  for (const v of ['deno', 'redis'] as const) {
    const stored = await readStored(v);
    if (stored.records.length === 0) continue;
    const notesFile = join(RELAY_DIR, 'bench', `relay-bench-${v}-notes.md`);
    const notes = existsSync(notesFile) ? await readFile(notesFile, 'utf8') : '';
    const [start, end] = markers(v);
    current = splice(current, start, end, renderVariant(v, stored, baseline, notes), after);
    after = end;
  }
  await writeFile(BENCHMARKS, current);
}

export async function writeBenchmarksSection(meta: BenchMeta, records: BenchRecord[], variant?: BenchVariant): Promise<void> {
  if (variant) {
    await mergeResults(meta, records, variant);
    return writeVariantSections();
  }
  const stored = await mergeResults(meta, records);
  const notes = existsSync(NOTES) ? await readFile(NOTES, 'utf8') : '';
  const section = render(stored, notes);
  // Re-read right before writing: other benches write their own sections of this file.
  const current = existsSync(BENCHMARKS) ? await readFile(BENCHMARKS, 'utf8') : '# Benchmarks\n';
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  const next = a >= 0 && b > a ? current.slice(0, a) + section + current.slice(b + END.length) : current.trimEnd() + '\n\n' + section + '\n';
  await writeFile(BENCHMARKS, next);
}

/** Re-renders the section from stored results and notes (after editing the notes). */
export async function rerenderSection(): Promise<void> {
  await writeVariantSections();
  if (!existsSync(RESULTS)) return;
  const stored = JSON.parse(await readFile(RESULTS, 'utf8')) as Stored;
  const notes = existsSync(NOTES) ? await readFile(NOTES, 'utf8') : '';
  const current = existsSync(BENCHMARKS) ? await readFile(BENCHMARKS, 'utf8') : '# Benchmarks\n';
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  const section = render(stored, notes);
  await writeFile(BENCHMARKS, a >= 0 && b > a ? current.slice(0, a) + section + current.slice(b + END.length) : current.trimEnd() + '\n\n' + section + '\n');
}
