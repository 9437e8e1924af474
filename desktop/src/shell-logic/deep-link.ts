// `parley://` deep links as the operating system hands them to the shell: on macOS
// through `open-url`, on Windows and Linux as an argument of a second instance. Anyone
// can put such a link in a web page, so it is treated as hostile input: bounded, one
// action only (`add`, an invite), no credentials, no duplicate or unknown parameters,
// and the invite itself checked by the core's parser (the key must hash to the user id).
// What leaves here is a canonical link rebuilt from the checked fields, never the input.
import { ApiError } from '@parley/common/api/index';
import { formatInvite, parseInvite, type InviteData } from '../core/messenger-invite.ts';

export const DEEP_LINK_SCHEME = 'parley';
const MAX_LINK_LENGTH = 2048;
const INVITE_PARAMS = new Set(['u', 'r', 'f', 'n']);

export type DeepLink = { kind: 'invite'; link: string; invite: InviteData };

export type DeepLinkErrorCode = 'not_parley' | 'too_long' | 'malformed' | 'unknown_action' | 'bad_invite';

export class DeepLinkError extends Error {
  constructor(
    readonly code: DeepLinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DeepLinkError';
  }
}

/** Parses a link the OS delivered. Needs libsodium ready (the invite check hashes the key). */
export function parseDeepLink(raw: string): DeepLink {
  if (typeof raw !== 'string') throw new DeepLinkError('malformed', 'That link is not text.');
  if (raw.length > MAX_LINK_LENGTH) throw new DeepLinkError('too_long', `That link is longer than ${MAX_LINK_LENGTH} characters; Parley links are much shorter.`);
  // Control characters and spaces have no place in a link; a browser would have encoded them.
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw)) throw new DeepLinkError('malformed', 'That link contains spaces or control characters.');
  if (!/^parley:/i.test(raw)) throw new DeepLinkError('not_parley', 'That is not a parley:// link.');

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DeepLinkError('malformed', 'That parley:// link cannot be read.');
  }
  if (url.username || url.password || url.port || url.hash) {
    throw new DeepLinkError('malformed', 'That parley:// link carries parts Parley links never have (a user name, port or fragment).');
  }
  // Windows sometimes adds a slash before the query (parley://add/?u=...).
  if (url.host.toLowerCase() !== 'add' || (url.pathname !== '' && url.pathname !== '/')) {
    throw new DeepLinkError('unknown_action', 'Parley only opens invite links (parley://add?...); this one asks for something else.');
  }

  const seen = new Set<string>();
  for (const key of url.searchParams.keys()) {
    if (!INVITE_PARAMS.has(key)) throw new DeepLinkError('bad_invite', `That invite link has an unexpected field "${key.slice(0, 20)}".`);
    if (seen.has(key)) throw new DeepLinkError('bad_invite', `That invite link gives "${key}" twice.`);
    seen.add(key);
  }
  const relay = url.searchParams.get('r') ?? '';
  if (/^[a-z]+:\/\/[^/?#]*@/i.test(relay)) throw new DeepLinkError('bad_invite', 'That invite link names a relay with a password in it; ask for a fresh link.');

  let invite: InviteData;
  try {
    invite = parseInvite(`parley://add?${url.searchParams.toString()}`);
  } catch (err) {
    const message = err instanceof ApiError ? err.message : 'That invite link is not a valid Parley link.';
    throw new DeepLinkError('bad_invite', message);
  }
  return { kind: 'invite', link: formatInvite(invite), invite };
}

/**
 * The deep link among a second instance's command line (Windows and Linux pass it as an
 * argument), or null. Flags are skipped; only an argument that is a parley: URL counts.
 */
export function deepLinkFromArgv(argv: readonly string[]): string | null {
  for (const arg of argv) if (typeof arg === 'string' && /^parley:/i.test(arg)) return arg;
  return null;
}
