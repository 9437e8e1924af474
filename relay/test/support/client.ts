// A small test client speaking protocol v1 for real: libsodium keys, the exact signing
// inputs from common/src/protocol/identity.ts, signed HTTP requests and an authenticated
// `ws` socket with helpers to await frames.
import {
  type DeviceKeys,
  HTTP_AUTH_HEADERS,
  type OneTimePrekey,
  type ServerFrame,
  type SignedDeviceList,
  deviceIdFromSigningKey,
  deviceListSigningInput,
  httpSigningInput,
  identityKeySigningInput,
  signedPrekeySigningInput,
  userIdFromAccountKey,
  wsAuthSigningInput,
} from '@parley/common/protocol';
import { toBase64Url, utf8 } from '@parley/common/encoding';
import { sodium, sodiumReady } from '@parley/common/sodium';
import WebSocket from 'ws';

export { sodiumReady };

const b64 = toBase64Url;

export class TestDevice {
  readonly signKeys = sodium().crypto_sign_keypair();
  readonly id = deviceIdFromSigningKey(this.signKeys.publicKey);
  readonly signingKey = b64(this.signKeys.publicKey);
  private nextPrekeyId = 1;
  private lastTs = 0;

  constructor(readonly account: TestAccount) {}

  get userId(): string {
    return this.account.userId;
  }

  sign(message: Uint8Array): string {
    return b64(sodium().crypto_sign_detached(message, this.signKeys.privateKey));
  }

  /**
   * A request timestamp, strictly increasing per device: identical requests signed in the
   * same millisecond would have identical (deterministic Ed25519) signatures, and the relay
   * accepts each signature once.
   */
  requestTs(): number {
    this.lastTs = Math.max(Date.now(), this.lastTs + 1);
    return this.lastTs;
  }

  signedPrekey(id = 1) {
    const key = b64(sodium().crypto_box_keypair().publicKey);
    return { id, key, sig: this.sign(signedPrekeySigningInput(this.id, id, key)) };
  }

  keys(): DeviceKeys {
    const identityKey = b64(sodium().crypto_box_keypair().publicKey);
    return {
      id: this.id,
      signingKey: this.signingKey,
      identityKey,
      identityKeySig: this.sign(identityKeySigningInput(this.id, identityKey)),
      signedPrekey: this.signedPrekey(),
    };
  }

  oneTimePrekeys(n: number): OneTimePrekey[] {
    return Array.from({ length: n }, () => ({ id: this.nextPrekeyId++, key: b64(sodium().crypto_box_keypair().publicKey) }));
  }
}

export class TestAccount {
  readonly accountKeys = sodium().crypto_sign_keypair();
  readonly accountKey = b64(this.accountKeys.publicKey);
  readonly userId = userIdFromAccountKey(this.accountKeys.publicKey);
  readonly devices: TestDevice[] = [];
  version = 0;

  addDevice(): TestDevice {
    const d = new TestDevice(this);
    this.devices.push(d);
    return d;
  }

  /** Signs a device list of `devices` (default: all) under the next version. */
  signList(devices: TestDevice[] = this.devices, version = ++this.version, signer = this.accountKeys.privateKey): SignedDeviceList {
    const body = { userId: this.userId, accountKey: this.accountKey, version, issuedAt: Date.now(), devices: devices.map((d) => ({ id: d.id, signingKey: d.signingKey })) };
    const sig = b64(sodium().crypto_sign_detached(deviceListSigningInput(body), signer));
    return { ...body, sig };
  }
}

export interface HttpOptions {
  /** Body bytes or a JSON value. */
  body?: unknown;
  /** Sign as this device (default: unsigned). */
  as?: TestDevice;
  /** Body hash to sign ('-' for blob uploads); default: sha256 of the body. */
  bodyHash?: string;
  /** Timestamp to sign; default now. */
  ts?: number;
  headers?: Record<string, string>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  json: any;
  bytes: Uint8Array;
  /** The exact request headers sent (to replay them). */
  sentHeaders: Record<string, string>;
}

export function signHeaders(host: string, device: TestDevice, method: string, pathAndQuery: string, bodyHash: string, ts = device.requestTs()): Record<string, string> {
  return {
    [HTTP_AUTH_HEADERS.device]: device.id,
    [HTTP_AUTH_HEADERS.ts]: String(ts),
    [HTTP_AUTH_HEADERS.sig]: device.sign(httpSigningInput(host, method, pathAndQuery, ts, bodyHash)),
  };
}

export async function http(host: string, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResult> {
  let body: Uint8Array | undefined;
  if (opts.body instanceof Uint8Array) body = opts.body;
  else if (opts.body !== undefined) body = utf8(JSON.stringify(opts.body));
  const headers: Record<string, string> = { ...(body && !(opts.body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (opts.as) {
    const hash = opts.bodyHash ?? b64(sodium().crypto_hash_sha256(body ?? new Uint8Array(0)));
    Object.assign(headers, signHeaders(host, opts.as, method, path, hash, opts.ts));
  }
  return rawHttp(host, method, path, headers, body);
}

export async function rawHttp(host: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<HttpResult> {
  const res = await fetch(`http://${host}${path}`, { method, headers, body: body as BodyInit | undefined });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown = undefined;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, json, bytes, sentHeaders: headers };
}

/** Publishes a device with the account's current (or a freshly signed) list. */
export async function publish(host: string, device: TestDevice, opts: { prekeys?: number; list?: SignedDeviceList } = {}): Promise<HttpResult> {
  const list = opts.list ?? device.account.signList();
  return http(host, 'POST', '/v1/devices', { as: device, body: { deviceList: list, device: device.keys(), oneTimePrekeys: device.oneTimePrekeys(opts.prekeys ?? 5) } });
}

/** A user with `n` devices, all published under one list. */
export async function registerUser(host: string, n: number, prekeys = 5): Promise<TestAccount> {
  const account = new TestAccount();
  for (let i = 0; i < n; i++) account.addDevice();
  const list = account.signList();
  for (const d of account.devices) {
    const r = await publish(host, d, { list, prekeys });
    if (r.status !== 201) throw new Error(`publish failed: ${r.status} ${JSON.stringify(r.json)}`);
  }
  return account;
}

type Frame = ServerFrame & Record<string, any>;

/** A `ws` socket that records every frame and lets a test await the next matching one. */
export class TestSocket {
  readonly frames: Frame[] = [];
  /** The type of every frame in arrival order (frames awaited with next() leave `frames`, not this). */
  readonly arrivals: string[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private consumed = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  challenge!: { nonce: string; ts: number; relay: string };

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      this.arrivals.push(frame.t);
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(url: string): Promise<TestSocket> {
    const ws = new WebSocket(url);
    const sock = new TestSocket(ws);
    const challenge = sock.next('challenge');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    sock.challenge = (await challenge) as never;
    return sock;
  }

  /** Opens, authenticates and waits for `ready`. */
  static async login(url: string, host: string, device: TestDevice, after?: number): Promise<TestSocket> {
    const sock = await TestSocket.open(url);
    sock.send(sock.authFrame(host, device, after));
    const f = await sock.next((x) => x.t === 'ready' || x.t === 'error');
    if (f.t !== 'ready') throw new Error(`login failed: ${JSON.stringify(f)}`);
    return sock;
  }

  authFrame(host: string, device: TestDevice, after?: number, ts = Date.now()) {
    const sig = device.sign(wsAuthSigningInput(host, this.challenge.nonce, device.id, ts));
    return { t: 'auth', device: device.id, ts, sig, ...(after !== undefined ? { after } : {}) };
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * The next frame (after those already returned by `next`) that matches: a frame type, or
   * a predicate. Frames that arrived earlier are considered first.
   */
  next(match: string | ((f: Frame) => boolean), timeoutMs = 5000): Promise<Frame> {
    const pred = typeof match === 'string' ? (f: Frame) => f.t === match : match;
    for (let i = this.consumed; i < this.frames.length; i++) {
      if (pred(this.frames[i])) {
        const f = this.frames[i];
        this.frames.splice(i, 1);
        return Promise.resolve(f);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.map((f) => f.t))}`));
      }, timeoutMs);
      const done = (f: Frame) => {
        clearTimeout(timer);
        const i = this.frames.indexOf(f);
        if (i >= 0) this.frames.splice(i, 1);
        resolve(f);
      };
      this.waiters.push({ match: pred, resolve: done });
    });
  }

  /** Collects delivered entries until `count` have arrived. */
  async receive(count: number, timeoutMs = 5000): Promise<{ s: number; b: string; ts: number }[]> {
    const out: { s: number; b: string; ts: number }[] = [];
    while (out.length < count) out.push(...(await this.next('deliver', timeoutMs)).m);
    return out;
  }

  /** True if no frame of type `t` arrives within `ms`. */
  async quiet(t: string, ms = 150): Promise<boolean> {
    try {
      await this.next(t, ms);
      return false;
    } catch {
      return true;
    }
  }

  close(): void {
    this.ws.close();
  }
}

let cidCounter = 0;
export const newCid = () => `cid-${Date.now().toString(36)}-${(cidCounter++).toString(36)}`;
/** A fake ciphertext: base64url of some random bytes. */
export const payload = (n = 48) => b64(sodium().randombytes_buf(n));
