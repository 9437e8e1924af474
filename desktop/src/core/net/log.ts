// The engine's log: one event name plus ids and codes. Never plaintext, keys or payloads.

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface CoreLog {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
}

export const silentLog: CoreLog = { debug() {}, info() {}, warn() {} };

/** JSON lines on stderr, for the CLI and debugging (PARLEY_CORE_LOG=debug|info|warn). */
export function stderrLog(level: 'debug' | 'info' | 'warn' = 'info'): CoreLog {
  const rank = { debug: 0, info: 1, warn: 2 } as const;
  const out = (l: keyof typeof rank) => (event: string, fields?: LogFields) => {
    if (rank[l] >= rank[level]) process.stderr.write(JSON.stringify({ t: Date.now(), level: l, event, ...fields }) + '\n');
  };
  return { debug: out('debug'), info: out('info'), warn: out('warn') };
}
