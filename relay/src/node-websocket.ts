// The server side of RFC 6455 on a Node socket, as small as the relay's use of it: every
// idle connection keeps one WireSocket (a dozen fields) instead of `ws`'s WebSocket,
// Receiver (a Writable stream with its state) and Sender, about 1.2 KiB less per socket
// (bench W3, relay/bench/relay-bench-notes.md). What it does: the opening handshake, text
// and binary frames (masked, possibly fragmented, at most `maxPayload` bytes and
// MAX_FRAGMENTS frames a message), UTF-8 validation of text, ping → pong, the closing
// handshake. No extensions (no permessage-deflate), no subprotocol beyond echoing the
// first one offered, as `ws` did. Node only: node-server.ts is its one user. The rules
// where RFC 6455 leaves a choice are in docs/protocol.md (WebSocket, close codes); the
// byte-level fuzz test (relay/test/ws-bytes-fuzz.test.ts) checks them.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SocketHandlers } from './app.ts';
import type { RelaySocket } from './connection.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A peer that does not answer our close frame within this long is cut off. */
const CLOSE_TIMEOUT_MS = 10_000;
/** Pings are answered while less than this is waiting to be written (a ping flood from a peer that never reads). */
const MAX_BUFFERED_FOR_PONG = 1024 * 1024;
/**
 * Frames one message may arrive in (control frames in between do not count); more is
 * closed with 1009. Empty continuation frames cost a peer 6 bytes each and would
 * otherwise grow the list of fragments without bound (clients do not fragment at all).
 */
export const MAX_FRAGMENTS = 1024;
const KEY = /^[+/0-9A-Za-z]{22}==$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** `ignoreBOM`: a leading U+FEFF is part of the text, as the peer sent it (the default strips it). */
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const wire = Symbol('parley.wire');

/**
 * Why an upgrade request is refused (HTTP 400, with `headers` to add), or the 101
 * response's headers. RFC 6455 4.2.1 lists what the request must have; 4.4: a refused
 * version is answered with the version the server speaks.
 */
export function handshake(req: IncomingMessage): { refused: string; headers?: string } | { response: string } {
  const key = req.headers['sec-websocket-key'];
  if (req.method !== 'GET') return { refused: 'The WebSocket upgrade must be a GET request.' };
  if (!req.headers.host) return { refused: 'The Host header is required.' };
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return { refused: 'Upgrade: websocket is required.' };
  if (typeof key !== 'string' || !KEY.test(key)) return { refused: 'Sec-WebSocket-Key is missing or invalid.' };
  if (req.headers['sec-websocket-version'] !== '13') return { refused: 'Only WebSocket version 13 is supported.', headers: 'Sec-WebSocket-Version: 13\r\n' };
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${createHash('sha1').update(key + GUID).digest('base64')}`];
  const offered = req.headers['sec-websocket-protocol'];
  if (offered !== undefined) {
    const first = offered.split(',')[0].trim();
    if (!TOKEN.test(first)) return { refused: 'Sec-WebSocket-Protocol is invalid.' };
    lines.push(`Sec-WebSocket-Protocol: ${first}`);
  }
  return { response: lines.join('\r\n') + '\r\n\r\n' };
}

/**
 * Ends a socket whose upgrade was refused with `response`. What the peer still sends is
 * read and dropped (unread data would turn our close into a reset that can discard the
 * answer), and a peer that never ends its side is cut off after CLOSE_TIMEOUT_MS: the
 * upgraded socket of Node's HTTP server allows half-open, so `end()` alone would keep it
 * for as long as the peer likes.
 */
export function endRefused(socket: Duplex, response: string): void {
  const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
  timer.unref?.();
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
  socket.end(response);
}

/** Sockets corked in this turn of the event loop; one microtask uncorks them all. */
let corkedThisTurn: WireSocket[] = [];
const uncorkAll = () => {
  const sockets = corkedThisTurn;
  corkedThisTurn = [];
  for (const s of sockets) s.uncorkTurn();
};

// The socket's listeners are shared by every socket (`this` is the socket): no closures.
function onData(this: Duplex, chunk: Buffer): void {
  (this as Duplex & { [wire]: WireSocket })[wire].receive(chunk);
}
function onClose(this: Duplex): void {
  (this as Duplex & { [wire]: WireSocket })[wire].gone();
}
function ignore(): void {
  // 'close' follows every socket error
}
/** The peer ended its side (upgraded sockets of Node's HTTP server allow half-open): end ours. */
function onEnd(this: Duplex): void {
  this.end();
}

/**
 * One open WebSocket. Frames sent in one turn (the `sent` answers of one group commit,
 * deliver batches, the 101 response and the challenge) leave in one write: the socket
 * stays corked until this turn's microtasks have run.
 */
export class WireSocket implements RelaySocket {
  handlers: SocketHandlers | undefined = undefined;
  /** Received bytes not yet a whole frame: the first `partialBytes` of `partial` (the rest is room to grow). */
  private partial: Buffer | null = null;
  private partialBytes = 0;
  /** Bytes the partial frame needs in all, once its header is known (else 0). */
  private partialNeed = 0;
  /** A fragmented message's frames so far, its opcode and size. */
  private fragments: Buffer[] | null = null;
  private fragmentsOpcode = 0;
  private fragmentsBytes = 0;
  private closeSent = false;
  private closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** No more frames are read: a protocol error, or the peer's close frame arrived. */
  private stopped = false;
  /** The socket closed. */
  private done = false;
  private corked = false;

  constructor(
    private readonly socket: Duplex,
    private readonly maxPayload: number,
    /** The set this socket leaves when it closes (the server's open sockets). */
    private readonly open: Set<WireSocket>,
  ) {
    (socket as Duplex & { [wire]: WireSocket })[wire] = this;
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('end', onEnd);
    socket.on('error', ignore);
    open.add(this);
  }

  /** Starts reading; `head` is what arrived after the upgrade request. */
  start(head: Buffer): void {
    if (head.length > 0) this.receive(head);
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  send(data: string): void {
    if (this.closeSent || this.done) return;
    const n = Buffer.byteLength(data);
    const h = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(h + n);
    frame[0] = 0x81;
    this.putLength(frame, n);
    frame.write(data, h, 'utf8');
    this.write(frame);
  }

  /** Starts the closing handshake; the socket ends when the peer answers, or after a timeout. */
  close(code: number, reason = ''): void {
    if (this.closeSent || this.done) return;
    this.sendClose(code, reason);
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref?.();
  }

  /** Drops the connection at once (shutdown of a peer that ignores the closing handshake). */
  terminate(): void {
    this.socket.destroy();
  }

  uncorkTurn(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /** The socket closed, by either side. */
  gone(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.closeTimer);
    this.partial = this.fragments = null;
    this.open.delete(this);
    this.handlers?.onClose();
  }

  receive(chunk: Buffer): void {
    if (this.stopped || this.done) return;
    let buf = chunk;
    if (this.partial) {
      this.appendPartial(chunk);
      if (this.partialBytes < this.partialNeed) return;
      buf = this.partial.subarray(0, this.partialBytes);
      this.partial = null;
      this.partialBytes = 0;
    }
    let at = 0;
    let need = 0;
    while (!this.stopped && !this.done && buf.length - at >= 2) {
      const b0 = buf[at];
      const b1 = buf[at + 1];
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      let length = b1 & 0x7f;
      // Broken framing shows in the first two bytes; it is refused (1002) before the
      // length is read, so a frame that is both broken and huge gets 1002, as documented.
      if ((b0 & 0x70) !== 0) return this.fail(1002);
      if ((b1 & 0x80) === 0) return this.fail(1002); // clients must mask
      if (opcode >= 8) {
        if (!fin || length > 125 || opcode > 10) return this.fail(1002);
      } else if (opcode === 0) {
        if (!this.fragments) return this.fail(1002);
        if (this.fragments.length >= MAX_FRAGMENTS) return this.fail(1009);
      } else if (opcode === 1 || opcode === 2) {
        if (this.fragments) return this.fail(1002);
      } else return this.fail(1002);
      let p = at + 2;
      if (length === 126) {
        if (buf.length - p < 2) break;
        length = buf.readUInt16BE(p);
        p += 2;
      } else if (length === 127) {
        if (buf.length - p < 8) break;
        if (buf.readUInt32BE(p) !== 0) return this.fail(1009);
        length = buf.readUInt32BE(p + 4);
        p += 8;
      }
      if (opcode < 8 && (opcode === 0 ? this.fragmentsBytes : 0) + length > this.maxPayload) return this.fail(1009);
      // Wait for the rest only once the header showed the frame is within bounds.
      if (buf.length - p < 4 + length) {
        need = p - at + 4 + length;
        break;
      }
      const mask = p;
      p += 4;
      const payload = buf.subarray(p, p + length);
      for (let i = 0; i < length; i++) payload[i] ^= buf[mask + (i & 3)];
      at = p + length;
      this.frame(fin, opcode, payload);
    }
    if (!this.stopped && !this.done && at < buf.length) {
      // A copy: the rest of a large chunk must not pin the whole chunk.
      this.partial = Buffer.from(buf.subarray(at));
      this.partialBytes = buf.length - at;
      this.partialNeed = need;
    }
  }

  /**
   * Copies a chunk of an unfinished frame into one buffer that grows by doubling (up to
   * what the frame needs, once known): each chunk kept as a Buffer of its own cost ~200
   * bytes however small it was, so a peer sending a frame one byte per TCP segment made
   * the relay hold ~200 times the frame. Now it holds at most twice what arrived.
   */
  private appendPartial(chunk: Buffer): void {
    const partial = this.partial!;
    const bytes = this.partialBytes + chunk.length;
    if (bytes > partial.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(bytes, Math.min(2 * partial.length, this.partialNeed || Number.POSITIVE_INFINITY)));
      partial.copy(grown, 0, 0, this.partialBytes);
      this.partial = grown;
    }
    chunk.copy(this.partial!, this.partialBytes);
    this.partialBytes = bytes;
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0 || opcode === 1 || opcode === 2) {
      if (!fin) {
        if (opcode !== 0) {
          this.fragments = [];
          this.fragmentsOpcode = opcode;
          this.fragmentsBytes = 0;
        }
        // A copy: a view would keep the whole chunk it came in (up to 64 KiB) alive for a
        // fragment of one byte, so the bytes held would not be bounded by `maxPayload`.
        const copy = Buffer.allocUnsafeSlow(payload.length);
        payload.copy(copy);
        this.fragments!.push(copy);
        this.fragmentsBytes += payload.length;
        return;
      }
      let message = payload;
      if (opcode === 0) {
        this.fragments!.push(payload);
        message = Buffer.concat(this.fragments!, this.fragmentsBytes + payload.length);
        opcode = this.fragmentsOpcode;
        this.fragments = null;
      }
      if (this.closeSent) return; // closing: no more data for the relay
      if (opcode === 2) return this.handlers?.onMessage(message);
      let text: string;
      try {
        text = fatalUtf8.decode(message);
      } catch {
        return this.fail(1007);
      }
      return this.handlers?.onMessage(text);
    }
    if (opcode === 9) {
      if (!this.closeSent && this.socket.writableLength < MAX_BUFFERED_FOR_PONG) {
        const pong = Buffer.allocUnsafe(2 + payload.length);
        pong[0] = 0x8a;
        pong[1] = payload.length;
        payload.copy(pong, 2);
        this.write(pong);
      }
      return;
    }
    if (opcode === 10) return;
    // Close: check the code and reason, answer (unless we started), end the socket.
    let code = 1005;
    if (payload.length === 1) return this.fail(1002);
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code)) return this.fail(1002);
      try {
        fatalUtf8.decode(payload.subarray(2));
      } catch {
        return this.fail(1007);
      }
    }
    if (!this.closeSent) this.sendClose(code === 1005 ? undefined : code, '');
    this.stop();
  }

  /** A protocol error: close with `code` and stop reading. */
  private fail(code: number): void {
    if (!this.closeSent) this.sendClose(code, '');
    this.stop();
    const handlers = this.handlers;
    this.handlers = undefined;
    handlers?.onClose();
  }

  /** Reads nothing more and ends the socket (destroyed if the peer does not end its side). */
  private stop(): void {
    this.stopped = true;
    this.partial = this.fragments = null;
    this.socket.end();
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref?.();
  }

  private sendClose(code: number | undefined, reason: string): void {
    this.closeSent = true;
    const r = Buffer.from(reason.slice(0, 123), 'utf8').subarray(0, 123);
    const frame = Buffer.allocUnsafe(code === undefined ? 2 : 4 + r.length);
    frame[0] = 0x88;
    frame[1] = code === undefined ? 0 : 2 + r.length;
    if (code !== undefined) {
      frame.writeUInt16BE(code, 2);
      r.copy(frame, 4);
    }
    this.write(frame);
  }

  private putLength(frame: Buffer, n: number): void {
    if (n < 126) frame[1] = n;
    else if (n < 65536) {
      frame[1] = 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 127;
      frame.writeUInt32BE(0, 2);
      frame.writeUInt32BE(n, 6);
    }
  }

  private write(frame: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      if (corkedThisTurn.push(this) === 1) queueMicrotask(uncorkAll);
    }
    this.socket.write(frame);
  }
}

/** Close codes a peer may send (RFC 6455 7.4; 1004-1006 and 1015 are never sent). */
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
