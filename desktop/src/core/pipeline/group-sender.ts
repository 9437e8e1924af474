// Sending one group message: make sure every current member device holds this device's
// sender key of the current epoch (a pairwise `sender-key` distribution to all member
// users when any device lacks it), encrypt the plaintext ONCE with the sender key, and
// seal that one ciphertext to each device (ENVELOPE_KIND.group; the mailbox format is
// sealed envelopes, so only the outer seal is per device). Stale device sets are refused
// by the relay (`check`), adopted, and the send repeated with the same cid.
// docs/desktop-core.md, "Groups".
import {
  CryptoError,
  ENVELOPE_KIND,
  createSenderKey,
  encryptGroupMessage,
  sealEnvelope,
  senderKeyDistribution,
  type OwnSenderKey,
} from '@parley/common/crypto';
import { fromUtf8, toBase64Url, utf8 } from '@parley/common/encoding';
import type { Clock } from '../clock.ts';
import type { CryptoStore } from '../crypto-store.ts';
import { newClientMsgId } from '../ids.ts';
import type { RelayClient } from '../net/relay-client.ts';
import type { SendOutcome } from '../outbox.ts';
import type { LocalProfile } from '../profile.ts';
import { CONTENT_VERSION, encodeContent, type Content } from './content.ts';
import type { DeviceDirectory } from './directory.ts';
import type { Encryptor } from './encryptor.ts';

export interface GroupSenderDeps {
  profile: LocalProfile;
  crypto: CryptoStore;
  clock: Clock;
  directory(): DeviceDirectory;
  encryptor(): Encryptor;
}

/** Which devices hold this device's sender key of the current epoch. */
interface Distributed {
  epoch: number;
  devices: string[];
}

const sentKey = (groupId: string) => `sk-sent:${groupId}`;

export class GroupSender {
  constructor(private readonly d: GroupSenderDeps) {}

  /** After a rotation: nobody holds the new epoch yet. */
  forget(groupId: string): void {
    this.d.profile.secrets.delete(sentKey(groupId));
  }

  /** Sends `plaintext` to every device of `users` (members, ourselves included) but this one. */
  async send(relay: RelayClient, cid: string, groupId: string, plaintext: Uint8Array, users: string[]): Promise<SendOutcome> {
    const self = this.d.crypto.requireDevice();
    const me = { userId: self.userId, deviceId: self.deviceId };
    const others = users.filter((u) => u !== me.userId);
    const directory = this.d.directory();
    for (let attempt = 0; attempt < 4; attempt++) {
      for (const u of users) await directory.get(u);
      // Devices listed but never published (a link never finished) cannot get a key; leaving
      // them out keeps every message from redistributing.
      const encryptor = this.d.encryptor();
      const devices = users.flatMap((u) => (directory.known(u)?.devices ?? []).filter((x) => x.id !== me.deviceId && !encryptor.isUnpublished(u, x.id)).map((x) => x.id));
      let own = this.d.crypto.ownSenderKey(groupId) ?? createSenderKey(groupId);
      const had = this.distributed(groupId, own.epoch);
      if (devices.some((id) => !had.has(id))) {
        const got = await this.distribute(relay, groupId, own, others);
        if (got === 'stale') continue;
        if (got !== 'ok') return got;
      }
      const holders = this.distributed(groupId, own.epoch);
      // Reload: distributing may not change the chain, but keep one source of truth.
      own = this.d.crypto.ownSenderKey(groupId)!;
      const enc = encryptGroupMessage(own, plaintext);
      this.d.crypto.setOwnSenderKey(enc.own);
      const framed = frameGroupMessage(groupId, enc.message);
      const to: { d: string; b: string }[] = [];
      for (const id of devices) {
        const s = this.d.crypto.session(id);
        if (s && holders.has(id)) to.push({ d: id, b: toBase64Url(sealEnvelope(self, s.peer.identityKey, ENVELOPE_KIND.group, framed)) });
      }
      if (to.length === 0) return 'sent';
      let res;
      try {
        res = await relay.send({ cid, to, check: users });
      } catch {
        return 'retry';
      }
      if (res.ok) return 'sent';
      const outcome = this.refusal(res);
      if (outcome !== 'again') return outcome;
    }
    return 'retry';
  }

  /** Sends our current sender key pairwise to every member device (and our own other devices). */
  private async distribute(relay: RelayClient, groupId: string, own: OwnSenderKey, others: string[]): Promise<'ok' | 'stale' | SendOutcome> {
    if (!this.d.crypto.ownSenderKey(groupId)) this.d.crypto.setOwnSenderKey(own);
    const content: Content = {
      v: CONTENT_VERSION,
      id: newClientMsgId(),
      at: this.d.clock.now(),
      conv: { t: 'g', id: groupId },
      kind: 'sender-key',
      distribution: toBase64Url(senderKeyDistribution(own)),
    };
    const enc = await this.d.encryptor().encrypt(others, encodeContent(content), { includeOwn: true });
    if (enc.to.length > 0) {
      let res;
      try {
        res = await relay.send({ cid: content.id, to: enc.to, check: enc.check });
      } catch {
        return 'retry';
      }
      if (!res.ok) {
        const outcome = this.refusal(res);
        return outcome === 'again' ? 'stale' : outcome;
      }
    }
    this.d.profile.secrets.putJson(sentKey(groupId), { epoch: own.epoch, devices: enc.to.map((t) => t.d) } satisfies Distributed);
    return 'ok';
  }

  private distributed(groupId: string, epoch: number): Set<string> {
    const bytes = this.d.profile.secrets.get(sentKey(groupId));
    if (!bytes) return new Set();
    const v = JSON.parse(fromUtf8(bytes)) as Distributed;
    return new Set(v.epoch === epoch ? v.devices : []);
  }

  private refusal(res: { code: string; lists?: unknown[] }): 'again' | SendOutcome {
    switch (res.code) {
      case 'stale_devices':
        for (const list of res.lists ?? []) {
          try {
            if (!this.d.directory().accept(list as never)) this.d.encryptor().forget((list as { userId: string }).userId);
          } catch {
            return 'retry';
          }
        }
        return 'again';
      case 'unknown_user':
      case 'too_many_recipients':
      case 'too_large':
      case 'bad_frame':
        return 'fatal';
      default:
        return 'retry';
    }
  }
}


/** Group envelope content: u8 len || group id || sender-key message (the AD binds the id too). */
export function frameGroupMessage(groupId: string, message: Uint8Array): Uint8Array {
  const id = utf8(groupId);
  const out = new Uint8Array(1 + id.length + message.length);
  out[0] = id.length;
  out.set(id, 1);
  out.set(message, 1 + id.length);
  return out;
}

export function unframeGroupMessage(bytes: Uint8Array): { groupId: string; message: Uint8Array } {
  const len = bytes[0] ?? 0;
  if (len === 0 || bytes.length < 1 + len) throw new CryptoError('malformed', 'group envelope is too short');
  return { groupId: fromUtf8(bytes.subarray(1, 1 + len)), message: bytes.subarray(1 + len) };
}
