// The contract over the web host: each user's engine behind the real server
// (web-host/server.ts + api-dispatch.ts) on loopback, reached by the renderer's own client
// (renderer/api-client.ts, connectWebHost) over a real WebSocket.
//
// Node 20 has no global WebSocket (the renderer's client expects the browser's), so for
// this file the `ws` package's WebSocket is installed as the global. A browser sends the
// page's Origin with the upgrade, and the host refuses any other; the stand-in sends the
// host's own origin, as the page the host served would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { connectWebHost, type RemoteMessenger } from '../../src/renderer/api-client.ts';
import { startWebHost, type WebHost } from '../../src/web-host/server.ts';
import { Cores } from '../support/harness.ts';
import { runMessengerApiContract } from './messenger-api.contract.ts';

class PageWebSocket extends NodeWebSocket {
  constructor(url: string | URL) {
    const u = new URL(url);
    super(u, { origin: `http://${u.host}` });
  }
}

const globals = globalThis as { WebSocket?: unknown };
const hadWebSocket = 'WebSocket' in globals;
const nativeWebSocket = globals.WebSocket;
beforeAll(() => {
  globals.WebSocket = PageWebSocket;
});
afterAll(() => {
  if (hadWebSocket) globals.WebSocket = nativeWebSocket;
  else delete globals.WebSocket;
});

runMessengerApiContract(
  'web host (WebSocket, api-dispatch.ts ↔ connectWebHost)',
  async () => {
    const cores = new Cores();
    // The API does not need the built UI; the host only insists that an index.html exists.
    const staticDir = mkdtempSync(join(tmpdir(), 'parley-contract-ui-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Parley</title>');
    const hosts: WebHost[] = [];
    const remotes: RemoteMessenger[] = [];
    const client = async () => {
      const engine = await cores.core();
      const host = await startWebHost({ api: engine, staticDir });
      hosts.push(host);
      const remote = await connectWebHost(`ws://127.0.0.1:${host.port}/api?token=${encodeURIComponent(host.token)}`);
      remotes.push(remote);
      return { engine, api: remote.api };
    };
    const [a, b] = await Promise.all([client(), client()]);
    return {
      alice: a.api,
      bob: b.api,
      engines: { alice: a.engine, bob: b.engine },
      async close() {
        for (const r of remotes) r.close();
        for (const h of hosts) await h.close();
        await cores.closeAll();
        rmSync(staticDir, { recursive: true, force: true });
      },
    };
  },
  { boundary: true },
);

describe('web host client when the host goes away', () => {
  it('a call in flight and every later call reject with a stable code instead of hanging, and onClose fires', async () => {
    const cores = new Cores();
    const staticDir = mkdtempSync(join(tmpdir(), 'parley-contract-ui-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Parley</title>');
    try {
      const engine = await cores.core();
      // getSettings never answers here, so the call is certainly in flight when the host stops.
      const stuck = new Proxy(engine, {
        get: (target, name) => (name === 'getSettings' ? () => new Promise(() => undefined) : Reflect.get(target, name, target).bind(target)),
      });
      const host = await startWebHost({ api: stuck, staticDir });
      const remote = await connectWebHost(`ws://127.0.0.1:${host.port}/api?token=${encodeURIComponent(host.token)}`);
      let closed = false;
      remote.onClose(() => (closed = true));
      expect(await remote.api.getAccount({})).toBeNull();
      const inFlight = remote.api.getSettings({});
      await host.close();
      await expect(inFlight).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/reload/i) });
      await expect.poll(() => closed).toBe(true);
      await expect(remote.api.getAccount({})).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/reload/i) });
    } finally {
      await cores.closeAll();
      rmSync(staticDir, { recursive: true, force: true });
    }
  });
});
