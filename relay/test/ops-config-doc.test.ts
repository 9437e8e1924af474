// docs/self-hosting.md carries the full configuration reference. This pins it to the
// settings table in relay/src/config.ts: every setting has its row, with its flag,
// environment variable, default and description exactly as the relay has them.
// To regenerate the block after changing a setting:
//   PARLEY_WRITE_DOCS=1 npx vitest run relay/test/ops-config-doc.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.ts';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'self-hosting.md');
const BEGIN = '<!-- config-reference:begin (generated from relay/src/config.ts; see relay/test/ops-config-doc.test.ts) -->';
const END = '<!-- config-reference:end -->';

/** Settings read only from the environment, by the store they configure. */
const ENV_ONLY = [
  { env: 'PARLEY_MONGODB_DB', default: 'the database in the URL, else `parley`', doc: 'MongoDB database name.' },
  { env: 'PARLEY_MONGODB_W', default: '`majority`', doc: 'MongoDB write concern `w`: `majority` or a number ≥ 1 (`0` is refused).' },
  { env: 'PARLEY_MONGODB_JOURNAL', default: '`true`', doc: 'MongoDB write concern `j`: wait for the on-disk journal.' },
];

const cell = (s: string) => s.replace(/\|/g, '\\|');
const formatDefault = (v: unknown) => (v === undefined ? 'unset' : `\`${String(v)}\``);

export function configReference(): string {
  const rows = SETTINGS.map((s) => `| \`${s.key}\` | \`${s.flag}\` | \`${s.env}\` | ${formatDefault(s.default)} | ${cell(s.doc)} |`);
  const envRows = ENV_ONLY.map((s) => `| | | \`${s.env}\` | ${s.default} | ${cell(s.doc)} |`);
  return [BEGIN, '| Setting | Flag | Environment | Default | Meaning |', '|---|---|---|---|---|', ...rows, ...envRows, END].join('\n');
}

describe('docs/self-hosting.md configuration reference', () => {
  it('lists every relay setting with its flag, variable, default and meaning', () => {
    let doc = readFileSync(DOC, 'utf8');
    expect(doc.indexOf(BEGIN), 'the generated block markers are missing').toBeGreaterThanOrEqual(0);
    const expected = configReference();
    if (process.env.PARLEY_WRITE_DOCS) {
      doc = doc.slice(0, doc.indexOf(BEGIN)) + expected + doc.slice(doc.indexOf(END) + END.length);
      writeFileSync(DOC, doc);
    }
    const block = doc.slice(doc.indexOf(BEGIN), doc.indexOf(END) + END.length);
    for (const s of SETTINGS) {
      const row = expected.split('\n').find((l) => l.startsWith(`| \`${s.key}\` |`))!;
      expect(block, `docs/self-hosting.md lacks or misstates ${s.key}; regenerate with PARLEY_WRITE_DOCS=1`).toContain(row);
    }
    for (const s of ENV_ONLY) expect(block).toContain(`\`${s.env}\``);
  });
});
