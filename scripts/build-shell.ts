// Bundles the Electron shell: main and the two preloads into CommonJS files under
// desktop/dist/electron (sandboxed preloads cannot load other files, and main imports
// TypeScript from common/ and core/), and copies the unlock page and its icon to
// desktop/dist/shell. better-sqlite3 (native) and Automerge (WebAssembly loader) stay
// in node_modules; electron-builder ships them as the app's dependencies.
//   node --import tsx scripts/build-shell.ts
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const desktop = join(root, 'desktop');
const out = join(desktop, 'dist', 'electron');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron', 'better-sqlite3', '@automerge/automerge', 'bufferutil', 'utf-8-validate'],
} as const;

await Promise.all([
  build({ ...common, entryPoints: [join(desktop, 'src/main/main.ts')], outfile: join(out, 'main.cjs') }),
  build({ ...common, entryPoints: [join(desktop, 'src/preload/preload.ts')], outfile: join(out, 'preload.cjs') }),
  build({ ...common, entryPoints: [join(desktop, 'src/preload/unlock-preload.ts')], outfile: join(out, 'unlock-preload.cjs') }),
]);

const shellPages = join(desktop, 'dist', 'shell');
mkdirSync(shellPages, { recursive: true });
cpSync(join(desktop, 'src/main/pages'), shellPages, { recursive: true });
cpSync(join(root, 'build/icon.svg'), join(shellPages, 'icon.svg'));
console.log(`shell built: ${out}`);
