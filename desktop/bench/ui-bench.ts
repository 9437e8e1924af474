// UI benchmark (`npm run bench:ui [-- --quick] [--no-write] [--profile]`): how the conversation view
// behaves with 100,000 messages in Debian's Chromium, through the web host (the same built
// UI and MessengerApi the Electron window uses). Prints the figures and writes them into
// BENCHMARKS.md between <!-- ui:start --> and <!-- ui:end -->.
//
//   1. A real relay (own process) and a real core on a fresh profile with an account.
//   2. The profile gets one conversation of 100,000 messages and one of 50, through the
//      store layer (seed.ts; encrypting 100,000 messages through the relay would measure
//      the core, which bench:core does).
//   3. Opening: the page clicks a conversation and waits, inside the page, until the newest
//      message's row is in the DOM and a frame has been painted; the two conversations are
//      opened alternately.
//   4. Scrolling: the mouse wheel scrolls the big conversation up (older history pages in
//      as it goes), while the page records every animation frame's interval and every long
//      task (PerformanceObserver "longtask", > 50 ms on the main thread).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Messenger } from '../src/core/messenger.ts';
import { UI_DIST, startWebHost } from '../src/web-host/server.ts';
import { launchChromium } from '../test/ui/support/browser.ts';
import { startRelay } from './relay-process.ts';
import { seedMessages } from './seed.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = !argv.includes('--no-write');
// `--profile`: record the page's CPU profile over the opens and the scroll (DevTools protocol),
// print the functions with the most self time, and keep the .cpuprofile files.
const profile = argv.includes('--profile');
const ROOT = resolve(import.meta.dirname, '../..');
const BIG = quick ? 10_000 : 100_000;
const SMALL = 50;
const OPENS = quick ? 6 : 20;
const WHEEL_STEPS = quick ? 60 : 240;
const WHEEL_DELTA = -400;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The functions with the most self time in a DevTools CPU profile. */
function printTopSelf(name: string, p: CpuProfile, file: string): void {
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const byName = new Map<string, number>();
  for (const n of p.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    byName.set(key, (byName.get(key) ?? 0) + (self.get(n.id) ?? 0));
  }
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  log(`profile ${name} (${file}): ${fmt(total / 1000, 0)} ms sampled`);
  for (const [k, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15)) log(`  ${fmt((100 * us) / total)}%  ${fmt(us / 1000, 0)} ms  ${k}`);
}

const loadBefore = loadavg()[0];
const log = (s: string) => process.stderr.write(`[bench:ui] ${s}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// The UI as it ships (a production build, as `npm run build:ui` makes), built afresh.
log('building the UI');
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: join(ROOT, 'desktop'), stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });

const dir = mkdtempSync(join(tmpdir(), 'parley-ui-bench-'));
const relay = await startRelay();
const browser = await launchChromium();
try {
  // 1-2. An account, then the history, written while the core is closed.
  let core = await Messenger.open({ profileDir: dir });
  const account = await core.createAccount({ displayName: 'Carol', relayUrl: relay.url });
  await core.close();
  log(`seeding ${BIG.toLocaleString('en-US')} + ${SMALL} messages`);
  const big = seedMessages(dir, { selfUserId: account.userId, count: BIG, perConversation: BIG, firstConversation: 0, seed: 7 }).conversationIds[0];
  const small = seedMessages(dir, { selfUserId: account.userId, count: SMALL, perConversation: SMALL, firstConversation: 1, seed: 8 }).conversationIds[0];
  core = await Messenger.open({ profileDir: dir });
  // Read already: opening must not queue read receipts to peers that do not exist.
  for (const id of [big, small]) core.profile.conversations.raiseReadClock(id, core.profile.messages.newestClock(id));
  const newest = async (id: string) => (await core.getHistory({ conversationId: id, limit: 1 })).messages.at(-1)!.id;
  const targets = [
    { title: 'Contact 0', conversationId: big, messageId: await newest(big) },
    { title: 'Contact 1', conversationId: small, messageId: await newest(small) },
  ];

  const host = await startWebHost({ api: core, staticDir: UI_DIST, defaultRelayUrl: relay.url });
  const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, colorScheme: 'light' });
  // tsx compiles this file with esbuild's keepNames, which wraps named functions in a
  // `__name(...)` helper; functions handed to page.evaluate run in the page, without it.
  await context.addInitScript('globalThis.__name = (f) => f;');
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  let historyCalls = 0;
  page.on('websocket', (ws) => ws.on('framesent', (f) => typeof f.payload === 'string' && f.payload.includes('"getHistory"') && historyCalls++));
  await page.goto(host.url);
  await page.getByTestId('conversation').first().waitFor();

  const cdp = profile ? await context.newCDPSession(page) : null;
  const profiled = async (name: string, run: () => Promise<void>) => {
    if (!cdp) return run();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await run();
    const { profile: p } = await cdp.send('Profiler.stop');
    const file = join(tmpdir(), `parley-ui-bench-${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(p));
    printTopSelf(name, p as CpuProfile, file);
  };

  // 3. Opening, alternately; the first open of each is a warm-up (not counted).
  const opens: Record<string, number[]> = { [big]: [], [small]: [] };
  await profiled('open', async () => {
  for (let i = 0; i < OPENS + 2; i++) {
    const t = targets[i % 2];
    const ms = await page.evaluate(async ({ title, messageId }) => {
      const item = [...document.querySelectorAll<HTMLElement>('[data-testid="conversation"]')].find((e) => e.textContent?.includes(title));
      if (!item) throw new Error(`no conversation ${title}`);
      const shown = () => document.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`) !== null;
      const started = performance.now();
      item.click();
      await new Promise<void>((done) => {
        if (shown()) return done();
        const seen = new MutationObserver(() => {
          if (shown()) {
            seen.disconnect();
            done();
          }
        });
        seen.observe(document.body, { childList: true, subtree: true });
      });
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return performance.now() - started;
    }, t);
    if (i >= 2) opens[t.conversationId].push(ms);
  }
  });
  log(`open: big p50 ${fmt(pct(opens[big], 50))} ms, small p50 ${fmt(pct(opens[small], 50))} ms`);

  // 4. Scrolling up through the big conversation with the wheel.
  await page.getByTestId('conversation').filter({ hasText: 'Contact 0' }).click();
  await page.locator(`[data-message-id="${targets[0].messageId}"]`).waitFor();
  const list = page.getByTestId('message-list');
  const box = (await list.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.evaluate(() => {
    const w = window as unknown as { __bench: { frames: number[]; long: number[]; run: boolean; maxRows: number } };
    w.__bench = { frames: [], long: [], run: true, maxRows: 0 };
    let last = performance.now();
    const tick = (t: number) => {
      w.__bench.frames.push(t - last);
      last = t;
      w.__bench.maxRows = Math.max(w.__bench.maxRows, document.querySelectorAll('[data-testid="message"]').length);
      if (w.__bench.run) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__bench.long.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  // The main thread's time by kind over the scroll (DevTools protocol Performance metrics, seconds).
  const perf = await context.newCDPSession(page);
  await perf.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await perf.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value])) as Record<string, number>;
  const metricsBefore = await metrics();
  const callsBefore = historyCalls;
  const scrollStarted = performance.now();
  await profiled('scroll', async () => {
    for (let i = 0; i < WHEEL_STEPS; i++) {
      await page.mouse.wheel(0, WHEEL_DELTA);
      await page.waitForTimeout(16);
    }
    await page.waitForTimeout(500);
  });
  const scrollSeconds = (performance.now() - scrollStarted) / 1000;
  const metricsAfter = await metrics();
  const spent = (name: string) => (metricsAfter[name] - metricsBefore[name]) * 1000;
  const mainThread = { task: spent('TaskDuration'), script: spent('ScriptDuration'), style: spent('RecalcStyleDuration'), layout: spent('LayoutDuration'), layouts: metricsAfter.LayoutCount - metricsBefore.LayoutCount };
  const scroll = await page.evaluate(() => {
    const w = window as unknown as { __bench: { frames: number[]; long: number[]; run: boolean; maxRows: number } };
    w.__bench.run = false;
    return { frames: w.__bench.frames.slice(1), long: w.__bench.long, maxRows: w.__bench.maxRows };
  });
  const pages = historyCalls - callsBefore;
  const longTotal = scroll.long.reduce((a, b) => a + b, 0);
  const blocking = scroll.long.reduce((a, b) => a + Math.max(0, b - 50), 0);
  log(`main thread: ${JSON.stringify(mainThread)}`);
  log(`scroll: ${scroll.frames.length} frames, p50 ${fmt(pct(scroll.frames, 50))} ms, p99 ${fmt(pct(scroll.frames, 99))} ms, ${scroll.long.length} long tasks, ${pages} history pages`);

  await context.close();
  await host.close();
  await core.close();

  const machine = `${cpus().length} × ${cpus()[0].model.trim()}, Node ${process.versions.node}, Chromium ${browser.version()} headless (software rendering, --disable-gpu)`;
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const rows = [
    ['open the 100,000-message conversation (click → newest row painted), p50 / p95', `${fmt(pct(opens[big], 50))} / ${fmt(pct(opens[big], 95))} ms`],
    ['open a 50-message conversation, p50 / p95', `${fmt(pct(opens[small], 50))} / ${fmt(pct(opens[small], 95))} ms`],
    [`scroll up ${WHEEL_STEPS} wheel steps of ${-WHEEL_DELTA} px (${fmt(scrollSeconds)} s): frame interval p50 / p95 / p99 / max`, `${fmt(pct(scroll.frames, 50))} / ${fmt(pct(scroll.frames, 95))} / ${fmt(pct(scroll.frames, 99))} / ${fmt(Math.max(...scroll.frames))} ms`],
    ['frames longer than 50 ms while scrolling', `${scroll.frames.filter((f) => f > 50).length} of ${scroll.frames.length}`],
    ['long tasks while scrolling (count, total, blocking time beyond 50 ms)', `${scroll.long.length}, ${fmt(longTotal, 0)} ms, ${fmt(blocking, 0)} ms`],
    ['main thread while scrolling: busy / script / style / layout (number of layouts)', `${fmt(mainThread.task, 0)} / ${fmt(mainThread.script, 0)} / ${fmt(mainThread.style, 0)} / ${fmt(mainThread.layout, 0)} ms (${mainThread.layouts})`],
    ['older history pages fetched while scrolling', String(pages)],
    ['most message rows in the DOM at once', String(scroll.maxRows)],
  ];
  const table = [
    `Run ${date} UTC on ${machine}; load average ${fmt(loadBefore, 2)} before the run.${quick ? ' **--quick run** (10,000 messages).' : ''}`,
    '',
    '| measure | result |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (write) {
    const file = join(ROOT, 'BENCHMARKS.md');
    const text = readFileSync(file, 'utf8');
    const start = '<!-- ui:start -->';
    const end = '<!-- ui:end -->';
    if (!text.includes(start) || !text.includes(end)) throw new Error(`BENCHMARKS.md has no ${start} … ${end} section`);
    writeFileSync(file, text.slice(0, text.indexOf(start) + start.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
    log('BENCHMARKS.md updated');
  }
} finally {
  await browser.close();
  await relay.stop();
  rmSync(dir, { recursive: true, force: true });
}
