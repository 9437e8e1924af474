import { describe, expect, it } from 'vitest';
import { checkPageCall } from './page-call.ts';

const user = 'a'.repeat(32);

describe('checkPageCall (what every boundary accepts from a page)', () => {
  it('passes a valid call on with its parsed parameters', () => {
    expect(checkPageCall('renameGroup', { conversationId: 'g:team', name: '  Team  ' })).toEqual({ ok: true, method: 'renameGroup', params: { conversationId: 'g:team', name: 'Team' } });
    expect(checkPageCall('getAccount', undefined)).toEqual({ ok: true, method: 'getAccount', params: {} });
  });

  it('refuses unknown names and bad parameters with bad_params naming the field', () => {
    expect(checkPageCall('exportAccountForLink', {})).toMatchObject({ ok: false, error: { code: 'bad_params', message: expect.stringMatching(/unknown method/i) } });
    expect(checkPageCall('sendText', { conversationId: `d:${user}`, text: 5 })).toMatchObject({ ok: false, error: { code: 'bad_params', message: expect.stringContaining('(text)') } });
  });

  it('refuses a file path from a page: sendAttachment takes the bytes as data there', () => {
    const base = { conversationId: `d:${user}`, name: 'id_ed25519', mime: 'text/plain' };
    expect(checkPageCall('sendAttachment', { ...base, path: '/home/alice/.ssh/id_ed25519' })).toMatchObject({ ok: false, error: { code: 'bad_params', message: expect.stringContaining('(path)') } });
    expect(checkPageCall('sendAttachment', { ...base, data: 'aGk' })).toMatchObject({ ok: true });
  });
});
