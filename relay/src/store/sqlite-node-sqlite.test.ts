// The SQLite store on the node:sqlite driver (what the relay uses on Deno): the whole
// conformance suite. node:sqlite exists in Deno 2 and Node >= 22.5; on Node 20 this file
// says it skipped. `npm run test:deno` runs it under Deno.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { runMailboxStoreTests } from './conformance.ts';
import { openSqliteStore } from './sqlite.ts';

const available = await import('node:sqlite' as string).then(
  () => true,
  () => false,
);

if (available) {
  runMailboxStoreTests('sqlite (node:sqlite driver)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-node-sqlite-store-'));
    const store = await openSqliteStore({ path: join(dir, 'relay.db'), blobDir: join(dir, 'blobs'), driver: 'node:sqlite' });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
} else {
  describe('sqlite (node:sqlite driver)', () => {
    it.skip(`skipped: this runtime has no node:sqlite (Node ${process.versions.node}); npm run test:deno runs it under Deno`, () => {});
  });
}
