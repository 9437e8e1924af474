// Where the renderer's MessengerApi comes from: the Electron preload puts it on
// `window.parley`; in a plain browser the page was opened by the web host with a token,
// and the same API is reached over its WebSocket. The shell (intents, notifications)
// comes from the same place: see shell.ts.
import type { MessengerApi } from '@parley/common/api/index';
import { connectWebHost } from './api-client.ts';
import { adoptPreloadApi } from './preload-api.ts';
import { electronShell, webShell, type RendererShell } from './shell.ts';

declare global {
  interface Window {
    parley?: MessengerApi;
  }
}

export interface ApiConnection {
  api: MessengerApi;
  shell: RendererShell;
  /** Subscribes to the loss of the transport (web host only; Electron never loses it). */
  onLost(listener: () => void): void;
  /** Default relay URL for onboarding, when the host suggests one. */
  defaultRelayUrl: string | null;
}

export async function obtainApi(): Promise<ApiConnection> {
  const query = new URLSearchParams(location.search);
  const defaultRelayUrl = query.get('relay');
  if (window.parley) return { api: adoptPreloadApi(window.parley), shell: electronShell(window.parleyShell), onLost: () => undefined, defaultRelayUrl };
  const token = query.get('token');
  if (!token) throw new Error('Open Parley through the address the web host printed (it carries an access token).');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const remote = await connectWebHost(`${scheme}//${location.host}/api?token=${encodeURIComponent(token)}`);
  return { api: remote.api, shell: webShell(remote.shell), onLost: (l) => remote.onClose(l), defaultRelayUrl };
}
