import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { toBase64Url } from '@parley/common/encoding';
import { userIdFromAccountKey } from '@parley/common/protocol';
import { sodium } from '@parley/common/sodium';
import { Messenger } from '../core/messenger.ts';
import { startWebHost, tokenMatches, type WebHost } from './server.ts';

let messenger: Messenger;
let host: WebHost;
const profileDir = mkdtempSync(join(tmpdir(), 'parley-webhost-'));
const staticDir = mkdtempSync(join(tmpdir(), 'parley-webhost-ui-'));

beforeAll(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Parley</title>');
  messenger = await Messenger.open({ profileDir });
  host = await startWebHost({ api: messenger, staticDir });
});

afterAll(async () => {
  await host.close();
  await messenger.close();
  rmSync(profileDir, { recursive: true, force: true });
  rmSync(staticDir, { recursive: true, force: true });
});

function open(token: string, origin = `http://127.0.0.1:${host.port}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${encodeURIComponent(token)}`, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** A GET with the path and Host header exactly as given (fetch normalises both). */
function rawStatus(path: string, hostHeader = `127.0.0.1:${host.port}`): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: host.port, path, headers: { host: hostHeader } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

function call(ws: WebSocket, frame: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    ws.on('message', function onMessage(data) {
      const f = JSON.parse(String(data));
      if (f.t === 'result') {
        ws.off('message', onMessage);
        resolve(f);
      }
    });
    ws.send(JSON.stringify(frame));
  });
}

describe('web host', () => {
  it('listens on loopback only and prints a URL with a long random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  });

  it('serves the UI with a strict content security policy, and refuses a foreign Host header (DNS rebinding)', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await rawStatus('/', 'evil.example')).toBe(421);
    expect(await rawStatus('/../../../../etc/passwd')).toBe(404);
    expect(await rawStatus('/%2e%2e/%2e%2e/%2e%2e/etc/passwd')).toBe(404);
  });

  it('refuses the API socket without the right token or from another origin', async () => {
    await expect(open('wrong')).rejects.toThrow('HTTP 403');
    await expect(open(host.token.slice(1))).rejects.toThrow('HTTP 403');
    await expect(open(host.token, 'http://evil.example')).rejects.toThrow('HTTP 403');
    (await open(host.token)).close();
  });

  it('validates every call against the zod schemas and answers errors as { code, message }', async () => {
    const ws = await open(host.token);
    expect(await call(ws, { t: 'call', id: 1, method: 'getAccount', params: {} })).toEqual({ t: 'result', id: 1, ok: true, value: null });
    const bad = (await call(ws, { t: 'call', id: 2, method: 'createAccount', params: { displayName: 'A', relayUrl: 'not a url' } })) as { ok: boolean; error: { code: string; message: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('bad_params');
    expect(bad.error.message).toContain('relayUrl');
    const extra = (await call(ws, { t: 'call', id: 3, method: 'getSettings', params: { sneaky: 1 } })) as { error: { code: string } };
    expect(extra.error.code).toBe('bad_params');
    const unknown = (await call(ws, { t: 'call', id: 4, method: 'constructor', params: {} })) as { error: { code: string } };
    expect(unknown.error.code).toBe('bad_params');
    const core = (await call(ws, { t: 'call', id: 5, method: 'getInvite', params: {} })) as { error: { code: string; message: string } };
    expect(core.error).toEqual({ code: 'no_account', message: expect.any(String) });
    ws.close();
  });

  it('compares tokens in constant time and never accepts a missing one', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'ab')).toBe(false);
    expect(tokenMatches('abc', null)).toBe(false);
  });

  it('refuses a bad shell frame with an error frame (bad_params) and keeps the connection up', async () => {
    const ws = await open(host.token);
    const error = nextShellFrame(ws, 'error');
    ws.send(JSON.stringify({ t: 'shell', type: 'state', openConversationId: '../etc', focused: true }));
    expect(await error).toEqual({ t: 'shell', type: 'error', error: { code: 'bad_params', message: expect.stringContaining('openConversationId') } });
    expect(await call(ws, { t: 'call', id: 9, method: 'getAccount', params: {} })).toMatchObject({ id: 9, ok: true });
    ws.close();
  });

  it('records what the page reports (open conversation, focus), and forgets a page that disconnects', async () => {
    const ws = await open(host.token);
    ws.send(JSON.stringify({ t: 'shell', type: 'state', openConversationId: 'd:bob', focused: true }));
    await expect.poll(() => host.shellState()).toEqual({ windowFocused: true, openConversationId: 'd:bob', pages: 1 });
    ws.send(JSON.stringify({ t: 'shell', type: 'state', openConversationId: 'd:bob', focused: false }));
    await expect.poll(() => host.shellState()).toEqual({ windowFocused: false, openConversationId: null, pages: 1 });
    ws.close();
    await expect.poll(() => host.shellState().pages).toBe(0);
  });

  it('keeps a parley:// link opened before any page listens and hands it to the first page that says ready; refuses a bad one', async () => {
    const pk = sodium().crypto_sign_keypair().publicKey;
    const link = `parley://add/?n=Carol&u=${userIdFromAccountKey(pk)}&r=${encodeURIComponent('wss://relay.example.org')}&f=${toBase64Url(pk)}`;
    const intent = host.openLink(link);
    expect(intent).toMatchObject({ type: 'add-contact', name: 'Carol', link: expect.stringMatching(/^parley:\/\/add\?u=/) });
    const ws = await open(host.token);
    const first = nextShellFrame(ws, 'intent');
    ws.send(JSON.stringify({ t: 'shell', type: 'ready' }));
    expect(await first).toEqual({ t: 'shell', type: 'intent', intent });
    const refused = nextShellFrame(ws, 'intent');
    expect(host.openLink('parley://settings?x=1')).toMatchObject({ type: 'link-refused' });
    expect(await refused).toEqual({ t: 'shell', type: 'intent', intent: { type: 'link-refused', message: expect.stringContaining('only opens invite links') } });
    ws.close();
  });
});

function nextShellFrame(ws: WebSocket, type: string): Promise<unknown> {
  return new Promise((resolve) => {
    ws.on('message', function onMessage(data) {
      const f = JSON.parse(String(data));
      if (f.t === 'shell' && f.type === type) {
        ws.off('message', onMessage);
        resolve(f);
      }
    });
  });
}
