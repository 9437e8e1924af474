// `npm start`: runs Parley locally on the embedded default. Starts a relay on its SQLite
// store under ./.parley/relay (created on first run; reused when one already answers on
// the port, so a second `npm start` with another profile joins the same relay), then the
// desktop app on a profile under ./.parley/profiles/<name>. Where no Electron binary can
// be had (these machines cannot download it), it says so in one line and serves the same
// UI to a browser through the web host instead, printing the URL to open.
//
//   npm start                                   profile "default"
//   PARLEY_PROFILE=bob npm start -- --web-port 0 a second profile beside the first
//   npm start -- 'parley://add?…'               opens that invite in the add-contact flow
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const dataDir = process.env.PARLEY_DATA_DIR ?? join(root, '.parley', 'relay');
const port = process.env.PARLEY_PORT ?? '8787';
const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { 'web-port': { type: 'string', default: '0' }, profile: { type: 'string' } } });
const links = positionals.filter((a) => /^parley:/i.test(a)).slice(0, 1);
const profileName = args.profile ?? process.env.PARLEY_PROFILE ?? 'default';
const profileDir = join(root, '.parley', 'profiles', profileName);
const relayUrl = `http://127.0.0.1:${port}`;
mkdirSync(dataDir, { recursive: true });
mkdirSync(profileDir, { recursive: true });

const children: ChildProcess[] = [];

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(`${relayUrl}/v1/health`)).ok;
  } catch {
    return false;
  }
}

async function waitForHealth(): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await healthy()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The Electron binary's path if it was downloaded; never triggers the download itself (require('electron') would). */
function electronBinary(): string | null {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

function stopAll(sig: NodeJS.Signals = 'SIGTERM'): void {
  for (const c of children) c.kill(sig);
}

if (await healthy()) {
  console.log(`Using the Parley relay already running at ${relayUrl}.`);
} else {
  const relay = spawn(process.execPath, ['--import', 'tsx', join(root, 'relay', 'src', 'node.ts'), '--port', port, '--data-dir', dataDir], {
    stdio: ['ignore', 'inherit', 'inherit'],
    cwd: join(root, 'relay'),
  });
  children.push(relay);
  relay.on('exit', (code) => {
    stopAll();
    process.exit(code ?? 0);
  });
  if (!(await waitForHealth())) {
    console.error('The relay did not become healthy within 10 s; see its log above.');
    stopAll();
    process.exit(1);
  }
  console.log(`\nParley relay running at ${relayUrl} (embedded store in ${dataDir}).`);
}

const electron = electronBinary();
let app: ChildProcess;
if (electron) {
  app = spawn(electron, [join(root, 'desktop'), ...links], { stdio: 'inherit', env: { ...process.env, PARLEY_PROFILE_DIR: profileDir, PARLEY_RELAY_URL: relayUrl } });
} else {
  console.log('No Electron binary is available on this machine (it cannot be downloaded here), so Parley opens in your browser through the web host instead.');
  // The UI is built once (about a second) and rebuilt by the browser tests when stale.
  if (!existsSync(join(root, 'desktop', 'dist', 'renderer', 'index.html'))) {
    spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: join(root, 'desktop'), stdio: 'inherit' });
  }
  app = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'desktop', 'src', 'web-host', 'main.ts'), '--profile', profileDir, '--relay', relayUrl, '--port', args['web-port']!, ...links],
    { stdio: ['ignore', 'inherit', 'inherit'], cwd: join(root, 'desktop') },
  );
  console.log(`Profile "${profileName}" in ${profileDir}. Press Ctrl+C to stop.`);
}
children.push(app);
app.on('exit', (code) => {
  stopAll();
  process.exit(code ?? 0);
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stopAll(sig));
