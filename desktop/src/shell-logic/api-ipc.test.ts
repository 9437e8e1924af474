import { ApiError, type MessengerApi } from '@parley/common/api/index';
import { describe, expect, it, vi } from 'vitest';
import { handleApiCall } from './api-ipc.ts';

// A stand-in core: the handler's job is the boundary, not the engine.
function core(overrides: Record<string, unknown> = {}): MessengerApi {
  return { getSettings: vi.fn(async () => ({ theme: 'dark' })), ...overrides } as unknown as MessengerApi;
}

describe('main-process API call handler', () => {
  it('passes validated parameters to the core and returns its value', async () => {
    const sendText = vi.fn(async (p: unknown) => ({ echoed: p }));
    const api = core({ sendText });
    const r = await handleApiCall(api, { method: 'sendText', params: { conversationId: 'g:team', text: 'hi' } });
    expect(r).toEqual({ ok: true, value: { echoed: { conversationId: 'g:team', text: 'hi' } } });
  });

  it('refuses unknown methods, subscribe, prototype names and malformed requests before the core', async () => {
    const api = core();
    for (const req of [{ method: 'subscribe', params: {} }, { method: 'constructor' }, { method: '__proto__' }, { method: 'eval' }, null, 'getSettings', { params: {} }]) {
      const r = await handleApiCall(api, req);
      expect(r.ok, JSON.stringify(req)).toBe(false);
      expect(!r.ok && r.error.code).toBe('bad_params');
    }
  });

  it('refuses parameters that fail the zod schema, naming the field', async () => {
    const sendText = vi.fn();
    const r = await handleApiCall(core({ sendText }), { method: 'sendText', params: { conversationId: '../../x', text: 'hi' } });
    expect(r).toEqual({ ok: false, error: { code: 'bad_params', message: expect.stringContaining('conversationId') } });
    expect(sendText).not.toHaveBeenCalled();
    const extra = await handleApiCall(core(), { method: 'getSettings', params: { evil: true } });
    expect(extra.ok).toBe(false);
  });

  it('returns ApiErrors as their code and sentence, and hides anything else behind internal', async () => {
    const api = core({
      getAccount: async () => {
        throw new ApiError('no_account');
      },
      listContacts: async () => {
        throw new Error('SQLITE_CORRUPT at /home/alice/profile/parley.db');
      },
    });
    expect(await handleApiCall(api, { method: 'getAccount' })).toEqual({ ok: false, error: { code: 'no_account', message: expect.any(String) } });
    const onInternal = vi.fn();
    const r = await handleApiCall(api, { method: 'listContacts', params: {} }, onInternal);
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: expect.not.stringContaining('/home/alice') } });
    expect(onInternal).toHaveBeenCalledOnce();
  });
});
