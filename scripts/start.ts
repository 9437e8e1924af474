// `npm start`: runs Parley locally on the embedded default. Starts a relay on its SQLite
// store under ./.parley/relay (created on first run) and keeps it running until Ctrl+C.
// The desktop app (Electron, or the same UI in a browser through the web host) will be
// started here too once it exists; until then this prints where the relay listens so the
// CLI and tests can use it.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dataDir = process.env.PARLEY_DATA_DIR ?? join(root, '.parley', 'relay');
const port = process.env.PARLEY_PORT ?? '8787';
mkdirSync(dataDir, { recursive: true });

const relay = spawn(process.execPath, ['--import', 'tsx', join(root, 'relay', 'src', 'node.ts'), '--port', port, '--data-dir', dataDir], {
  stdio: ['ignore', 'inherit', 'inherit'],
  cwd: join(root, 'relay'),
});

async function waitForHealth(): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/health`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

if (await waitForHealth()) {
  console.log(`\nParley relay running at http://127.0.0.1:${port} (embedded store in ${dataDir}).`);
  console.log('The desktop app is not built yet in this version; only the relay runs. Press Ctrl+C to stop.\n');
} else {
  console.error('The relay did not become healthy within 10 s; see its log above.');
  relay.kill('SIGTERM');
  process.exitCode = 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => relay.kill(sig));
relay.on('exit', (code) => process.exit(code ?? 0));
