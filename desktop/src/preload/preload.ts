// The bridge between the sandboxed renderer and the main process. It exposes exactly
// MessengerApi as `window.parley` (one method per name in MESSENGER_API_METHODS, plus
// subscribe) and the small ParleyShell as `window.parleyShell`; nothing of Electron or
// Node leaks: no ipcRenderer, no event objects, only plain values.
// Parameters are checked against the zod schemas here (a clear error at once) and again
// in the main process, which is the real boundary.
// Bundled into one CommonJS file (sandboxed preloads cannot load other files).
import { MESSENGER_API_METHODS, type ApiErrorShape, type MessengerApi, type MessengerEvent, type ParleyShell, type ShellIntent } from '@parley/common/api/index';
import { contextBridge, ipcRenderer } from 'electron';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL, SHELL_INTENT_CHANNEL, SHELL_OPEN_CONVERSATION_CHANNEL, SHELL_OPEN_FILE_CHANNEL, paramsError, type ApiCallResult } from '../shell-logic/api-ipc.ts';

/** `buffer`: values that arrive before the first listener are kept and handed to it (a deep link at launch comes before the UI subscribes). */
function fanOut<T>(channel: string, buffer = false) {
  const listeners = new Set<(value: T) => void>();
  let early: T[] | null = buffer ? [] : null;
  ipcRenderer.on(channel, (_event, value: T) => {
    if (early && listeners.size === 0) {
      if (early.length < 16) early.push(value);
      return;
    }
    for (const l of listeners) {
      try {
        l(value);
      } catch (err) {
        console.error(err);
      }
    }
  });
  return (listener: (value: T) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    listeners.add(listener);
    if (early) {
      const queued = early;
      early = null;
      for (const v of queued) listener(v);
    }
    return () => void listeners.delete(listener);
  };
}

/**
 * Rejects with a plain `{ name, code, message }` object, not an Error: contextBridge copies
 * an Error as a bare Error with only its message (the code would be lost, so the UI could
 * not branch on it), but copies a plain object whole. The renderer turns it back into an
 * ApiError (renderer/preload-api.ts).
 */
function rejectWith(error: ApiErrorShape): Promise<never> {
  return Promise.reject({ name: 'ApiError', code: error.code, message: error.message });
}

async function call(method: string, params: unknown): Promise<unknown> {
  const bad = paramsError(method, params);
  if (bad) return rejectWith(bad);
  const r = (await ipcRenderer.invoke(API_CALL_CHANNEL, { method, params: params ?? {} })) as ApiCallResult;
  if (r.ok) return r.value;
  return rejectWith(r.error);
}

export function buildMessengerBridge(): MessengerApi {
  const bridge: Record<string, unknown> = {};
  for (const method of MESSENGER_API_METHODS) bridge[method] = (params: unknown) => call(method, params);
  bridge.subscribe = fanOut<MessengerEvent>(API_EVENT_CHANNEL);
  return bridge as unknown as MessengerApi;
}

export function buildShellBridge(platform: string): ParleyShell {
  return {
    onIntent: fanOut<ShellIntent>(SHELL_INTENT_CHANNEL, true),
    setOpenConversation(conversationId) {
      ipcRenderer.send(SHELL_OPEN_CONVERSATION_CHANNEL, typeof conversationId === 'string' ? conversationId.slice(0, 80) : null);
    },
    platform: platform === 'darwin' || platform === 'win32' || platform === 'linux' ? platform : 'other',
    canOpenFiles: true,
    async openFile(messageId) {
      if (typeof messageId !== 'string' || messageId.length > 120) return rejectWith({ code: 'bad_params', message: 'Not a message id.' });
      const r = (await ipcRenderer.invoke(SHELL_OPEN_FILE_CHANNEL, messageId)) as { ok: true } | { ok: false; error: ApiErrorShape };
      if (!r.ok) return rejectWith(r.error);
    },
  };
}

contextBridge.exposeInMainWorld('parley', buildMessengerBridge());
contextBridge.exposeInMainWorld('parleyShell', buildShellBridge(process.platform));
