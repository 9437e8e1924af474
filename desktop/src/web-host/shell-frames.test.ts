import { describe, expect, it } from 'vitest';
import { isShellFrame, parseShellFrame } from './shell-frames.ts';

describe('shell frames from the page', () => {
  it('accepts the two frames a page sends', () => {
    expect(parseShellFrame({ t: 'shell', type: 'ready' })).toEqual({ ok: true, frame: { t: 'shell', type: 'ready' } });
    const state = { t: 'shell', type: 'state', openConversationId: 'd:bob_1', focused: true };
    expect(parseShellFrame(state)).toEqual({ ok: true, frame: state });
    expect(parseShellFrame({ ...state, openConversationId: null, focused: false }).ok).toBe(true);
  });

  it('refuses anything else with bad_params and the field at fault', () => {
    const refused = (frame: unknown) => {
      const r = parseShellFrame(frame);
      if (r.ok) throw new Error(`accepted ${JSON.stringify(frame)}`);
      expect(r.error.t).toBe('shell');
      expect(r.error.type).toBe('error');
      expect(r.error.error.code).toBe('bad_params');
      return r.error.error.message;
    };
    expect(refused({ t: 'shell', type: 'state', openConversationId: 'not an id', focused: true })).toContain('openConversationId');
    expect(refused({ t: 'shell', type: 'state', openConversationId: null, focused: 'yes' })).toContain('focused');
    expect(refused({ t: 'shell', type: 'state', openConversationId: null })).toContain('focused');
    refused({ t: 'shell', type: 'ready', extra: 1 });
    refused({ t: 'shell', type: 'intent', intent: { type: 'open-conversation', conversationId: 'd:x' } });
    refused({ t: 'shell' });
    refused(null);
  });

  it('tells shell frames from API frames by their t', () => {
    expect(isShellFrame({ t: 'shell', type: 'whatever' })).toBe(true);
    expect(isShellFrame({ t: 'call', id: 1, method: 'getAccount', params: {} })).toBe(false);
    expect(isShellFrame(null)).toBe(false);
    expect(isShellFrame('shell')).toBe(false);
  });
});
