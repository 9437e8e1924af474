// The relay's HTTP API as the client uses it: signed requests (x-parley-device/ts/sig
// over httpSigningInput), answers validated with the protocol schemas, problems turned
// into RelayHttpError with the relay's stable code.
//
// Timestamps are strictly increasing per device: Ed25519 signatures are deterministic,
// so two identical requests signed in the same millisecond would carry the same
// signature, and the relay refuses a signature it has seen (replay protection).
import {
  BlobCreatedResponse,
  ClaimBundlesResponse,
  HTTP_AUTH_HEADERS,
  HandleResponse,
  Problem,
  PrekeyCountResponse,
  PublishDeviceResponse,
  SignedDeviceList,
  httpSigningInput,
  type OneTimePrekey,
  type PublishDeviceRequest,
  type SignedPrekey,
} from '@parley/common/protocol';
import { toBase64Url, utf8 } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';
import type { z } from 'zod';
import type { DeviceSigner } from './relay-client.ts';
import type { RelayEndpoint } from './relay-endpoint.ts';

export class RelayHttpError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RelayHttpError';
  }
}

type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }) => Promise<Response>;

export interface BlobRange {
  start: number;
  /** Inclusive; omitted = to the end. */
  end?: number;
}

export class RelayHttp {
  private lastTs = 0;

  constructor(
    readonly endpoint: RelayEndpoint,
    private signer: DeviceSigner | null,
    private readonly fetchImpl: FetchLike = (url, init) => fetch(url, init as RequestInit),
    private readonly now: () => number = Date.now,
  ) {}

  /** The device that signs requests (set once the device exists). */
  setSigner(signer: DeviceSigner): void {
    this.signer = signer;
  }

  private nextTs(): number {
    this.lastTs = Math.max(this.now(), this.lastTs + 1);
    return this.lastTs;
  }

  private async request(
    method: string,
    path: string,
    opts: { body?: unknown; raw?: Uint8Array; signed?: boolean; signer?: DeviceSigner; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: Uint8Array | undefined;
    if (opts.raw) {
      body = opts.raw;
      headers['content-type'] = 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = utf8(JSON.stringify(opts.body));
      headers['content-type'] = 'application/json';
    }
    const signer = opts.signer ?? this.signer;
    if (opts.signed !== false && (opts.signed || opts.signer)) {
      if (!signer) throw new RelayHttpError('unauthenticated', 0, 'This device has no keys yet; create or link an account first.');
      const ts = this.nextTs();
      const bodyHash = opts.raw ? '-' : toBase64Url(sodium().crypto_hash_sha256(body ?? new Uint8Array(0)));
      headers[HTTP_AUTH_HEADERS.device] = signer.deviceId;
      headers[HTTP_AUTH_HEADERS.ts] = String(ts);
      headers[HTTP_AUTH_HEADERS.sig] = signer.sign(httpSigningInput(this.endpoint.host, method, path, ts, bodyHash));
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.endpoint.httpBase + path, { method, headers, body });
    } catch (err) {
      throw new RelayHttpError('offline', 0, `The relay at ${this.endpoint.url} cannot be reached (${(err as Error).message}).`);
    }
    if (!res.ok) {
      let problem: Problem | null = null;
      try {
        const p = Problem.safeParse(await res.json());
        if (p.success) problem = p.data;
      } catch {
        // not a JSON problem
      }
      throw new RelayHttpError(problem?.code ?? 'internal', res.status, problem?.message ?? `The relay answered ${res.status}.`, problem?.details);
    }
    return res;
  }

  private async json<S extends z.ZodType>(schema: S, res: Response): Promise<z.infer<S>> {
    const parsed = schema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new RelayHttpError('bad_response', res.status, `The relay's answer does not match the protocol: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  /** POST /v1/devices, signed by the device being published (`as`). */
  async publishDevice(req: PublishDeviceRequest, as: DeviceSigner) {
    return this.json(PublishDeviceResponse, await this.request('POST', '/v1/devices', { body: req, signer: as }));
  }

  async getDeviceList(userId: string): Promise<SignedDeviceList> {
    return this.json(SignedDeviceList, await this.request('GET', `/v1/users/${userId}/device-list`, { signed: false }));
  }

  async putDeviceList(userId: string, deviceList: SignedDeviceList): Promise<SignedDeviceList> {
    return this.json(SignedDeviceList, await this.request('PUT', `/v1/users/${userId}/device-list`, { body: { deviceList }, signed: true }));
  }

  /** Claims one one-time prekey per device (all published devices when `devices` is omitted). */
  async claimBundles(userId: string, devices?: string[]) {
    return this.json(ClaimBundlesResponse, await this.request('POST', `/v1/users/${userId}/bundles`, { body: devices ? { devices } : {}, signed: true }));
  }

  async prekeyCount() {
    return this.json(PrekeyCountResponse, await this.request('GET', '/v1/prekeys', { signed: true }));
  }

  async replenishPrekeys(oneTimePrekeys: OneTimePrekey[], signedPrekey?: SignedPrekey) {
    return this.json(PrekeyCountResponse, await this.request('POST', '/v1/prekeys', { body: signedPrekey ? { oneTimePrekeys, signedPrekey } : { oneTimePrekeys }, signed: true }));
  }

  async setHandle(handle: string) {
    return this.json(HandleResponse, await this.request('PUT', '/v1/handle', { body: { handle }, signed: true }));
  }

  async deleteHandle(): Promise<void> {
    await this.request('DELETE', '/v1/handle', { signed: true });
  }

  async lookupHandle(handle: string) {
    return this.json(HandleResponse, await this.request('GET', `/v1/handles/${encodeURIComponent(handle)}`, { signed: false }));
  }

  async uploadBlob(bytes: Uint8Array) {
    return this.json(BlobCreatedResponse, await this.request('POST', '/v1/blobs', { raw: bytes, signed: true }));
  }

  /** The blob, or one range of it (206). */
  async downloadBlob(id: string, range?: BlobRange): Promise<Uint8Array> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
    const res = await this.request('GET', `/v1/blobs/${encodeURIComponent(id)}`, { signed: false, headers });
    return new Uint8Array(await res.arrayBuffer());
  }

  async deleteBlob(id: string): Promise<void> {
    await this.request('DELETE', `/v1/blobs/${encodeURIComponent(id)}`, { signed: true });
  }
}
