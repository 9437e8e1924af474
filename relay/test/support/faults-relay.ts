// Helpers of the fault tests: a relay as its own OS process (`node --import tsx
// relay/src/node.ts`) that can be SIGKILLed and restarted on the same data directory and
// port, with its resident memory read from /proc and its log (warn and above) kept for
// failure reports; a seeded PRNG; and a client session that never loses a frame.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { wsAuthSigningInput } from '@parley/common/protocol';
import WebSocket from 'ws';
import type { TestDevice } from './client.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** A port that was free a moment ago (the relay is restarted on it after each kill). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class RelayProcess {
  private child: ChildProcess | null = null;
  readonly log: string[] = [];
  readonly host: string;
  readonly wsUrl: string;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly flags: string[] = [],
  ) {
    this.host = `127.0.0.1:${port}`;
    this.wsUrl = `ws://${this.host}/v1/ws`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the relay and resolves once it listens; returns the start-up time in ms. */
  async start(): Promise<number> {
    const started = performance.now();
    const args = ['--import', 'tsx', join(root, 'relay', 'src', 'node.ts'), '--port', String(this.port), '--host', '127.0.0.1', '--data-dir', this.dataDir, '--log-level', 'info', ...this.flags];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PARLEY_MONGODB_URL: '', PARLEY_REDIS_URL: '' } });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`relay did not start in 20 s:\n${this.log.slice(-20).join('\n')}`)), 20_000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!/"level":"(debug|info)"/.test(line)) this.log.push(line);
          if (line.includes('"relay.listening"')) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`relay exited during start-up (${code ?? signal}):\n${this.log.slice(-20).join('\n')}`));
      });
    });
    return performance.now() - started;
  }

  /** SIGKILL: no shutdown handler runs, nothing is flushed. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(force);
    this.child = null;
  }

  /** Resident set size of the relay process in bytes (Linux /proc). */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kb * 1024;
  }
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A logged-in socket whose frame handler is attached before the socket opens, so no
 * frame that arrives together with `ready` is missed. Every failure (relay down, refused
 * login) rejects the returned promise and nothing else: no stray timers or rejections.
 */
export async function openSession(
  relay: { wsUrl: string; host: string },
  device: TestDevice,
  onFrame: (frame: any, ws: WebSocket) => void,
  timeoutMs = 5_000,
): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(relay.wsUrl);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => {}); // reported through 'close'
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => fail(new Error('login timed out')), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    void closed.then((code) => !ready && fail(new Error(`closed before ready (${code})`)));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (!ready) {
        if (frame.t === 'challenge') {
          const ts = Date.now();
          const sig = device.sign(wsAuthSigningInput(relay.host, frame.nonce, device.id, ts));
          ws.send(JSON.stringify({ t: 'auth', device: device.id, ts, sig }));
        } else if (frame.t === 'ready') {
          ready = true;
          clearTimeout(timer);
          resolve({ ws, closed });
        } else if (frame.t === 'error') fail(new Error(`login refused: ${frame.code}`));
        return;
      }
      onFrame(frame, ws);
    });
  });
}
