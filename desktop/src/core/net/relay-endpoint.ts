// Where a relay lives, from the one URL a user types or an invite carries: the WebSocket
// URL to dial, the HTTP base for keys and blobs, and the host[:port] authority that every
// signature binds (docs/protocol.md, "Signatures"). http(s) and ws(s) forms are both
// accepted, with or without the /v1/ws path.

export interface RelayEndpoint {
  /** The URL as configured (kept for display and as the relay cursor's key). */
  url: string;
  wsUrl: string;
  httpBase: string;
  /** host[:port] as dialled; the relay checks signatures against it. */
  host: string;
}

export class RelayUrlError extends Error {
  readonly code = 'bad_relay_url';
  constructor(url: string) {
    super(`"${url}" is not a relay URL; use one like wss://relay.example or http://127.0.0.1:8787.`);
    this.name = 'RelayUrlError';
  }
}

export function relayEndpoint(url: string): RelayEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RelayUrlError(url);
  }
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) || !u.host) throw new RelayUrlError(url);
  const base = u.pathname.replace(/\/v1\/ws\/?$/, '').replace(/\/+$/, '');
  return {
    url,
    wsUrl: `${secure ? 'wss' : 'ws'}://${u.host}${base}/v1/ws`,
    httpBase: `${secure ? 'https' : 'http'}://${u.host}${base}`,
    host: u.host,
  };
}
