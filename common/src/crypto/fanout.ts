// Multi-device fan-out: one plaintext, encrypted and sealed once per device of every
// recipient's device list plus the sender's own other devices, shaped for the relay's
// `send` frame (`to` and `check`). Either every device gets a ciphertext or none does:
// when some device has neither a session nor a bundle, nothing is encrypted and the
// missing device ids come back so the caller can claim bundles and call again.
import type { PrekeyBundle, SignedDeviceList } from '../protocol/schemas.ts';
import { b64 } from './bytes.ts';
import { ENVELOPE_KIND, sealEnvelope } from './envelope.ts';
import { CryptoError } from './errors.ts';
import type { DeviceSecrets } from './keys.ts';
import { encryptMessage, initiateSession, type SessionRecord } from './session.ts';

export interface FanOutInput {
  self: DeviceSecrets;
  plaintext: Uint8Array;
  /** Verified device lists (verifyDeviceList) of the recipients; may include the sender's own. */
  lists: SignedDeviceList[];
  /** Session records by device id. */
  sessions: Record<string, SessionRecord>;
  /** Bundles (from the relay) for devices that have no session yet, by device id. */
  bundles?: Record<string, PrekeyBundle>;
}

export interface FanOutResult {
  /** Device ids lacking both a session and a bundle; when non-empty, `to` is empty and nothing changed. */
  missing: string[];
  /** For the send frame: one sealed ciphertext (base64url) per device. */
  to: { d: string; b: string }[];
  /** For the send frame: users whose complete device set `to` covers. */
  check: string[];
  /** Updated session records of every device written to; persist before sending. */
  sessions: Record<string, SessionRecord>;
}

export function fanOut(input: FanOutInput): FanOutResult {
  const { self, lists } = input;
  const targets: { userId: string; id: string; signingKey: string }[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    for (const d of list.devices) {
      if (d.id === self.deviceId || seen.has(d.id)) continue;
      seen.add(d.id);
      targets.push({ userId: list.userId, id: d.id, signingKey: d.signingKey });
    }
  }
  const missing = targets.filter((t) => !input.sessions[t.id]?.current && !input.bundles?.[t.id]).map((t) => t.id);
  const check = [...new Set(lists.map((l) => l.userId))];
  if (missing.length) return { missing, to: [], check, sessions: input.sessions };

  const sessions = { ...input.sessions };
  const to: { d: string; b: string }[] = [];
  for (const t of targets) {
    let record = sessions[t.id];
    if (!record?.current) {
      const list = lists.find((l) => l.userId === t.userId)!;
      record = initiateSession(self, input.bundles![t.id], { record, list });
    }
    if (record.peer.signingKey !== t.signingKey) throw new CryptoError('untrusted_identity', `session for ${t.id} is with a different device key`);
    const out = encryptMessage(record, input.plaintext);
    sessions[t.id] = out.record;
    to.push({ d: t.id, b: b64(sealEnvelope(self, record.peer.identityKey, ENVELOPE_KIND.pairwise, out.message)) });
  }
  return { missing: [], to, check, sessions };
}
