import { toBase64Url } from '@parley/common/encoding';
import { userIdFromAccountKey } from '@parley/common/protocol';
import { sodium, sodiumReady } from '@parley/common/sodium';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeepLinkError, deepLinkFromArgv, parseDeepLink } from './deep-link.ts';

let userId: string;
let key: string;
let good: string;
beforeAll(async () => {
  await sodiumReady();
  const pk = sodium().crypto_sign_keypair().publicKey;
  userId = userIdFromAccountKey(pk);
  key = toBase64Url(pk);
  good = `parley://add?u=${userId}&r=${encodeURIComponent('wss://relay.example.org')}&f=${key}&n=Alice`;
});

function codeOf(link: string): string | undefined {
  try {
    parseDeepLink(link);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(DeepLinkError);
    expect((e as Error).message.length).toBeGreaterThan(10);
    return (e as DeepLinkError).code;
  }
}

describe('parley:// deep links', () => {
  it('accepts an invite and returns a canonical link rebuilt from its checked fields', () => {
    const d = parseDeepLink(good);
    expect(d.kind).toBe('invite');
    expect(d.invite).toEqual({ userId, relayUrl: 'wss://relay.example.org', accountKey: key, name: 'Alice' });
    expect(parseDeepLink(d.link)).toEqual(d);
  });

  it('accepts the trailing slash Windows adds and an upper-case scheme', () => {
    expect(parseDeepLink(good.replace('add?', 'add/?')).invite.userId).toBe(userId);
    expect(parseDeepLink(good.replace('parley:', 'PARLEY:')).invite.userId).toBe(userId);
  });

  it('refuses links that are not parley invites', () => {
    expect(codeOf('https://example.org/add?u=x')).toBe('not_parley');
    expect(codeOf('javascript:alert(1)')).toBe('not_parley');
    expect(codeOf(good.replace('//add', '//settings'))).toBe('unknown_action');
    expect(codeOf(good.replace('//add', '//add/../../etc'))).toBe('unknown_action');
    expect(codeOf('parley://')).toBe('unknown_action');
  });

  it('refuses hostile shapes: oversized, control characters, credentials, ports, fragments', () => {
    expect(codeOf(`${good}&n=${'x'.repeat(3000)}`)).toBe('too_long');
    expect(codeOf(`${good}\n`)).toBe('malformed');
    expect(codeOf(good.replace('add?', 'add?\u0000'))).toBe('malformed');
    expect(codeOf(good.replace('parley://add', 'parley://eve:pw@add'))).toBe('malformed');
    expect(codeOf(good.replace('parley://add', 'parley://add:8080'))).toBe('malformed');
    expect(codeOf(`${good}#frag`)).toBe('malformed');
  });

  it('refuses unknown or repeated fields and a relay URL with a password', () => {
    expect(codeOf(`${good}&x=1`)).toBe('bad_invite');
    expect(codeOf(`${good}&u=${userId}`)).toBe('bad_invite');
    expect(codeOf(good.replace(encodeURIComponent('wss://relay.example.org'), encodeURIComponent('wss://eve:pw@relay.example.org')))).toBe('bad_invite');
  });

  it("refuses an invite whose key does not hash to its user id (the core's check)", () => {
    const other = toBase64Url(sodium().crypto_sign_keypair().publicKey);
    expect(codeOf(good.replace(key, other))).toBe('bad_invite');
    expect(codeOf(good.replace(`u=${userId}`, 'u=notauser'))).toBe('bad_invite');
    expect(codeOf(good.replace(encodeURIComponent('wss://relay.example.org'), 'file%3A%2F%2F%2Fetc%2Fpasswd'))).toBe('bad_invite');
  });

  it('finds the link among a second instance argv and ignores flags', () => {
    expect(deepLinkFromArgv(['/opt/Parley/parley', '--no-sandbox', good])).toBe(good);
    expect(deepLinkFromArgv(['C:\\Parley.exe', '--allow-file-access-from-files'])).toBeNull();
    expect(deepLinkFromArgv([])).toBeNull();
  });
});
