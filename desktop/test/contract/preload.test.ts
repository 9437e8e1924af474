// The contract over the Electron path: the page calls `window.parley` (exposed by the real
// preload.ts through contextBridge), the preload invokes 'parley:call', the main process
// runs the real handleApiCall (shell-logic/api-ipc.ts) against a real Messenger, and events
// come back over 'parley:event', wired as main.ts wires them.
//
// Electron itself is SIMULATED: it cannot start on this machine (no binary), so
// electron-sim.ts stands in for contextBridge, ipcRenderer and ipcMain/webContents, copying
// every value the way each of them does (structuredClone for IPC; the context bridge's
// own rules, under which an Error keeps only its message).
import { ApiError, type MessengerApi } from '@parley/common/api/index';
import { vi } from 'vitest';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL, handleApiCall, type ApiCallResult } from '../../src/shell-logic/api-ipc.ts';
import type { Messenger } from '../../src/core/messenger.ts';
import { adoptPreloadApi } from '../../src/renderer/preload-api.ts';
import { Cores } from '../support/harness.ts';
import { SimulatedElectronWindow } from './electron-sim.ts';
import { runMessengerApiContract } from './messenger-api.contract.ts';

/** One Electron window for one engine: a fresh preload instance behind its own simulated Electron. */
async function electronWindow(engine: Messenger): Promise<{ api: MessengerApi; raw(method: string, params: unknown): Promise<unknown>; close(): void }> {
  const win = new SimulatedElectronWindow();
  vi.resetModules();
  vi.doMock('electron', () => win.electron);
  await import('../../src/preload/preload.ts');
  vi.doUnmock('electron');
  // main.ts: ipcMain.handle(API_CALL_CHANNEL, …handleApiCall…) and api.subscribe → webContents.send.
  win.main.handle(API_CALL_CHANNEL, (_event, request) => handleApiCall(engine, request));
  const unsubscribe = engine.subscribe((e) => win.main.send(API_EVENT_CHANNEL, e));
  // What the UI uses: renderer/api.ts adopts window.parley with adoptPreloadApi.
  // A page that skipped the preload's early check and invoked the channel itself.
  const raw = async (method: string, params: unknown) => {
    const r = (await win.electron.ipcRenderer.invoke(API_CALL_CHANNEL, { method, params })) as ApiCallResult;
    if (r.ok) return r.value;
    throw new ApiError(r.error.code, r.error.message);
  };
  return { api: adoptPreloadApi(win.mainWorld.parley as MessengerApi), raw, close: unsubscribe };
}

runMessengerApiContract(
  'Electron preload (contextBridge → IPC → api-ipc.ts; Electron simulated)',
  async () => {
    const cores = new Cores();
    const [ea, eb] = await Promise.all([cores.core(), cores.core()]);
    const a = await electronWindow(ea);
    const b = await electronWindow(eb);
    return {
      alice: a.api,
      bob: b.api,
      engines: { alice: ea, bob: eb },
      rawAlice: a.raw,
      async close() {
        a.close();
        b.close();
        await cores.closeAll();
      },
    };
  },
  { boundary: true },
);
