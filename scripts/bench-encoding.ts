// Measures the frame encodings protocol v1 could use, on the frames the relay handles
// most: a `send` to one device with a 100-byte payload, a fan-out `send` to 10 devices
// with 1 KiB each, and `deliver` batches of 1 and 500 entries. For each encoding it times
// what the relay does per frame (decode an incoming send; encode an outgoing deliver) and
// what a client does (encode its send including turning bytes into the wire form; decode
// a deliver back to bytes), and reports wire sizes. Run: node --import tsx scripts/bench-encoding.ts
import { randomBytes } from 'node:crypto';
import { encode as mpEncode, decode as mpDecode } from 'msgpackr';
import { encode as cborEncode, decode as cborDecode } from 'cbor-x';
import os from 'node:os';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const deviceId = 'abcdefghijklmnop';

function sendFrame(recipients: number, size: number, binary: boolean) {
  const to = Array.from({ length: recipients }, () => ({ d: deviceId, b: binary ? bytes(size) : b64(bytes(size)) }));
  return { t: 'send', cid: 'Zm9vYmFyYmF6cXV4', to };
}
function deliverFrame(n: number, size: number, binary: boolean) {
  const m = Array.from({ length: n }, (_, i) => ({ s: i + 1, b: binary ? bytes(size) : b64(bytes(size)), ts: 1763900000000 + i }));
  return { t: 'deliver', m };
}

interface Codec {
  name: string;
  binary: boolean;
  enc(v: unknown): string | Uint8Array;
  dec(v: string | Uint8Array): any;
  toWire(b: Uint8Array): unknown; // client side: bytes -> field value
  fromWire(v: any): Uint8Array;
}
const codecs: Codec[] = [
  { name: 'JSON + base64url', binary: false, enc: (v) => JSON.stringify(v), dec: (s) => JSON.parse(s as string), toWire: b64, fromWire: (s: string) => new Uint8Array(Buffer.from(s, 'base64url')) },
  { name: 'MessagePack (msgpackr)', binary: true, enc: (v) => mpEncode(v), dec: (b) => mpDecode(b as Uint8Array), toWire: (b) => b, fromWire: (b) => b },
  { name: 'CBOR (cbor-x)', binary: true, enc: (v) => cborEncode(v), dec: (b) => cborDecode(b as Uint8Array), toWire: (b) => b, fromWire: (b) => b },
];

function time(fn: () => void, minMs = 300): number {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return elapsed / n / 1000; // µs per op
}

const cases = [
  { name: 'send, 1 × 100 B', make: (bin: boolean) => sendFrame(1, 100, bin), kind: 'send', size: 100, n: 1 },
  { name: 'send, 10 × 1 KiB', make: (bin: boolean) => sendFrame(10, 1024, bin), kind: 'send', size: 1024, n: 10 },
  { name: 'deliver, 1 × 100 B', make: (bin: boolean) => deliverFrame(1, 100, bin), kind: 'deliver', size: 100, n: 1 },
  { name: 'deliver, 500 × 100 B', make: (bin: boolean) => deliverFrame(500, 100, bin), kind: 'deliver', size: 100, n: 500 },
];

const rows: string[] = [];
rows.push('| frame | encoding | wire bytes | relay µs/frame | client µs/frame |');
rows.push('|---|---|---:|---:|---:|');
for (const c of cases) {
  for (const codec of codecs) {
    const frame = c.make(codec.binary);
    const wire = codec.enc(frame);
    const wireBytes = typeof wire === 'string' ? Buffer.byteLength(wire) : wire.byteLength;
    const raw = Array.from({ length: c.n }, () => bytes(c.size));
    let relayUs: number;
    let clientUs: number;
    if (c.kind === 'send') {
      // relay decodes the send; client turns bytes into wire form and encodes
      relayUs = time(() => codec.dec(wire));
      clientUs = time(() => codec.enc({ t: 'send', cid: 'Zm9vYmFyYmF6cXV4', to: raw.map((b) => ({ d: deviceId, b: codec.toWire(b) })) }));
    } else {
      // relay encodes the deliver from stored entries; client decodes and recovers bytes
      relayUs = time(() => codec.enc(frame));
      clientUs = time(() => {
        const f = codec.dec(wire);
        for (const e of f.m) codec.fromWire(e.b);
      });
    }
    rows.push(`| ${c.name} | ${codec.name} | ${wireBytes} | ${relayUs.toFixed(2)} | ${clientUs.toFixed(2)} |`);
  }
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`Frame encodings, ${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores, Node ${process.version}\n`);
console.log(rows.join('\n'));
