// Named secrets in the profile database, sealed by the host's SecretBox. The name is
// sealed together with the value and checked on open, so a sealed blob copied to another
// row (say, a session moved onto another contact) is refused rather than used.
import { fromUtf8, utf8 } from '@parley/common/encoding';
import type { Db } from '../db/database.ts';
import { SecretBoxError, type SecretBox } from './secret-box.ts';

export class SecretStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  put(name: string, value: Uint8Array): void {
    const nameBytes = utf8(name);
    const plain = new Uint8Array(4 + nameBytes.length + value.length);
    new DataView(plain.buffer).setUint32(0, nameBytes.length);
    plain.set(nameBytes, 4);
    plain.set(value, 4 + nameBytes.length);
    this.db
      .prepare(`INSERT INTO secrets (name, sealed, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`)
      .run(name, this.box.seal(plain), this.now());
    plain.fill(0);
  }

  get(name: string): Uint8Array | null {
    const sealed = this.db.prepare(`SELECT sealed FROM secrets WHERE name = ?`).pluck().get(name) as Buffer | undefined;
    if (!sealed) return null;
    const plain = this.box.open(new Uint8Array(sealed));
    const len = new DataView(plain.buffer, plain.byteOffset).getUint32(0);
    if (fromUtf8(plain.subarray(4, 4 + len)) !== name) {
      throw new SecretBoxError('secret_mismatch', `The stored secret "${name}" was sealed under another name; it has been tampered with.`);
    }
    return plain.slice(4 + len);
  }

  putJson(name: string, value: unknown): void {
    this.put(name, utf8(JSON.stringify(value)));
  }

  getJson<T>(name: string): T | null {
    const bytes = this.get(name);
    return bytes ? (JSON.parse(fromUtf8(bytes)) as T) : null;
  }

  delete(name: string): void {
    this.db.prepare(`DELETE FROM secrets WHERE name = ?`).run(name);
  }
}
