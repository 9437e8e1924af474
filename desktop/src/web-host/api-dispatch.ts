// Carries MessengerApi calls that arrive as ApiWireFrames (from the web host's WebSocket)
// to a MessengerApi: every call's method is checked against the list of methods and its
// parameters against the zod schema in common/src/api/params.ts BEFORE the core sees
// them (checkPageCall, shared with the Electron boundary); every failure comes back as an
// ApiError shape { code, message }, never a stack.
import { ApiError, API_ERROR_CODES, checkPageCall, type ApiErrorShape, type ApiWireFrame, type MessengerApi } from '@parley/common/api/index';

export type ResultFrame = Extract<ApiWireFrame, { t: 'result' }>;

/** Maps anything thrown by the core (or by validation) to the shape the UI branches on. */
export function toErrorShape(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code in API_ERROR_CODES) return { code: code as ApiErrorShape['code'], message: String((err as Error).message ?? API_ERROR_CODES[code as ApiErrorShape['code']]) };
  return { code: 'internal', message: API_ERROR_CODES.internal };
}

/**
 * Parses one text frame from the UI and runs it. Returns the result frame to send back,
 * or null when the frame is not a call at all (nothing to answer: no id to answer to).
 */
export async function dispatchCall(api: MessengerApi, raw: string): Promise<ResultFrame | null> {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return null;
  }
  return dispatchFrame(api, frame);
}

/** The same for a frame already decoded (the host decodes once to tell shell frames from calls). */
export async function dispatchFrame(api: MessengerApi, frame: unknown): Promise<ResultFrame | null> {
  const f = frame as Partial<{ t: string; id: number; method: unknown; params: unknown }>;
  if (!f || f.t !== 'call' || typeof f.id !== 'number' || !Number.isSafeInteger(f.id)) return null;
  const id = f.id;
  const checked = checkPageCall(f.method, f.params);
  if (!checked.ok) return { t: 'result', id, ok: false, error: checked.error };
  try {
    const call = api[checked.method] as (p: unknown) => Promise<unknown>;
    const value = await call.call(api, checked.params);
    // A void method's undefined stays undefined (JSON drops the key and the client reads
    // undefined), as the engine answers in-process; turning it into null was drift.
    return { t: 'result', id, ok: true, value };
  } catch (err) {
    return { t: 'result', id, ok: false, error: toErrorShape(err) };
  }
}
