// A raw TCP client for the byte-level WebSocket fuzz test (../ws-bytes-fuzz.test.ts): it
// writes whatever it is given (in one write, in random pieces or byte by byte), and
// records the HTTP response, the relay's frames, and when the connection ended or closed.
import { type Socket, connect } from 'node:net';
import { type Rng } from './fuzz-rng.ts';
import { type ConnectionPlan } from './ws-fuzz-cases.ts';
import { readServerFrames } from './ws-wire.ts';

/** What one connection saw. */
export class RawConnection {
  readonly socket: Socket;
  response: { status: number; headers: Map<string, string>; body: string } | null = null;
  frames: ReturnType<typeof readServerFrames>['frames'] = [];
  closed = false;
  ended = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(port: number, halfOpen: boolean) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.response) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0])?.[1] ?? 0);
      this.buf = this.buf.subarray(end + 4);
      this.response = { status, headers, body: '' };
    }
    if (this.response.status === 101) {
      const { frames, rest } = readServerFrames(this.buf);
      this.frames.push(...frames);
      this.buf = Buffer.from(rest);
    } else this.response.body = this.buf.toString('utf8');
    this.wake();
  }

  /** Waits until `done()` holds or `ms` pass; returns whether it held. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  async write(bytes: Buffer, how: ConnectionPlan['writes'], rng: Rng): Promise<void> {
    if (how === 'one') {
      this.socket.write(bytes);
      return;
    }
    for (let at = 0; at < bytes.length && !this.closed; ) {
      const n = how === 'bytes' ? 1 : 1 + rng.int(rng.chance(0.5) ? 16 : 4096);
      this.socket.write(bytes.subarray(at, at + n));
      at += n;
      // A turn of the event loop between pieces, so they leave as separate TCP writes.
      await new Promise((r) => setImmediate(r));
    }
  }
}
