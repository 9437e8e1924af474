// HTTP error responses: every failure is a Problem JSON body {code, message, details?}
// with the status the protocol assigns to its code.
import { ERROR_CODES, type ErrorCode, HTTP_STATUS, ProtocolError } from '@parley/common/protocol';
import type { z } from 'zod';

export function problemResponse(code: ErrorCode, message: string = ERROR_CODES[code], details?: Record<string, unknown>, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify({ code, message, ...(details ? { details } : {}) }), {
    status: HTTP_STATUS[code],
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** Throws a ProtocolError naming the first schema issue (path and expectation, never the value). */
export function invalid(error: z.ZodError, code: ErrorCode = 'bad_request'): never {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') + ': ' : '';
  throw new ProtocolError(code, `${path}${issue?.message ?? ERROR_CODES[code]}`.slice(0, 300));
}
