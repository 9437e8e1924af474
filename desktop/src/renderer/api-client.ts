// MessengerApi over the web host's WebSocket: each method becomes an ApiWireFrame call,
// answered by a result frame with the same id; events arrive as event frames and go to
// every subscriber. Shell frames (`t: 'shell'`, see common/src/api/shell.ts) share the
// socket and go to shell.ts. Only types come from common/ (plus ApiError), so the
// renderer bundle carries no zod and no Node.
import { ApiError, type ApiErrorCode } from '@parley/common/api/errors';
import type { ApiWireFrame, MessengerApi, MessengerEvent, MessengerMethod, ShellHostFrame, ShellPageFrame } from '@parley/common/api/index';

/** The shell frames on the same socket. */
export interface ShellChannel {
  send(frame: ShellPageFrame): void;
  /** Subscribes to frames from the host; returns the unsubscribe function. */
  onFrame(listener: (frame: ShellHostFrame) => void): () => void;
}

export interface RemoteMessenger {
  api: MessengerApi;
  shell: ShellChannel;
  /** Called once when the socket to the host closes (host stopped, token revoked). */
  onClose(listener: () => void): void;
  close(): void;
}

/** Connects to `ws(s)://host/api?token=…` and resolves once the socket is open. */
export function connectWebHost(url: string): Promise<RemoteMessenger> {
  const ws = new WebSocket(url);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const listeners = new Set<(e: MessengerEvent) => void>();
  const closeListeners = new Set<() => void>();
  const shellListeners = new Set<(f: ShellHostFrame) => void>();
  let nextId = 1;

  ws.addEventListener('message', (msg) => {
    let frame: ApiWireFrame | ShellHostFrame;
    try {
      frame = JSON.parse(String(msg.data)) as ApiWireFrame | ShellHostFrame;
    } catch {
      return;
    }
    if (frame.t === 'shell') {
      for (const l of shellListeners) {
        try {
          l(frame);
        } catch (err) {
          console.error(err);
        }
      }
    } else if (frame.t === 'event') {
      // One broken listener must not starve the others (nor, in Node's ws, break the socket).
      for (const l of listeners) {
        try {
          l(frame.event);
        } catch (err) {
          console.error(err);
        }
      }
    } else if (frame.t === 'result') {
      const p = pending.get(frame.id);
      if (!p) return;
      pending.delete(frame.id);
      if (frame.ok) p.resolve(frame.value);
      else p.reject(new ApiError(frame.error.code as ApiErrorCode, frame.error.message));
    }
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new ApiError('internal', 'The connection to Parley closed; reload the page.'));
    pending.clear();
    for (const l of closeListeners) l();
  });

  function call(method: MessengerMethod, params: unknown): Promise<unknown> {
    if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new ApiError('internal', 'The connection to Parley is closed; reload the page.'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ t: 'call', id, method, params: params ?? {} } satisfies ApiWireFrame));
    });
  }

  const shell: ShellChannel = {
    send(frame) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    },
    onFrame(listener) {
      shellListeners.add(listener);
      return () => shellListeners.delete(listener);
    },
  };

  const api = new Proxy({} as MessengerApi, {
    get(_target, name) {
      if (name === 'subscribe') {
        return (listener: (e: MessengerEvent) => void) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        };
      }
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (params: unknown) => call(name as MessengerMethod, params);
    },
  });

  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve({ api, shell, onClose: (l) => closeListeners.add(l), close: () => ws.close() }), { once: true });
    ws.addEventListener('error', () => reject(new Error('Could not reach the Parley web host.')), { once: true });
  });
}
