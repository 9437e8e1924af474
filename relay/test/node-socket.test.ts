// The Node entry's WebSocket (node-websocket.ts WireSocket, wired in node-server.ts): what
// `ws` used to do for the relay is pinned here: WebSocket-level pings are answered, and a
// shutdown waits neither for a peer that ignores the closing handshake nor for one whose
// upgrade was refused and that never ends its side.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestRelay, startTestRelay } from './support/relay.ts';

let relay: TestRelay | undefined;

afterEach(async () => {
  await relay?.dispose();
  relay = undefined;
});

describe('Node WebSocket wiring', () => {
  it('answers a WebSocket-level ping with a pong carrying the same data', async () => {
    relay = await startTestRelay();
    const ws = new WebSocket(relay.wsUrl);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are you there'));
    expect((await pong).toString()).toBe('are you there');
    ws.close();
  });

  it('shuts down without waiting for a socket that never answers the close handshake', async () => {
    relay = await startTestRelay();
    // A raw client: upgrades, then reads nothing and never sends a close frame back.
    const socket = connect(relay.port, '127.0.0.1');
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    const upgraded = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(
      `GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await upgraded;
    const started = Date.now();
    await relay.close();
    await gone;
    // Without the shutdown's terminate, the socket would wait 10 s for the peer's close frame.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('shuts down without waiting for a refused upgrade whose client never ends its side', async () => {
    relay = await startTestRelay();
    // A raw client: an upgrade without a key (400), then it keeps its side open.
    const socket = connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(`GET /v1/ws HTTP/1.1\r\nHost: ${relay.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await answered;
    const started = Date.now();
    await relay.close();
    socket.destroy();
    // Without the shutdown's destroy, the close waited for the refused socket's 10 s linger.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
