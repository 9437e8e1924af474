// Invite links: `parley://add?u=<user id>&r=<relay url>&f=<account key>[&n=<name>]`.
// The fingerprint is the account key itself (base64url Ed25519, 43 characters): the user
// id is a hash of it, so a link whose key does not hash to its user id is refused, and
// the contact's key is pinned from the link before the relay is ever asked.
import { userIdFromAccountKey } from '@parley/common/protocol';
import { fromBase64Url } from '@parley/common/encoding';
import { ApiError } from '@parley/common/api/index';

export interface InviteData {
  userId: string;
  relayUrl: string;
  accountKey: string;
  name: string | null;
}

export function formatInvite(d: InviteData): string {
  const q = new URLSearchParams({ u: d.userId, r: d.relayUrl, f: d.accountKey });
  if (d.name) q.set('n', d.name);
  return `parley://add?${q.toString()}`;
}

export function parseInvite(link: string): InviteData {
  const m = /^parley:\/\/add\?(.*)$/.exec(link.trim());
  if (!m) throw new ApiError('bad_invite');
  const q = new URLSearchParams(m[1]);
  const userId = q.get('u') ?? '';
  const relayUrl = q.get('r') ?? '';
  const accountKey = q.get('f') ?? '';
  if (!/^[a-z2-7]{32}$/.test(userId) || !/^[A-Za-z0-9_-]{43}$/.test(accountKey) || !/^(wss?|https?):\/\//.test(relayUrl)) {
    throw new ApiError('bad_invite');
  }
  let key: Uint8Array;
  try {
    key = fromBase64Url(accountKey);
  } catch {
    throw new ApiError('bad_invite');
  }
  if (key.length !== 32 || userIdFromAccountKey(key) !== userId) {
    throw new ApiError('bad_invite', 'That invite link does not match its own key fingerprint; ask for a fresh link.');
  }
  const name = q.get('n');
  return { userId, relayUrl, accountKey, name: name ? name.slice(0, 64) : null };
}
