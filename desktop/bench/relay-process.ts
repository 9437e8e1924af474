// The relay for the core benchmark: the real Node relay in its own process (so its CPU
// and memory are not counted as the client's), on a free loopback port, default SQLite
// durability, per-device frame rate limit off (the sender pushes 10,000 sends in a burst).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

export interface BenchRelay {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRelay(): Promise<BenchRelay> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-core-bench-relay-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'relay/src/node.ts'), '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', '--device-frames-per-second', '0', '--address-requests-per-second', '0'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200 || child.exitCode !== null) throw new Error('the bench relay did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
