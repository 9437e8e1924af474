// Test support: a fresh profile directory under the OS temp dir, removed after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempProfile(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-core-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
