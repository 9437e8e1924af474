// The Node WebSocket for the relay client, on the `ws` package.
import WebSocket from 'ws';
import type { SocketFactory } from './socket.ts';

export const nodeSocketFactory: SocketFactory = (url, h) => {
  const ws = new WebSocket(url, { maxPayload: 2 * 1024 * 1024, handshakeTimeout: 10_000 });
  ws.on('open', () => h.open());
  ws.on('message', (data, isBinary) => h.message(isBinary ? '' : String(data)));
  ws.on('close', (code, reason) => h.close(code, String(reason)));
  ws.on('error', (err) => h.error(err));
  return {
    send: (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
};
