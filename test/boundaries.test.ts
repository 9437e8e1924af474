// Enforces the process boundaries of DESIGN.md by reading imports:
// - common/ imports no `node:` module, no Node built-in and no Electron (it runs in Node, Deno and browsers);
// - relay's app, hub and routes stay runtime-neutral (only the runtime entries and stores may use Node);
// - desktop/src/core imports no Electron; desktop/src/renderer imports neither Node, Electron nor the core;
// - desktop/src/shell-logic imports no Electron; desktop/src/preload imports neither Node nor the core.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(sourceFiles(p));
    else if (/\.(ts|svelte)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

function violations(dir: string, forbidden: (spec: string, file: string) => boolean, except: (file: string) => boolean = () => false) {
  const found: string[] = [];
  for (const f of sourceFiles(join(root, dir))) {
    if (except(f)) continue;
    for (const spec of importsOf(f)) if (forbidden(spec, f)) found.push(`${relative(root, f)} imports ${spec}`);
  }
  return found;
}

const isNode = (s: string) => nodeBuiltins.has(s) || s.startsWith('node:');
const isElectron = (s: string) => s === 'electron' || s.startsWith('electron/');

describe('import boundaries', () => {
  it('common/ imports no Node built-in and no Electron', () => {
    expect(violations('common/src', (s) => isNode(s) || isElectron(s))).toEqual([]);
  });

  it("the relay's app, hub and routes are runtime-neutral (Node only in entries, stores and the Node adapters)", () => {
    const allowed = (f: string) => /relay\/src\/(node|deno)[^/]*\.ts$|relay\/src\/store\/|relay\/src\/runtime\/|relay\/src\/bus-redis/.test(f);
    expect(violations('relay/src', isNode, allowed)).toEqual([]);
  });

  it('desktop core imports no Electron', () => {
    expect(violations('desktop/src/core', isElectron)).toEqual([]);
  });

  it('the renderer imports neither Node, Electron nor the core', () => {
    expect(violations('desktop/src/renderer', (s) => isNode(s) || isElectron(s) || /\/core(\/|$)/.test(s))).toEqual([]);
  });

  it('the shell logic imports no Electron (it is unit-tested in plain Node)', () => {
    expect(violations('desktop/src/shell-logic', isElectron)).toEqual([]);
  });

  it('the preloads import neither Node nor the core (they run sandboxed, in the renderer process)', () => {
    expect(violations('desktop/src/preload', (s) => isNode(s) || /\/core(\/|$)/.test(s))).toEqual([]);
  });

  it('the checker itself finds a forbidden import (so the rules above can fail)', () => {
    const specs = importsOf(join(root, 'test', 'boundaries.test.ts'));
    expect(specs.filter(isNode).length).toBeGreaterThan(0);
  });
});
