// The check every boundary runs on a call that comes from a page (the web host's
// WebSocket, the Electron preload and main process): the name must be a MessengerApi
// method, the parameters must pass its schema in params.ts, and nothing may ask the engine
// to touch the local file system. `sendAttachment` accepts a `path` for trusted in-process
// callers (the CLI); from a page it would let any script in the page send any file the
// user can read (say ~/.ssh/id_ed25519) to any contact, so boundaries refuse it and the
// page sends the bytes as `data`.
import { API_ERROR_CODES, type ApiErrorShape } from './errors.ts';
import { isMessengerMethod } from './methods.ts';
import type { MessengerMethod } from './messenger-api.ts';
import { MethodParams } from './params.ts';

export type PageCall = { ok: true; method: MessengerMethod; params: unknown } | { ok: false; error: ApiErrorShape };

/** Parameters a page may never send, per method: each names something outside the page's reach. */
const PAGE_FORBIDDEN: Partial<Record<MessengerMethod, readonly string[]>> = {
  sendAttachment: ['path'],
};

export function checkPageCall(method: unknown, params: unknown): PageCall {
  if (!isMessengerMethod(method)) return { ok: false, error: { code: 'bad_params', message: `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}.` } };
  const parsed = MethodParams[method].safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    return { ok: false, error: { code: 'bad_params', message: `${issue?.message ?? API_ERROR_CODES.bad_params}${where}` } };
  }
  for (const key of PAGE_FORBIDDEN[method] ?? []) {
    if ((parsed.data as Record<string, unknown>)[key] !== undefined) {
      return { ok: false, error: { code: 'bad_params', message: `A page cannot name a file on this computer; send the file's bytes as data instead (${key}).` } };
    }
  }
  return { ok: true, method, params: parsed.data };
}
