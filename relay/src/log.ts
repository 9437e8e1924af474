// A tiny structured logger: one JSON object per line on stderr, with levels.
// Callers log ids, codes and counts only — never payloads, keys, signatures, nonces or
// tokens (see docs/protocol.md, "Safety"). The sink is injectable so tests stay quiet.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/**
 * Field names whose values are never written, whatever a caller passes: a safety net
 * behind the rule above (a mistaken `log.debug('x', { sig })` logs "[redacted]").
 */
const SECRET_FIELD = /^(b|body|payload|ciphertext|password|authorization|cookie|sigs?|signature|keys?|nonce|token|secret)$|(Sig|Signature|Key|Keys|Nonce|Token|Secret)$|_(sig|key|nonce|token|secret)s?$/i;

export const isSecretField = (name: string): boolean => SECRET_FIELD.test(name);

/**
 * One JSON object per line: `t` (ISO time), `level`, `event` (a stable dotted name),
 * then the fields. `level` drops events below it; 'silent' drops all.
 */
export function createLogger(level: LogLevel = 'info', sink: (line: string) => void = (l) => console.error(l)): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, event: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    const line: Record<string, unknown> = { t: new Date().toISOString(), level: lvl, event };
    if (fields) for (const k in fields) if (fields[k] !== undefined) line[k] = isSecretField(k) ? '[redacted]' : fields[k];
    sink(JSON.stringify(line));
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
  };
}

/** The name and message of an unexpected error, without its (possibly data-bearing) details. */
export const errorFields = (err: unknown): LogFields =>
  err instanceof Error ? { error: err.name, reason: err.message.slice(0, 200) } : { error: typeof err };
