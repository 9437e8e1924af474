// RFC 6455 as bytes, for the byte-level WebSocket fuzz test (../ws-bytes-fuzz.test.ts):
// an encoder for client frames that can break every rule (reserved bits, unknown opcodes,
// no mask, any length encoding, a length field that lies), a reader for the relay's
// frames, and a reference reader that says from the bytes alone what the relay must
// answer (pongs, messages for the app, the close code). The reference follows RFC 6455
// section 5 and docs/protocol.md (close codes), not node-websocket.ts, so the two can
// disagree; where the RFC leaves the choice open it follows what the protocol documents:
// - a frame is judged on its first two bytes before its length: broken framing (1002)
//   wins over a length above the ceiling (1009), which wins over bad UTF-8 (1007);
// - non-minimal length encodings are accepted (RFC 6455 5.2 puts the "minimal" MUST on
//   the sender; `ws` and browsers accept them too);
// - text is checked for UTF-8 once the whole message is in.
import { isUtf8 } from 'node:buffer';

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface WireFrame {
  fin?: boolean;
  /** RSV1-3 as a 3-bit number (0 for a valid frame). */
  rsv?: number;
  opcode: number;
  payload: Buffer;
  masked?: boolean;
  /** Length encoding: 7-bit, 16-bit or 64-bit (default: the minimal one). */
  form?: 7 | 16 | 64;
  /** The length field's value when it should not be the payload's length (the frame is then cut short). */
  declared?: bigint;
  mask?: Buffer;
}

/** A client frame as bytes. With `declared` above the payload's length, only the payload given follows. */
export function encodeFrame(f: WireFrame): Buffer {
  const length = f.declared ?? BigInt(f.payload.length);
  const form = f.form ?? (length < 126n ? 7 : length < 65536n ? 16 : 64);
  const masked = f.masked ?? true;
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) & 7) << 4 | (f.opcode & 0x0f)];
  const m = masked ? 0x80 : 0;
  if (form === 7) head.push(m | Number(length & 0x7fn));
  else if (form === 16) head.push(m | 126, Number((length >> 8n) & 0xffn), Number(length & 0xffn));
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(length & 0xffff_ffff_ffff_ffffn);
    head.push(m | 127, ...b);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), f.payload]);
  const mask = f.mask ?? Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(f.payload.map((x, i) => x ^ mask[i & 3]));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** A close frame's payload: the code (if any) and the reason bytes. */
export function closePayload(code: number | null, reason: Buffer = Buffer.alloc(0)): Buffer {
  if (code === null) return reason;
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, reason]);
}

/** Close codes a peer may send (RFC 6455 7.4.1-7.4.2: 1004-1006 and 1015 are reserved, 1016-2999 unassigned). */
export function peerMaySendClose(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export interface ReferenceLimits {
  /** The WebSocket layer's ceiling on a message (HARD_LIMITS.maxFrameBytes). */
  maxMessageBytes: number;
  /** Frames one message may arrive in (data frames; control frames in between do not count). */
  maxFragments: number;
}

export type Message = { text: string } | { binary: number };

export interface Expected {
  /** Payloads of the pings, in order: each must come back in a pong. */
  pongs: Buffer[];
  /** Whole messages the relay hands to the app, in order. */
  messages: Message[];
  /** How the bytes end: a close code the relay must send (1005: an empty close frame), or nothing to close for. */
  end: { close: number; why: string } | { open: 'idle' | 'mid-frame' | 'mid-message' };
}

/** What the relay must do with `bytes` (everything a client sent after its upgrade request). */
export function expectFromBytes(bytes: Buffer, limits: ReferenceLimits): Expected {
  const out: Expected = { pongs: [], messages: [], end: { open: 'idle' } };
  let fragOpcode = -1;
  let fragParts: Buffer[] = [];
  let fragBytes = 0;
  let fragCount = 0;
  let at = 0;
  const fail = (close: number, why: string): Expected => ({ ...out, end: { close, why } });
  for (;;) {
    const open = fragOpcode >= 0 ? 'mid-message' : 'idle';
    if (bytes.length - at === 0) return { ...out, end: { open } };
    if (bytes.length - at < 2) return { ...out, end: { open: 'mid-frame' } };
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const len7 = b1 & 0x7f;
    const control = opcode >= 8;
    if (b0 & 0x70) return fail(1002, 'reserved bit');
    if (!(b1 & 0x80)) return fail(1002, 'unmasked');
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) return fail(1002, `opcode ${opcode}`);
    if (control && !fin) return fail(1002, 'fragmented control frame');
    if (control && len7 > 125) return fail(1002, 'control frame over 125 bytes');
    if (opcode === 0 && fragOpcode < 0) return fail(1002, 'continuation without a start');
    if ((opcode === 1 || opcode === 2) && fragOpcode >= 0) return fail(1002, 'data frame inside a fragmented message');
    let p = at + 2;
    let length: bigint;
    if (len7 === 126) {
      if (bytes.length - p < 2) return { ...out, end: { open: 'mid-frame' } };
      length = BigInt(bytes.readUInt16BE(p));
      p += 2;
    } else if (len7 === 127) {
      if (bytes.length - p < 8) return { ...out, end: { open: 'mid-frame' } };
      length = bytes.readBigUInt64BE(p);
      p += 8;
    } else length = BigInt(len7);
    if (!control) {
      const total = (opcode === 0 ? BigInt(fragBytes) : 0n) + length;
      if (total > BigInt(limits.maxMessageBytes)) return fail(1009, 'message over the ceiling');
      if (!fin || opcode === 0) {
        if ((opcode === 0 ? fragCount : 0) + 1 > limits.maxFragments) return fail(1009, 'too many fragments');
      }
    }
    const n = Number(length);
    if (bytes.length - p < 4 + n) return { ...out, end: { open: 'mid-frame' } };
    const mask = bytes.subarray(p, p + 4);
    const payload = Buffer.from(bytes.subarray(p + 4, p + 4 + n).map((x, i) => x ^ mask[i & 3]));
    at = p + 4 + n;
    if (opcode === OP.ping) {
      out.pongs.push(payload);
      continue;
    }
    if (opcode === OP.pong) continue;
    if (opcode === OP.close) {
      if (payload.length === 0) return fail(1005, 'close without a code');
      if (payload.length === 1) return fail(1002, 'close with a 1-byte payload');
      const code = payload.readUInt16BE(0);
      if (!peerMaySendClose(code)) return fail(1002, `close code ${code}`);
      if (!isUtf8(payload.subarray(2))) return fail(1007, 'close reason not UTF-8');
      return fail(code, 'close echoed');
    }
    if (opcode !== 0) {
      fragOpcode = opcode;
      fragParts = [];
      fragBytes = 0;
      fragCount = 0;
    }
    fragParts.push(payload);
    fragBytes += n;
    fragCount++;
    if (!fin) continue;
    const message = Buffer.concat(fragParts);
    const kind = fragOpcode;
    fragOpcode = -1;
    fragParts = [];
    if (kind === OP.binary) out.messages.push({ binary: message.length });
    else if (!isUtf8(message)) return fail(1007, 'text not UTF-8');
    else out.messages.push({ text: message.toString('utf8') });
  }
}

export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Reads the relay's frames off `buf`; returns them and the bytes left over. */
export function readServerFrames(buf: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    let len = buf[at + 1] & 0x7f;
    let p = at + 2;
    if (len === 126) {
      if (buf.length - p < 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length - p < 8) break;
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (buf[at + 1] & 0x80) !== 0;
    if (masked) p += 4;
    if (buf.length - p < len) break;
    frames.push({ fin: (buf[at] & 0x80) !== 0, rsv: (buf[at] >> 4) & 7, opcode: buf[at] & 0x0f, masked, payload: Buffer.from(buf.subarray(p, p + len)) });
    at = p + len;
  }
  return { frames, rest: buf.subarray(at) };
}
