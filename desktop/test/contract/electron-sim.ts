// A stand-in for the three pieces of Electron between the renderer and the engine, because
// Electron cannot start on this machine (its binary is not installed and cannot be
// downloaded). Everything around them is the real code: preload.ts builds the bridge,
// api-ipc.ts handles the call in "main", a real Messenger answers.
//
//   page ── contextBridge copy ──► preload ── ipcRenderer.invoke ─ structuredClone ─► ipcMain.handle
//   page ◄─ contextBridge copy ─── preload ◄─ ipcRenderer.on ◄──── structuredClone ── webContents.send
//
// IPC serialises with the structured clone algorithm, so `structuredClone` it is. The
// context bridge has its own copying rules (electron_api_context_bridge.cc,
// PassValueToOtherContext), reproduced in `acrossContextBridge`: functions are proxied,
// promises are proxied (their values and rejection reasons copied again), plain objects
// and arrays are copied member by member, an Error becomes a new Error carrying only its
// message (custom properties such as `code` are lost: electron/electron#25596), anything
// else goes through the structured clone.
import { types } from 'node:util';

type Listener = (event: unknown, ...args: unknown[]) => void;

function isPlainObject(v: object): boolean {
  return Object.prototype.toString.call(v) === '[object Object]' && !types.isProxy(v);
}

/** Copies a value from one world (preload or page) into the other as the context bridge does. */
export function acrossContextBridge(value: unknown, depth = 0): unknown {
  if (depth > 1000) throw new Error('An object could not be cloned.');
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  if (typeof value === 'function') {
    const fn = value as (...args: unknown[]) => unknown;
    return (...args: unknown[]) => {
      let result: unknown;
      try {
        result = fn(...args.map((a) => acrossContextBridge(a)));
      } catch (err) {
        throw new Error(types.isNativeError(err) ? err.message : String(err));
      }
      return acrossContextBridge(result);
    };
  }
  if (types.isPromise(value)) {
    return (value as Promise<unknown>).then(
      (v) => acrossContextBridge(v),
      (reason: unknown) => Promise.reject(acrossContextBridge(reason)),
    );
  }
  if (types.isNativeError(value)) return new Error(typeof value.message === 'string' ? value.message : String(value));
  if (Array.isArray(value)) return value.map((v) => acrossContextBridge(v, depth + 1));
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = acrossContextBridge((value as Record<string, unknown>)[key], depth + 1);
    return copy;
  }
  return structuredClone(value);
}

/** One window: the page's globals, its preload's Electron modules, and the main process side of its IPC. */
export class SimulatedElectronWindow {
  /** What the preload exposed, as the page sees it (`window.parley`, …). */
  readonly mainWorld: Record<string, unknown> = {};
  private readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  private readonly rendererListeners = new Map<string, Set<Listener>>();
  private readonly mainListeners = new Map<string, Set<Listener>>();
  private readonly senderEvent = { sender: 'webContents of this window' };

  /** The `electron` module as the preload imports it. */
  readonly electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        if (key in this.mainWorld) throw new Error('Cannot bind an API on top of an existing property on the window object');
        this.mainWorld[key] = acrossContextBridge(api);
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]): Promise<unknown> => {
        const handler = this.handlers.get(channel);
        const cloned = structuredClone(args);
        await new Promise((r) => setImmediate(r));
        if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
        try {
          return structuredClone(await handler(this.senderEvent, ...cloned));
        } catch (err) {
          throw new Error(`Error invoking remote method '${channel}': ${String(err)}`);
        }
      },
      on: (channel: string, listener: Listener) => {
        let set = this.rendererListeners.get(channel);
        if (!set) this.rendererListeners.set(channel, (set = new Set()));
        set.add(listener);
      },
      send: (channel: string, ...args: unknown[]) => {
        const cloned = structuredClone(args);
        setImmediate(() => {
          for (const l of this.mainListeners.get(channel) ?? []) l(this.senderEvent, ...cloned);
        });
      },
    },
  };

  /** The main process's half: `ipcMain` for this window and its `webContents.send`. */
  readonly main = {
    handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => {
      if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      this.handlers.set(channel, handler);
    },
    on: (channel: string, listener: Listener) => {
      let set = this.mainListeners.get(channel);
      if (!set) this.mainListeners.set(channel, (set = new Set()));
      set.add(listener);
    },
    /** webContents.send: structured clone, delivered asynchronously and in order. */
    send: (channel: string, ...args: unknown[]) => {
      const cloned = structuredClone(args);
      setImmediate(() => {
        for (const l of this.rendererListeners.get(channel) ?? []) l({ sender: 'ipcRenderer' }, ...cloned);
      });
    },
  };
}
