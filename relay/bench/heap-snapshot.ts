// Heap snapshots of the relay under bench, through the inspector it runs with: what each
// idle connection keeps alive, by constructor. `relay-bench --only w3 --heap` takes one
// snapshot (after a full GC) with no connections and one with all of them open, and
// prints the difference per connection; the .heapsnapshot files stay in bench/profiles/
// for Chrome DevTools' comparison view. Run alone to diff two saved snapshots:
// node --import tsx bench/heap-snapshot.ts before.heapsnapshot after.heapsnapshot [per]
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { InspectorProfiler } from './inspector-profiler.ts';

/** Count and self size (bytes) of live objects, by "type:name" (name is the constructor for objects). */
export type HeapCensus = Map<string, { count: number; bytes: number }>;

/** Runs a full GC, then streams a snapshot to `file` (the protocol sends it in chunks). */
export async function writeHeapSnapshot(inspector: InspectorProfiler, file: string): Promise<void> {
  const out = await open(file, 'w');
  let writing = Promise.resolve();
  const off = inspector.on('HeapProfiler.addHeapSnapshotChunk', (params) => {
    const chunk = (params as { chunk: string }).chunk;
    writing = writing.then(() => out.write(chunk).then(() => undefined));
  });
  try {
    await inspector.call('HeapProfiler.enable');
    await inspector.call('HeapProfiler.collectGarbage');
    await inspector.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
    await writing;
  } finally {
    off();
    await out.close();
  }
}

interface SnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Live objects by kind. Strings, code and V8 internals are grouped by their type alone. */
export function census(file: string): HeapCensus {
  const s = JSON.parse(readFileSync(file, 'utf8')) as SnapshotFile;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out: HeapCensus = new Map();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]];
    const named = type === 'object' || type === 'closure' || type === 'native';
    const key = named ? `${type}:${s.strings[s.nodes[i + iName]]}` : type;
    const e = out.get(key);
    if (e) {
      e.count++;
      e.bytes += s.nodes[i + iSize];
    } else out.set(key, { count: 1, bytes: s.nodes[i + iSize] });
  }
  return out;
}

/** The growth from `before` to `after`, divided by `per` (e.g. connections), biggest first. */
export function diffCensus(before: HeapCensus, after: HeapCensus, per: number, top = 40): string {
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, count: (a.count - b.count) / per, bytes: (a.bytes - b.bytes) / per });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((a, r) => a + r.bytes, 0);
  const lines = [`total ${total.toFixed(0)} bytes per unit (${rows.reduce((a, r) => a + r.count, 0).toFixed(1)} objects)`];
  for (const r of rows.slice(0, top)) {
    if (Math.abs(r.bytes) < 1) break;
    lines.push(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(6)} ×  ${r.key}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [before, after, per = '1'] = process.argv.slice(2);
  console.log(diffCensus(census(before), census(after), Number(per)));
}
