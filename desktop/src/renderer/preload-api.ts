// The Electron preload's `window.parley`, made whole for the UI. Electron's contextBridge
// copies an Error as a bare Error with only its message (custom properties such as `code`
// are dropped: electron/electron#25596), so the preload rejects with a plain
// `{ name: 'ApiError', code, message }` object, which the bridge copies intact; here it
// becomes an ApiError again, the same class the web host client rejects with.
import { API_ERROR_CODES, ApiError, type ApiErrorCode } from '@parley/common/api/errors';
import type { MessengerApi } from '@parley/common/api/index';

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code in API_ERROR_CODES) {
    return new ApiError(e.code as ApiErrorCode, typeof e.message === 'string' ? e.message : undefined);
  }
  return new ApiError('internal');
}

export function adoptPreloadApi(bridge: MessengerApi): MessengerApi {
  const api: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(bridge)) {
    if (typeof fn !== 'function') continue;
    api[name] =
      name === 'subscribe'
        ? fn
        : (params: unknown) =>
            (fn as (p: unknown) => Promise<unknown>)(params).catch((err: unknown) => {
              throw asApiError(err);
            });
  }
  return api as unknown as MessengerApi;
}
