// The relay benchmark: `npm run bench:relay [-- --only w1,w2 --quick --profile]`.
//
// For each workload it starts a fresh relay process (src/node.ts, temp data dir, free
// loopback port), seeds its store with bench devices, forks load generator processes
// (./load-generator.ts) and reads relay and generator CPU (utime+stime) and relay RSS
// from /proc at the generators' marks. Prints a table and writes the relay section of
// BENCHMARKS.md (unless --no-write). Every process it starts is killed by PID and the
// temp directory removed, also on failure or timeout.
//
// `--runtime deno` runs the relay as src/deno.ts instead (node:sqlite, same file format).
// `--relays 2` starts a private redis-server (127.0.0.1, no persistence) and two relays
// on one SQLite file and that Redis: W1 senders on relay A and recipients on relay B (so
// every message crosses Redis), W2's offline recipient reconnects on B, W3's connections
// are split across both; relay CPU is summed over both processes (and shown per process),
// redis-server's CPU is read too. Those runs write their own subsections of BENCHMARKS.md
// (report.ts), never the single Node relay's table.
//
// W3 accounting on the single Node relay: `--heap` diffs heap snapshots (no connections vs
// all open) by constructor per connection (./heap-snapshot.ts); `--syscalls` counts the
// relay's socket reads and writes per login with strace (./syscall-count.ts);
// `--connections N` changes the count.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sodiumReady } from '@parley/common/sodium';
import { census, diffCensus, writeHeapSnapshot } from './heap-snapshot.ts';
import { InspectorProfiler } from './inspector-profiler.ts';
import { SyscallCount } from './syscall-count.ts';
import { cpuModel, cpuSeconds, loadAverage, rssBytes } from './proc-stats.ts';
import { summarise } from './profile-summary.ts';
import type { GeneratorCommand, GeneratorMessage, W1Result, W2Result, W3Result } from './protocol.ts';
import { TestRedis } from '../test/support/redis-server.ts';
import { DENO_BIN, RELAY_DIR, type RelayProcess, type RelayRuntime, seedDevices, startRelay } from './relay-process.ts';
import { type BenchRecord, type BenchVariant, rerenderSection, writeBenchmarksSection } from './report.ts';

const WORKLOADS = ['w1', 'w1-paced', 'w2', 'w3'] as const;
type Workload = (typeof WORKLOADS)[number];

interface Options {
  only: Workload[];
  quick: boolean;
  profile: boolean;
  write: boolean;
  synchronous: 'FULL' | 'NORMAL';
  /** Extra node.ts flags for the relay, e.g. --relay-flag=--delivery-batch=100. */
  relayFlags: string[];
  /** Only re-render BENCHMARKS.md from relay-bench.json and the notes. */
  renderOnly: boolean;
  runtime: RelayRuntime;
  relays: 1 | 2;
  /** Single Node relay, stored as the same-session baseline the Deno/Redis subsections compare with. */
  baseline: boolean;
  /** W3: heap snapshots with no connections and with all open, diffed by constructor per connection. */
  heap: boolean;
  /** W3: connections (default 10,000; 1,000 with --quick). */
  connections?: number;
  /** W3: count the relay's socket-write system calls over the logins (strace; slows the relay, so its CPU figures mean nothing then). */
  syscalls: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [...WORKLOADS], quick: false, profile: false, write: true, synchronous: 'FULL', relayFlags: [], renderOnly: false, runtime: 'node', relays: 1, baseline: false, heap: false, syscalls: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--only') {
      o.only = value().split(',').map((w) => w.trim()) as Workload[];
      for (const w of o.only) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}; choose from ${WORKLOADS.join(', ')}`);
    } else if (flag === '--quick') o.quick = true;
    else if (flag === '--profile') o.profile = true;
    else if (flag === '--no-write') o.write = false;
    else if (flag === '--render') o.renderOnly = true;
    else if (flag === '--sync') o.synchronous = value().toUpperCase() === 'NORMAL' ? 'NORMAL' : 'FULL';
    else if (flag === '--relay-flag') o.relayFlags.push(...value().split(/=(.*)/s, 2).filter((x) => x !== ''));
    else if (flag === '--runtime') {
      const r = value();
      if (r !== 'node' && r !== 'deno') throw new Error(`--runtime: node or deno, not ${r}`);
      o.runtime = r;
    } else if (flag === '--relays') {
      const n = Number(value());
      if (n !== 1 && n !== 2) throw new Error(`--relays: 1 or 2, not ${n}`);
      o.relays = n;
    } else if (flag === '--baseline') o.baseline = true;
    else if (flag === '--heap') o.heap = true;
    else if (flag === '--syscalls') o.syscalls = true;
    else if (flag === '--connections') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 2) throw new Error(`--connections: a whole number ≥ 2, not ${n}`);
      o.connections = n;
    } else throw new Error(`unknown option ${flag}\nUsage: relay-bench [--only ${WORKLOADS.join(',')}] [--quick] [--profile] [--no-write] [--sync FULL|NORMAL] [--relay-flag --name=value] [--runtime node|deno] [--relays 1|2] [--baseline] [--heap] [--syscalls] [--connections N]`);
  }
  if (o.baseline && (o.runtime !== 'node' || o.relays !== 1)) throw new Error('--baseline is the single Node relay');
  if (o.profile && (o.runtime !== 'node' || o.relays !== 1)) throw new Error('--profile needs the single Node relay (inspector)');
  if (o.heap && (o.runtime !== 'node' || o.relays !== 1)) throw new Error('--heap needs the single Node relay (inspector)');
  return o;
}

/**
 * The relay's settings for every workload. All load comes from 127.0.0.1, so the
 * per-address limit (50/s, burst 200 by default) would refuse most logins: it is off.
 * The per-device frame limit (500/s) is raised well above what one bench device sends.
 */
function relaySettings(o: Options): string[] {
  return [
    '--sqlite-synchronous', o.synchronous,
    '--address-requests-per-second', '0',
    '--device-frames-per-second', '100000',
    '--device-frame-burst', '100000',
    ...o.relayFlags,
  ];
}

// ---------------------------------------------------------------- process bookkeeping

const children = new Set<ChildProcess>();
const relays = new Set<RelayProcess>();
const redises = new Set<TestRedis>();
const tempDirs = new Set<string>();

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all([...relays].map((r) => r.stop().catch(() => {})));
  await Promise.all([...redises].map((r) => r.stop().catch(() => {})));
  await Promise.all([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
}

/** The relay(s) under test: `a` (= relays[0]) and `b` (relays[1], or a again with one relay). */
interface Cluster {
  relays: RelayProcess[];
  a: RelayProcess;
  b: RelayProcess;
  redisPid?: number;
}

interface Sample {
  t: number;
  /** Summed over the relays. */
  relayCpu: number;
  relayCpuEach: number[];
  relayRss: number;
  redisCpu: number;
  generatorCpu: number;
}

/**
 * Runs one workload: every generator gets its command; marks are a barrier across
 * generators, at which the relay and generators are sampled. `holdMs` delays the
 * release of a mark (e.g. to let connections sit idle before the next reading).
 */
/** With --profile: the relay is profiled from mark `from` to mark `to`, saved as profiles/<name>.cpuprofile. */
interface ProfileWindow {
  name: string;
  from: string;
  to: string;
}

async function drive<R>(
  cluster: Cluster,
  commands: GeneratorCommand[],
  holdMs: Record<string, number> = {},
  window?: ProfileWindow,
  /** Runs at a mark after the readings, before the generators continue. */
  atMark?: (name: string) => Promise<void>,
): Promise<{ results: R[]; samples: Map<string, Sample> }> {
  const relay = cluster.a;
  const profiler = window && relay.inspectorUrl ? await InspectorProfiler.connect(relay.inspectorUrl) : undefined;
  const gens = commands.map(() => {
    const c = fork(join(RELAY_DIR, 'bench/load-generator.ts'), [], { cwd: RELAY_DIR, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(c);
    return c;
  });
  const samples = new Map<string, Sample>();
  const arrived = new Map<string, number>();
  const results: R[] = new Array(gens.length);
  let remaining = gens.length;
  const sample = (): Sample => {
    const each = cluster.relays.map((r) => cpuSeconds(r.pid));
    return {
      t: performance.now(),
      relayCpu: each.reduce((a, x) => a + x, 0),
      relayCpuEach: each,
      relayRss: cluster.relays.reduce((a, r) => a + rssBytes(r.pid), 0),
      redisCpu: cluster.redisPid ? cpuSeconds(cluster.redisPid) : 0,
      generatorCpu: gens.reduce((a, g) => a + cpuSeconds(g.pid!), 0),
    };
  };
  try {
    await new Promise<void>((resolve, reject) => {
      gens.forEach((g, i) => {
        g.on('message', (m: GeneratorMessage) => {
          if (m.evt === 'mark') {
            const n = (arrived.get(m.name) ?? 0) + 1;
            arrived.set(m.name, n);
            if (n < gens.length) return;
            samples.set(m.name, sample());
            const go = () => setTimeout(() => gens.forEach((x) => x.send({ cmd: 'continue' } satisfies GeneratorCommand)), holdMs[m.name] ?? 0);
            const release = () => (atMark ? void atMark(m.name).then(go, reject) : go());
            if (profiler && m.name === window!.from) void profiler.start().then(release);
            else if (profiler && m.name === window!.to) void profiler.stop().then((p) => saveProfile(window!.name, p)).then(release, reject);
            else release();
          } else if (m.evt === 'result') {
            results[i] = m.result as R;
            if (--remaining === 0) resolve();
          } else reject(new Error(`load generator failed: ${m.error}`));
        });
        g.once('exit', (code) => {
          if (results[i] === undefined) reject(new Error(`load generator exited (${code}) before reporting`));
        });
        g.send(commands[i]);
      });
    });
  } finally {
    profiler?.close();
    for (const g of gens) {
      g.kill('SIGKILL');
      children.delete(g);
    }
  }
  return { results, samples };
}

async function saveProfile(name: string, profile: unknown): Promise<void> {
  await mkdir(join(RELAY_DIR, 'bench', 'profiles'), { recursive: true });
  const out = join(RELAY_DIR, 'bench', 'profiles', `${name}.cpuprofile`);
  await writeFile(out, JSON.stringify(profile));
  process.stdout.write(`  profile: ${out}\n${summarise(out, 25).replace(/^/gm, '    ')}\n`);
}

const delta = (s: Map<string, Sample>, from: string, to: string) => {
  const a = s.get(from)!;
  const b = s.get(to)!;
  return {
    seconds: (b.t - a.t) / 1000,
    relayCpu: b.relayCpu - a.relayCpu,
    relayCpuEach: b.relayCpuEach.map((x, i) => x - a.relayCpuEach[i]),
    redisCpu: b.redisCpu - a.redisCpu,
    generatorCpu: b.generatorCpu - a.generatorCpu,
    rss: b.relayRss - a.relayRss,
    rssAfter: b.relayRss,
  };
};

/**
 * With two relays: each one's share of a relay-CPU figure, and redis-server's, in the same
 * unit (`per` divides CPU-seconds into the figure, `scale` multiplies).
 */
function clusterFigures(o: Options, d: ReturnType<typeof delta>, label: string, per: number, scale: number): Record<string, number> {
  if (o.relays === 1) return {};
  return {
    [`${label}, relay A`]: (d.relayCpuEach[0] / per) * scale,
    [`${label}, relay B`]: (d.relayCpuEach[1] / per) * scale,
    [label.replace('relay', 'redis-server')]: (d.redisCpu / per) * scale,
  };
}

async function withRelay<T>(o: Options, devices: number, fn: (cluster: Cluster, run: string) => Promise<T>, inspect = false): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-relay-bench-'));
  tempDirs.add(dir);
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const t0 = performance.now();
  await seedDevices(join(dir, 'data'), run, devices);
  process.stdout.write(`  seeded ${devices} devices in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  // The inspector (event-loop delay, heap after GC, profiles) only on the single Node relay.
  const nodeFlags = (o.profile || inspect) && o.runtime === 'node' && o.relays === 1 ? ['--inspect=127.0.0.1:0'] : [];
  const started: RelayProcess[] = [];
  let redis: TestRedis | undefined;
  try {
    const flags = [...relaySettings(o)];
    if (o.relays === 2) {
      redis = await TestRedis.start();
      redises.add(redis);
      flags.push('--redis-url', redis.url);
    }
    // One after the other: the second relay opens the store the first one has migrated.
    for (let i = 0; i < o.relays; i++) {
      const relay = await startRelay(join(dir, 'data'), flags, nodeFlags, o.runtime);
      relays.add(relay);
      started.push(relay);
    }
    return await fn({ relays: started, a: started[0], b: started[started.length - 1], redisPid: redis?.pid }, run);
  } finally {
    await Promise.all(started.map((r) => r.stop()));
    for (const relay of started) {
      relays.delete(relay);
      if (relay.problems.length > 0) {
        process.stdout.write(`  relay ${relay.pid} logged ${relay.problems.length} warnings/errors, first: ${relay.problems[0].slice(0, 300)}\n`);
      }
    }
    if (redis) {
      await redis.stop();
      redises.delete(redis);
    }
    await rm(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

// ---------------------------------------------------------------- workloads

/**
 * The relay's event-loop delay over a window (monitorEventLoopDelay installed through the
 * inspector): how long the loop was blocked, e.g. in SQLite's fsync, which is where a
 * message's latency goes that no CPU profile shows.
 */
function loopDelayProbe(relay: RelayProcess): { atMark: (name: string) => Promise<void>; result: () => { p99Ms: number; maxMs: number } | undefined; close: () => void } {
  let inspector: InspectorProfiler | undefined;
  let result: { p99Ms: number; maxMs: number } | undefined;
  const evaluate = async (expression: string) =>
    ((await inspector!.call('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as { result: { value: unknown } }).result.value;
  return {
    async atMark(name) {
      if (!relay.inspectorUrl) return;
      if (name === 'start') {
        inspector = await InspectorProfiler.connect(relay.inspectorUrl, false);
        await evaluate(`(() => { const h = process.getBuiltinModule('node:perf_hooks').monitorEventLoopDelay({ resolution: 1 }); h.enable(); globalThis.__benchLoop = h; return true; })()`);
      } else if (name === 'end' && inspector) {
        const v = (await evaluate(`(() => { const h = globalThis.__benchLoop; h.disable(); return JSON.stringify({ p99: h.percentile(99), max: h.max }); })()`)) as string;
        const { p99, max } = JSON.parse(v) as { p99: number; max: number };
        result = { p99Ms: p99 / 1e6, maxMs: max / 1e6 };
      }
    },
    result: () => result,
    close: () => inspector?.close(),
  };
}

async function runW1(o: Options, paced: boolean): Promise<BenchRecord> {
  const pairs = o.quick ? 50 : 200;
  const rate = paced ? (o.quick ? 500 : 2000) : 0;
  return withRelay(o, pairs * 2, async (cluster, run) => {
    const loop = loopDelayProbe(cluster.a);
    const { results, samples } = await drive<W1Result>(cluster, [
      { cmd: 'w1', params: { url: cluster.a.wsUrl, recipientUrl: cluster.b.wsUrl, run, pairs, payloadBytes: 100, inFlight: 10, rate, warmupMs: o.quick ? 500 : 3000, durationMs: o.quick ? 2000 : 10_000 } },
    ], {}, o.profile ? { name: paced ? 'w1-paced' : 'w1', from: 'start', to: 'end' } : undefined, loop.atMark).finally(() => loop.close());
    const lag = loop.result();
    const r = results[0];
    const d = delta(samples, 'start', 'end');
    const ok = r.outOfOrder === 0 && r.deliveredTotal === r.sentTotal && r.committedTotal === r.sentTotal && Object.keys(r.errors).length === 0;
    return {
      workload: paced ? 'w1-paced' : 'w1',
      title: paced ? `W1 paced at ${rate} msg/s (${pairs} pairs)` : `W1 ${pairs} pairs, 10 in flight`,
      figures: {
        'delivered msg/s': r.msgPerSecond,
        'p50 latency ms': r.p50Us / 1000,
        'p99 latency ms': r.p99Us / 1000,
        'p99.9 latency ms': r.p999Us / 1000,
        'relay CPU-s per 100k msgs': (d.relayCpu / r.delivered) * 1e5,
        ...clusterFigures(o, d, 'relay CPU-s per 100k msgs', r.delivered, 1e5),
        'relay CPU utilisation': d.relayCpu / d.seconds,
        ...clusterFigures(o, d, 'relay CPU utilisation', d.seconds, 1),
        'generator CPU-s per 100k msgs': (d.generatorCpu / r.delivered) * 1e5,
        'relay RSS MiB': d.rssAfter / 2 ** 20,
        ...(lag ? { 'relay event-loop delay p99 ms': lag.p99Ms, 'relay event-loop delay max ms': lag.maxMs } : {}),
      },
      checks: {
        'every send committed (sent frame) and delivered once, in order': ok,
        ...(r.skipped ? { 'open-loop schedule kept up': false } : {}),
      },
      raw: { ...r, relayCpuSeconds: d.relayCpu, generatorCpuSeconds: d.generatorCpu },
    };
  }, true);
}

async function runW2(o: Options): Promise<BenchRecord> {
  const messages = o.quick ? 1000 : 10_000;
  const senders = 10;
  return withRelay(o, senders + 1, async (cluster, run) => {
    const { results, samples } = await drive<W2Result>(cluster, [
      { cmd: 'w2', params: { url: cluster.a.wsUrl, recipientUrl: cluster.b.wsUrl, run, messages, senders, window: 500, payloadBytes: 100 } },
    ], {}, o.profile ? { name: 'w2-ingest', from: 'ingest-start', to: 'ingest-end' } : undefined);
    const r = results[0];
    const ingest = delta(samples, 'ingest-start', 'ingest-end');
    const catchup = delta(samples, 'catchup-start', 'catchup-end');
    return {
      workload: 'w2',
      title: `W2 ${messages} messages to an offline device (${senders} senders, 500 in flight each)`,
      figures: {
        'ingest msg/s': r.ingestMsgPerSecond,
        'ingest relay CPU-s per 100k msgs': (ingest.relayCpu / messages) * 1e5,
        ...clusterFigures(o, ingest, 'ingest relay CPU-s per 100k msgs', messages, 1e5),
        'catch-up ms (open → all received)': r.catchupMs,
        'of which login ms': r.loginMs,
        'catch-up relay CPU-s': catchup.relayCpu,
        ...clusterFigures(o, catchup, 'catch-up relay CPU-s', 1, 1),
      },
      checks: {
        'all entries received once, in order': r.received === messages && r.outOfOrder === 0 && Object.keys(r.errors).length === 0,
        'no deliver frame before ready': r.deliversBeforeReady === 0,
      },
      raw: { ...r, ingestRelayCpu: ingest.relayCpu, catchupRelayCpu: catchup.relayCpu },
    };
  });
}

async function runW3(o: Options): Promise<BenchRecord> {
  const total = o.connections ?? (o.quick ? 1000 : 10_000);
  const generators = 2; // one process may hold ~20,000 open files; two also share the login signing
  const per = Math.ceil(total / generators);
  return withRelay(o, total, async (cluster, run) => {
    const relay = cluster.a;
    // With two relays, generator g logs its half in on relay g.
    const commands: GeneratorCommand[] = Array.from({ length: generators }, (_, g) => ({
      cmd: 'w3',
      params: { url: cluster.relays[g % cluster.relays.length].wsUrl, run, from: g * per, count: Math.min(per, total - g * per), concurrency: 64 },
    }));
    // Heap after a full collection, read through the inspector: what the connections
    // really hold, without the garbage the logins left behind.
    const inspector = relay.inspectorUrl ? await InspectorProfiler.connect(relay.inspectorUrl) : undefined;
    const heap = new Map<string, { heapUsed: number; rss: number }>();
    const snapshots = new Map<string, string>();
    let strace: SyscallCount | undefined;
    let syscalls: Record<string, number> | undefined;
    const atMark = async (name: string) => {
      if (o.syscalls && name === 'logins-start') strace = await SyscallCount.attach(relay.pid, ['write', 'writev', 'sendmsg', 'read', 'readv', 'recvfrom', 'epoll_wait']);
      if (strace && name === 'logins-end') syscalls = await strace.stop();
      if (!inspector || (name !== 'logins-start' && name !== 'idle-end')) return;
      await inspector.call('HeapProfiler.collectGarbage');
      const r = (await inspector.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result: { value: string } };
      heap.set(name, { heapUsed: (JSON.parse(r.result.value) as { heapUsed: number }).heapUsed, rss: rssBytes(relay.pid) });
      // After the readings: taking a snapshot grows the relay's RSS by itself.
      if (o.heap) {
        await mkdir(join(RELAY_DIR, 'bench', 'profiles'), { recursive: true });
        const file = join(RELAY_DIR, 'bench', 'profiles', `w3-${name}.heapsnapshot`);
        await writeHeapSnapshot(inspector, file);
        snapshots.set(name, file);
      }
    };
    const { results, samples } = await drive<W3Result>(cluster, commands, { 'logins-start': 1000, 'logins-end': 3000 }, o.profile ? { name: 'w3-logins', from: 'logins-start', to: 'logins-end' } : undefined, atMark).finally(() => inspector?.close());
    const gc = heap.size === 2 ? { heap: (heap.get('idle-end')!.heapUsed - heap.get('logins-start')!.heapUsed) / total / 1024, rss: (heap.get('idle-end')!.rss - heap.get('logins-start')!.rss) / total / 1024 } : undefined;
    const logins = delta(samples, 'logins-start', 'logins-end');
    const memory = delta(samples, 'logins-start', 'idle-end');
    const open = results.reduce((a, r) => a + r.open, 0);
    if (syscalls) {
      const per = Object.entries(syscalls).map(([call, n]) => `${call} ${(n / total).toFixed(2)}`).join(', ');
      process.stdout.write(`  relay system calls per login (strace, all threads): ${per}\n`);
    }
    if (snapshots.size === 2) {
      const diff = diffCensus(census(snapshots.get('logins-start')!), census(snapshots.get('idle-end')!), total);
      process.stdout.write(`  heap growth per connection (snapshots in bench/profiles/w3-*.heapsnapshot):\n${diff.replace(/^/gm, '    ')}\n`);
    }
    return {
      workload: 'w3',
      title: `W3 ${total} idle authenticated connections (${generators} generator processes)`,
      figures: {
        'logins/s': total / logins.seconds,
        'relay CPU-ms per login': (logins.relayCpu / total) * 1000,
        ...clusterFigures(o, logins, 'relay CPU-ms per login', total, 1000),
        'generator CPU-ms per login': (logins.generatorCpu / total) * 1000,
        'relay KiB per connection': memory.rss / total / 1024,
        ...(gc ? { 'relay KiB per connection after full GC (RSS)': gc.rss, 'relay JS heap KiB per connection after full GC': gc.heap } : {}),
        'relay RSS MiB (all connected)': memory.rssAfter / 2 ** 20,
      },
      checks: { 'all connections open and authenticated': open === total },
      raw: { results, loginSeconds: logins.seconds, relayCpu: logins.relayCpu, rssDelta: memory.rss, heap: Object.fromEntries(heap) },
    };
  }, true);
}

// ---------------------------------------------------------------- main

/** The commit measured (when run from a git checkout). */
function gitCommit(): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: RELAY_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // Uncommitted changes to the relay or the protocol are part of what was measured.
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--', '../relay/src', '../common/src') ? ' with uncommitted changes' : '');
  } catch {
    return undefined;
  }
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.renderOnly) return rerenderSection();
  await sodiumReady();
  const watchdog = setTimeout(() => {
    console.error(`relay bench: time limit reached; stopping`);
    void cleanup().finally(() => process.exit(3));
  }, o.quick ? 180_000 : 900_000);
  watchdog.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

  const loadBefore = loadAverage();
  const variant: BenchVariant | undefined = o.relays === 2 ? 'redis' : o.runtime === 'deno' ? 'deno' : o.baseline ? 'baseline' : undefined;
  const runtimeVersion = o.runtime === 'deno' ? execFileSync(DENO_BIN, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim() : undefined;
  console.log(`relay bench${o.quick ? ' (quick)' : ''}: ${cpuModel()}, ${cpus().length} cores, Node ${process.version}${runtimeVersion ? ` (relay: ${runtimeVersion})` : ''}, ${o.relays} relay(s)${o.relays === 2 ? ' over Redis' : ''}, load ${loadBefore}, sqlite synchronous=${o.synchronous}`);
  const records: BenchRecord[] = [];
  for (const w of o.only) {
    console.log(`${w}:`);
    const rec = w === 'w1' ? await runW1(o, false) : w === 'w1-paced' ? await runW1(o, true) : w === 'w2' ? await runW2(o) : await runW3(o);
    records.push(rec);
    console.log(`  ${rec.title}`);
    for (const [k, v] of Object.entries(rec.figures)) console.log(`    ${k.padEnd(38)} ${fmt(v)}`);
    for (const [k, v] of Object.entries(rec.checks)) console.log(`    ${v ? 'ok  ' : 'FAIL'} ${k}`);
    if (Object.values(rec.checks).some((v) => !v)) console.log(`    raw: ${JSON.stringify(rec.raw).slice(0, 600)}`);
  }
  const loadAfter = loadAverage();
  const meta = {
    date: new Date().toISOString(),
    commit: process.env.PARLEY_BENCH_COMMIT ?? gitCommit(),
    cpu: cpuModel(),
    cores: cpus().length,
    node: process.version,
    synchronous: o.synchronous,
    quick: o.quick,
    loadBefore,
    loadAfter,
    relaySettings: relaySettings(o).join(' '),
    runtime: runtimeVersion ?? `Node ${process.version}`,
    relays: o.relays,
  };
  // Quick runs are smoke tests: their figures never replace a full run's. The Deno, Redis
  // and baseline runs write their own subsections (marked quick when they were).
  if (variant && o.write) await writeBenchmarksSection(meta, records, variant);
  else if (o.quick) await writeFile(join(tmpdir(), 'parley-relay-bench.quick.json'), JSON.stringify({ meta, records }, null, 2) + '\n');
  else if (o.write) await writeBenchmarksSection(meta, records);
  clearTimeout(watchdog);
  await cleanup();
  if (records.some((r) => Object.values(r.checks).some((v) => !v))) process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err instanceof Error ? err.stack : err);
  await cleanup();
  process.exit(1);
});
