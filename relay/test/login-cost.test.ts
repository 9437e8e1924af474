// What a socket login costs the relay (bench W3: thousands of devices reconnecting at
// once): one store read per login, and the 101 response and the challenge in one write.
// And that the presence settings that one read brings are the ones watchers then see.
// Node only: a real relay in this process over a counting wrapper of a real SQLite store.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { type NodeRelay, serveNode } from '../src/node-server.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import type { MailboxStore } from '../src/store/types.ts';
import { TestSocket, registerUser, sodiumReady } from './support/client.ts';

interface Running {
  relay: NodeRelay;
  host: string;
  wsUrl: string;
  /** Store calls by method name since the last reset. */
  calls: Map<string, number>;
}

let dataDir: string | undefined;
const running: NodeRelay[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** A relay on `dataDir` whose store counts every call. */
async function start(): Promise<Running> {
  await sodiumReady();
  dataDir ??= await mkdtemp(join(tmpdir(), 'parley-login-cost-'));
  const config = resolveConfig({ port: 0, host: '127.0.0.1', dataDir, sqliteSynchronous: 'NORMAL', logLevel: 'silent', limits: { addressRequestsPerSecond: 0 } });
  const inner = await openSqliteStore({ path: join(dataDir, 'relay.db'), blobDir: join(dataDir, 'blobs'), synchronous: 'NORMAL' });
  const calls = new Map<string, number>();
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  }) as MailboxStore;
  const relay = await serveNode(config, { log: createLogger('silent'), store });
  running.push(relay);
  const host = `127.0.0.1:${relay.port}`;
  return { relay, host, wsUrl: `ws://${host}/v1/ws`, calls };
}

describe('login cost', () => {
  it('reads the store once per login: device, mailbox, prekeys and presence in one read', async () => {
    const r = await start();
    const users = await Promise.all(Array.from({ length: 5 }, () => registerUser(r.host, 2)));
    r.calls.clear();
    const sockets = [];
    for (const u of users) for (const d of u.devices) sockets.push(await TestSocket.login(r.wsUrl, r.host, d));
    expect(Object.fromEntries(r.calls)).toEqual({ loginState: 10 });
    for (const s of sockets) s.close();
  });

  it('sends the 101 response and the challenge in one write', async () => {
    const r = await start();
    const socket = connect(r.relay.port, '127.0.0.1');
    socket.write(
      `GET /v1/ws HTTP/1.1\r\nHost: ${r.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    // The first read holds the whole first write: with two writes it would end after the headers.
    const first = await new Promise<Buffer>((resolve, reject) => {
      socket.once('data', resolve);
      socket.once('error', reject);
    });
    socket.destroy();
    const text = first.toString('latin1');
    expect(text.startsWith('HTTP/1.1 101 ')).toBe(true);
    const body = first.subarray(text.indexOf('\r\n\r\n') + 4);
    expect(body[0]).toBe(0x81); // one unmasked text frame, whole
    const length = body[1] & 0x7f;
    expect(body.length).toBe(2 + length);
    expect(JSON.parse(body.subarray(2).toString('utf8'))).toMatchObject({ t: 'challenge', relay: r.host });
  });

  it('a relay that has not seen a user yet takes its presence settings from the login read', async () => {
    const a = await start();
    const shy = await registerUser(a.host, 1);
    const open = await registerUser(a.host, 1);
    const watcher = await registerUser(a.host, 1);
    // On relay A: `shy` hides; `open` comes and goes, which stores its last seen.
    const s = await TestSocket.login(a.wsUrl, a.host, shy.devices[0]);
    s.send({ t: 'presence.set', visibility: 'nobody' });
    s.send({ t: 'ping', n: 1 });
    await s.next('pong');
    const w = await TestSocket.login(a.wsUrl, a.host, watcher.devices[0]);
    w.send({ t: 'presence.sub', users: [open.userId] });
    await w.next('presence');
    const o = await TestSocket.login(a.wsUrl, a.host, open.devices[0]);
    expect(await w.next('presence')).toMatchObject({ u: open.userId, online: true });
    o.close();
    const { lastSeen } = await w.next('presence');
    expect(lastSeen).toEqual(expect.any(Number));
    s.close();
    w.close();
    await Promise.all([s.closed, w.closed, o.closed]);
    await running.pop()!.close();

    // Relay B on the same store knows nothing of them: both log in before anyone watches.
    const b = await start();
    const s2 = await TestSocket.login(b.wsUrl, b.host, shy.devices[0]);
    const o2 = await TestSocket.login(b.wsUrl, b.host, open.devices[0]);
    const w2 = await TestSocket.login(b.wsUrl, b.host, watcher.devices[0]);
    w2.send({ t: 'presence.sub', users: [shy.userId, open.userId] });
    const seen = [await w2.next('presence'), await w2.next('presence')];
    expect(seen).toContainEqual({ t: 'presence', u: shy.userId, online: false, lastSeen: null });
    expect(seen).toContainEqual({ t: 'presence', u: open.userId, online: true, lastSeen });
    // Nothing but the three login reads: the settings came with them.
    expect(Object.fromEntries(b.calls)).toEqual({ loginState: 3 });
    for (const x of [s2, o2, w2]) x.close();
  });
});
