// vitest globalSetup: builds the UI (vite) once per test run when the build is missing or
// older than its sources, so the browser tests always drive the current renderer and
// runs that do not touch the UI pay only a directory walk.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const desktop = join(import.meta.dirname, '..', '..');
const root = join(desktop, '..');
const built = join(desktop, 'dist', 'renderer', 'index.html');

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export default function setup(): void {
  // The Deno leg of `npm test` runs relay tests only (and process.execPath is Deno there).
  if ('Deno' in globalThis) return;
  const sources = [join(desktop, 'src', 'renderer'), join(root, 'common', 'src', 'api'), join(desktop, 'vite.config.ts'), join(desktop, 'svelte.config.js')];
  const stale = !existsSync(built) || process.env.PARLEY_UI_REBUILD === '1' || Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs;
  if (!stale) return;
  // NODE_ENV=production: Vitest sets NODE_ENV=test, which the child would inherit, and Vite
  // then builds Svelte in dev mode (a slower UI with dev-only checks than the one that ships).
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: desktop, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}
