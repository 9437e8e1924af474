// Incoming: a mailbox entry is a sealed envelope; opening it (pure) yields the sender's
// authenticated credential, which must name a device on the sender's verified device
// list; then the pairwise session decrypts. decryptMessage works on a copy of the session
// and returns the new state only after authentication, and the caller writes it in the
// same transaction as the message it produced, so a failure or crash changes nothing.
import {
  CryptoError,
  ENVELOPE_KIND,
  decryptMessage,
  openEnvelope,
  type OpenedEnvelope,
} from '@parley/common/crypto';
import { fromBase64Url } from '@parley/common/encoding';
import type { CryptoStore } from '../crypto-store.ts';
import { decodeContent, type Content } from './content.ts';

export interface Received {
  senderUserId: string;
  senderDeviceId: string;
  content: Content;
}

export class Decryptor {
  constructor(private readonly store: CryptoStore) {}

  /** Opens the outer envelope; null (logged by the caller) when it is not for us or damaged. */
  open(payload: string): OpenedEnvelope | null {
    try {
      return openEnvelope(this.store.requireDevice(), fromBase64Url(payload));
    } catch {
      return null;
    }
  }

  /**
   * Decrypts a pairwise message whose sender the caller has checked against the device
   * list. Writes the session (and any consumed one-time prekey): call inside the
   * transaction that stores the result. Throws CryptoError or ContentError.
   */
  decryptPairwise(env: OpenedEnvelope): Received {
    if (env.kind !== ENVELOPE_KIND.pairwise) throw new CryptoError('malformed', `envelope kind ${env.kind} is not handled yet`);
    const self = this.store.requireDevice();
    const s = env.sender;
    const out = decryptMessage(self, this.store.session(s.deviceId), env.content, {
      deviceId: s.deviceId,
      signingKey: s.signingKey,
      identityKey: s.identityKey,
    });
    this.store.setSession(s.deviceId, out.record);
    if (out.device !== self) this.store.setDevice(out.device);
    return { senderUserId: s.userId, senderDeviceId: s.deviceId, content: decodeContent(out.plaintext) };
  }
}
