// The one thing the relay client needs from a WebSocket implementation. The core runs in
// Node and uses `ws` (node-socket.ts); a browser host can pass a factory over the DOM
// WebSocket instead, so nothing in relay-client.ts depends on a runtime.

export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
  error(err: Error): void;
}

export interface RelaySocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet written, when the implementation knows it. */
  readonly bufferedAmount?: number;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => RelaySocket;

/** A factory over a WHATWG WebSocket constructor (browsers, Deno, Node 22+). */
export function webSocketFactory(Ctor: new (url: string) => {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  bufferedAmount: number;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
}): SocketFactory {
  return (url, h) => {
    const ws = new Ctor(url);
    ws.onopen = () => h.open();
    ws.onmessage = (e: { data: unknown }) => h.message(typeof e.data === 'string' ? e.data : '');
    ws.onclose = (e: { code: number; reason: string }) => h.close(e.code, e.reason);
    ws.onerror = () => h.error(new Error('WebSocket error'));
    return ws;
  };
}
