// The load generator's side of the wire: a raw `ws` client that logs a bench device in,
// then hands every frame to a workload callback as the Buffer `ws` received. Hot frames
// (deliver, sent) are recognised and scanned in place; nothing on the hot path goes
// through JSON.parse or a schema.
import WebSocket from 'ws';
import { type BenchDevice, authFrame } from './bench-identities.ts';

export type FrameHandler = (data: Buffer) => void;

export interface BenchSocket {
  device: BenchDevice;
  ws: WebSocket;
  /** Replace what happens with frames after `ready`. */
  onFrame: FrameHandler;
  /**
   * Frames that arrived after `ready` but before the caller replaced onFrame (a relay may
   * send a backlog's first deliver in the same read as `ready`); replay them after
   * setting onFrame. Capped, so idle sockets that never read them hold little.
   */
  early: Buffer[];
  /** deliver frames the relay sent before `ready` (a protocol violation; kept in `early` too). */
  deliversBeforeReady: number;
}

const WS_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true } as const;

/** Byte 6 of a server frame is the first letter of its type: `{"t":"x...`. */
export const isDeliver = (b: Buffer): boolean => b[6] === 0x64 /* d */;
export const isSent = (b: Buffer): boolean => b[6] === 0x73 /* s */ && b[7] === 0x65 /* e */;
export const isPing = (b: Buffer): boolean => b[6] === 0x70 /* p */ && b[7] === 0x69 /* i */;
export const isError = (b: Buffer): boolean => b[6] === 0x65 /* e */ && b[7] === 0x72 /* r */;

const ENTRY = Buffer.from('{"s":');

/**
 * Scans a deliver frame: calls `each(seq)` for every entry in order, returns the count.
 * Relies on the relay serialising entries as {"s":<seq>,...}.
 */
export function scanDeliver(b: Buffer, each: (seq: number) => void): number {
  let n = 0;
  let at = b.indexOf(ENTRY, 8);
  while (at >= 0) {
    let i = at + 5;
    let seq = 0;
    for (let c = b[i]; c >= 0x30 && c <= 0x39; c = b[++i]) seq = seq * 10 + (c - 0x30);
    each(seq);
    n++;
    at = b.indexOf(ENTRY, i);
  }
  return n;
}

/** Opens a socket and logs in; resolves once `ready` arrived. */
export function login(url: string, device: BenchDevice, after?: number, timeoutMs = 30_000): Promise<BenchSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, WS_OPTIONS);
    const early: Buffer[] = [];
    const sock: BenchSocket = { device, ws, early, deliversBeforeReady: 0, onFrame: (b) => void (early.length < 64 && early.push(b)) };
    let state: 'challenge' | 'auth' | 'ready' = 'challenge';
    const timer = setTimeout(() => fail(new Error(`login of ${device.id} timed out`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('message', (data: Buffer) => {
      if (state === 'ready') {
        if (isPing(data)) return ws.send('{"t":"pong"}');
        return sock.onFrame(data);
      }
      if (isDeliver(data)) {
        sock.deliversBeforeReady++;
        early.push(data);
        return;
      }
      const frame = JSON.parse(data.toString()) as { t: string; nonce?: string; relay?: string; code?: string; message?: string };
      if (state === 'challenge' && frame.t === 'challenge') {
        state = 'auth';
        ws.send(authFrame(device, frame.relay!, frame.nonce!, after));
      } else if (state === 'auth' && frame.t === 'ready') {
        state = 'ready';
        clearTimeout(timer);
        resolve(sock);
      } else if (frame.t === 'error') {
        fail(new Error(`login refused: ${frame.code}: ${frame.message}`));
      }
    });
    ws.on('error', (err) => fail(err));
    ws.on('close', (code) => {
      if (state !== 'ready') fail(new Error(`socket closed during login (${code})`));
    });
  });
}

/** Logs in many devices with at most `concurrency` handshakes in flight. */
export async function loginAll(url: string, devices: BenchDevice[], concurrency: number, after?: number): Promise<BenchSocket[]> {
  const out: BenchSocket[] = new Array(devices.length);
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const i = next++;
      out[i] = await login(url, devices[i], after);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices.length) }, worker));
  return out;
}

/** Latencies in microseconds, 1 µs buckets up to 10 s (one overflow bucket beyond). */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(10_000_001);
  count = 0;

  record(micros: number): void {
    const i = micros < 0 ? 0 : micros > 10_000_000 ? 10_000_000 : Math.round(micros);
    this.buckets[i]++;
    this.count++;
  }

  /** The q-quantile in microseconds (q in [0, 1]). */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i;
    }
    return this.buckets.length - 1;
  }
}

/** Closes sockets without waiting for the closing handshake. */
export function closeAll(socks: BenchSocket[]): void {
  for (const s of socks) s?.ws.terminate();
}

/** Decodes an error frame for a report (off the hot path). */
export function errorCode(b: Buffer): string {
  try {
    return (JSON.parse(b.toString()) as { code?: string }).code ?? 'unknown';
  } catch {
    return 'unparsable';
  }
}
