// Plaintext padding for sealed envelopes, so ciphertext lengths leak little: ISO/IEC 7816-4
// (0x80 then zeros) up to 256 bytes minimum, above that to the Padmé length (Nikitin et al.,
// "Reducing Metadata Leakage from Encrypted Files and Communication with PURBs", 2019),
// which wastes at most ~12% and leaks O(log log n) bits of the length.
import { CryptoError } from './errors.ts';

export const MIN_PADDED = 256;

export function paddedLength(n: number): number {
  if (n <= MIN_PADDED) return MIN_PADDED;
  const e = Math.floor(Math.log2(n));
  const s = Math.floor(Math.log2(e)) + 1;
  const mask = 2 ** (e - s) - 1;
  return Math.ceil(n / (mask + 1)) * (mask + 1);
}

export function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(data.length + 1));
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

export function unpad(data: Uint8Array): Uint8Array {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i < 0 || data[i] !== 0x80) throw new CryptoError('malformed', 'bad padding');
  return data.subarray(0, i);
}
