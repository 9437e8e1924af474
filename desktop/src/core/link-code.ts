// Device link codes: the `parley://link` payload a new device shows (text and QR) and the
// verification words both devices display (docs/desktop-core.md, "Linking devices").
import { ApiError } from '@parley/common/api/index';
import { utf8 } from '@parley/common/encoding';
import { sodium } from '@parley/common/sodium';

export interface LinkOffer {
  relayUrl: string;
  /** The throwaway account whose only device is the new device's temporary mailbox. */
  mailboxUserId: string;
  /** The new device's real signing key (its id is the hash of it). */
  signingKey: string;
  deviceName: string;
  expiresAt: number;
}

export function formatLinkCode(o: LinkOffer): string {
  const q = new URLSearchParams({ r: o.relayUrl, u: o.mailboxUserId, k: o.signingKey, n: o.deviceName, x: String(o.expiresAt) });
  return `parley://link?${q.toString()}`;
}

export function parseLinkCode(code: string): LinkOffer {
  const m = /^parley:\/\/link\?(.*)$/.exec(code.trim());
  if (!m) throw new ApiError('bad_invite', 'That is not a Parley link code; scan the code shown on the new device.');
  const q = new URLSearchParams(m[1]);
  const o = { relayUrl: q.get('r') ?? '', mailboxUserId: q.get('u') ?? '', signingKey: q.get('k') ?? '', deviceName: (q.get('n') ?? '').slice(0, 64), expiresAt: Number(q.get('x')) };
  if (!/^(wss?|https?):\/\//.test(o.relayUrl) || !/^[a-z2-7]{32}$/.test(o.mailboxUserId) || !/^[A-Za-z0-9_-]{43}$/.test(o.signingKey) || !Number.isSafeInteger(o.expiresAt)) {
    throw new ApiError('bad_invite', 'That link code is damaged; show a fresh one on the new device.');
  }
  return { ...o, deviceName: o.deviceName || 'New device' };
}

const WORDS = (
  'apple anchor arrow badge basil beach cabin candle cedar cloud comet coral delta dune eagle ember ' +
  'fable fern flint forest frost garnet glade harbor hazel island ivory jasper kettle lagoon lantern lemon ' +
  'maple meadow mint nectar oasis olive orbit otter pebble pepper piano planet quartz raven river saffron ' +
  'salmon shell silver sparrow spruce stone sunset thistle tiger tulip velvet walnut willow zephyr ' +
  // 64 words for 6 bits: with 62, indexes 62 and 63 showed as a missing word.
  'acorn bamboo'
).split(' ');

/** Five words (30 bits) over both keys in the code; both devices show them. */
export function verificationWords(o: Pick<LinkOffer, 'mailboxUserId' | 'signingKey'>): string {
  const h = sodium().crypto_generichash(32, utf8(`parley-link-v1|${o.mailboxUserId}|${o.signingKey}`), null);
  const words: string[] = [];
  for (let i = 0; i < 5; i++) words.push(WORDS[h[i] & 63]);
  return words.join(' ');
}
