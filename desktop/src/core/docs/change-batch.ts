// Transport encoding of Automerge changes. Each change is Automerge's own binary change
// (columnar and DEFLATE-compressed when large); a batch is length-prefixed changes, sent
// as base64url inside an ordinary end-to-end message. The relay carries it blind.
export function encodeChangeBatch(changes: readonly Uint8Array[]): string {
  const total = changes.reduce((n, c) => n + 4 + c.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const c of changes) {
    view.setUint32(at, c.length);
    out.set(c, at + 4);
    at += 4 + c.length;
  }
  return Buffer.from(out).toString('base64url');
}

export function decodeChangeBatch(encoded: string): Uint8Array[] {
  const bytes = new Uint8Array(Buffer.from(encoded, 'base64url'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const changes: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 4 > bytes.length) throw new Error('truncated change batch');
    const len = view.getUint32(at);
    if (at + 4 + len > bytes.length) throw new Error('truncated change batch');
    changes.push(bytes.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return changes;
}
