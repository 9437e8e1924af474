// The two IPC channels between the preload and the main process, and the main side of a
// call: the method must be a MessengerApi method and the parameters must pass its zod
// schema before the core sees them; every failure is an { code, message } shape (errors
// thrown through ipcMain.handle lose their code and gain a stack trace, so none are thrown).
import { API_ERROR_CODES, ApiError, checkPageCall, type ApiErrorShape, type MessengerApi } from '@parley/common/api/index';

/** renderer → main, ipcRenderer.invoke(API_CALL_CHANNEL, { method, params }) */
export const API_CALL_CHANNEL = 'parley:call';
/** main → renderer, every MessengerEvent */
export const API_EVENT_CHANNEL = 'parley:event';
/** main → renderer, every ShellIntent */
export const SHELL_INTENT_CHANNEL = 'parley:intent';
/** renderer → main, the conversation on screen (string or null) */
export const SHELL_OPEN_CONVERSATION_CHANNEL = 'parley:open-conversation';
/** renderer → main, ipcRenderer.invoke(SHELL_OPEN_FILE_CHANNEL, messageId): open a downloaded attachment in the system's app */
export const SHELL_OPEN_FILE_CHANNEL = 'parley:open-file';

export type ApiCallResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorShape };

export function errorShape(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in API_ERROR_CODES) {
    const c = code as ApiErrorShape['code'];
    return { code: c, message: typeof (err as Error).message === 'string' ? (err as Error).message : API_ERROR_CODES[c] };
  }
  return { code: 'internal', message: API_ERROR_CODES.internal };
}

/** The preload's early copy of the main process's check (common/src/api/page-call.ts). */
export function paramsError(method: string, params: unknown): ApiErrorShape | null {
  const call = checkPageCall(method, params);
  return call.ok ? null : call.error;
}

/** Runs one call from the renderer against the core. `request` is whatever arrived over IPC. */
export async function handleApiCall(api: MessengerApi, request: unknown, onInternalError?: (err: unknown) => void): Promise<ApiCallResult> {
  const r = request as { method?: unknown; params?: unknown } | null;
  if (!r || typeof r !== 'object' || typeof r.method !== 'string') return { ok: false, error: { code: 'bad_params', message: 'A call needs a method name.' } };
  const call = checkPageCall(r.method, r.params);
  if (!call.ok) return { ok: false, error: call.error };
  try {
    const fn = api[call.method] as (p: unknown) => Promise<unknown>;
    const value = await fn.call(api, call.params);
    // IPC's structured clone keeps undefined: a void method answers undefined, as in-process.
    return { ok: true, value };
  } catch (err) {
    const shape = errorShape(err);
    if (shape.code === 'internal') onInternalError?.(err);
    return { ok: false, error: shape };
  }
}
