// Errors the CLI reports: a stable code a script can branch on, a sentence a person can
// act on, and the exit status. Usage mistakes exit 2 (like most Unix tools); everything
// else that goes wrong exits 1. MessengerApi errors keep their own codes.
import { ApiError } from '@parley/common/api/index';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError('usage', message, EXIT_USAGE);

/** Any thrown value as { code, message, exitCode }: ApiErrors keep their code, zod and the rest become internal. */
export function describeError(err: unknown): { code: string; message: string; exitCode: number } {
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: err.exitCode };
  if (err instanceof ApiError) return { code: err.code, message: err.message, exitCode: EXIT_FAILURE };
  const coded = err as { code?: unknown; message?: unknown };
  if (typeof coded?.code === 'string' && /^[a-z_]+$/.test(coded.code) && typeof coded.message === 'string') {
    return { code: coded.code, message: coded.message, exitCode: EXIT_FAILURE };
  }
  return { code: 'internal', message: String((err as Error)?.message ?? err), exitCode: EXIT_FAILURE };
}
