// Summarises a V8 .cpuprofile (from `--profile`, i.e. node --cpu-prof on the relay):
// self time per function (top N) and the share spent in broad buckets (SQLite, JSON,
// zod, WebSocket, libsodium, GC, idle). Run: node --import tsx bench/profile-summary.ts <file> [N]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarise(file: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const perFn = new Map<string, number>();
  const buckets = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(/.*\/relay\/src\//, 'relay/src/').replace(/.*\/common\/src\//, 'common/src/');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    perFn.set(key, (perFn.get(key) ?? 0) + us);
    const bucket =
      functionName === '(idle)' ? 'idle'
      : functionName === '(garbage collector)' ? 'GC'
      : functionName === '(program)' ? 'program (native, unattributed)'
      : /better-sqlite3/.test(url) || /^(run|get|all|transaction)$/.test(functionName) && !url ? 'SQLite (better-sqlite3)'
      : /zod/.test(url) ? 'zod'
      : /libsodium/.test(url) ? 'libsodium'
      : /\/ws\/|node-ws/.test(url) ? 'ws / node-ws'
      : /hono/.test(url) ? 'hono / node-server'
      : /relay\/src/.test(url) ? 'relay/src'
      : /common\/src/.test(url) ? 'common/src'
      : /^node:|^internal/.test(url) || url === '' ? 'node internals / builtins'
      : 'other';
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const busy = total - (buckets.get('idle') ?? 0);
  const lines = [`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`, '', 'buckets (self time):'];
  for (const [k, v] of [...buckets].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('', `top ${top} functions by self time:`);
  for (const [k, v] of [...perFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(summarise(process.argv[2], Number(process.argv[3] ?? 25)));
