// Electron cannot start here, so its two preload modules are stand-ins that record what
// the preload does with them; the bridge itself is the real code.
import { MESSENGER_API_METHODS, MethodParams, type MessengerApi, type ParleyShell } from '@parley/common/api/index';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const handlers = new Map<string, (event: unknown, value: unknown) => void>();
const invoke = vi.fn(async (channel: string, req: { method: string; params: unknown } | string) => {
  if (channel === 'parley:open-file') return req === 'refused' ? { ok: false, error: { code: 'file_refused', message: 'Parley does not open programs or scripts it received (.exe).' } } : { ok: true };
  const call = req as { method: string; params: unknown };
  return call.method === 'getAccount' ? { ok: false, error: { code: 'no_account', message: 'Create an account first.' } } : { ok: true, value: { method: call.method, params: call.params } };
});
const send = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke: (channel: string, req: { method: string; params: unknown } | string) => invoke(channel, req),
    on: (channel: string, h: (event: unknown, value: unknown) => void) => handlers.set(channel, h),
    send: (...args: unknown[]) => send(...args),
  },
}));

let api: MessengerApi;
let shell: ParleyShell;
beforeAll(async () => {
  await import('./preload.ts');
  api = exposed.get('parley') as MessengerApi;
  shell = exposed.get('parleyShell') as ParleyShell;
});

describe('preload bridge', () => {
  it('exposes exactly the MessengerApi methods (the shared list, which equals the schema list) plus subscribe, and one shell object', () => {
    expect([...exposed.keys()].sort()).toEqual(['parley', 'parleyShell']);
    expect(Object.keys(api).sort()).toEqual([...MESSENGER_API_METHODS, 'subscribe'].sort());
    expect(Object.keys(api).filter((k) => k !== 'subscribe').sort()).toEqual(Object.keys(MethodParams).sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
    expect(Object.keys(shell).sort()).toEqual(['canOpenFiles', 'onIntent', 'openFile', 'platform', 'setOpenConversation']);
  });

  it('sends a call over the one call channel as { method, params }', async () => {
    await expect(api.listConversations({})).resolves.toEqual({ method: 'listConversations', params: {} });
    expect(invoke).toHaveBeenLastCalledWith('parley:call', { method: 'listConversations', params: {} });
  });

  it('rejects bad parameters before anything crosses IPC', async () => {
    invoke.mockClear();
    await expect(api.sendText({ conversationId: 'nope', text: 'x' })).rejects.toMatchObject({ code: 'bad_params' });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('rejects an error result as a plain { code, message } object, which contextBridge copies whole (an Error would lose its code)', async () => {
    const err = await api.getAccount({}).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(Error);
    expect(err).toEqual({ name: 'ApiError', code: 'no_account', message: 'Create an account first.' });
  });

  it('fans events out to subscribers until they unsubscribe, passing only the event', () => {
    const seen: unknown[] = [];
    const off = api.subscribe((e) => seen.push(e));
    handlers.get('parley:event')!({ sender: 'ipc internals' }, { type: 'devices.changed' });
    off();
    handlers.get('parley:event')!({}, { type: 'devices.changed' });
    expect(seen).toEqual([{ type: 'devices.changed' }]);
  });

  it('keeps intents that arrive before the UI subscribes (a deep link at launch), then delivers live ones', () => {
    handlers.get('parley:intent')!({}, { type: 'add-contact', link: 'parley://add?u=x', name: null });
    const seen: unknown[] = [];
    shell.onIntent((i) => seen.push(i));
    handlers.get('parley:intent')!({}, { type: 'open-conversation', conversationId: 'd:bob' });
    expect(seen).toEqual([{ type: 'add-contact', link: 'parley://add?u=x', name: null }, { type: 'open-conversation', conversationId: 'd:bob' }]);
    shell.setOpenConversation('g:team');
    expect(send).toHaveBeenLastCalledWith('parley:open-conversation', 'g:team');
  });

  it('opens a file through its own channel with only the message id, and rejects a refusal as a plain { code, message }', async () => {
    expect(shell.canOpenFiles).toBe(true);
    await expect(shell.openFile('msg-id')).resolves.toBeUndefined();
    expect(invoke).toHaveBeenLastCalledWith('parley:open-file', 'msg-id');
    const err = await shell.openFile('refused').catch((e: unknown) => e);
    expect(err).toEqual({ name: 'ApiError', code: 'file_refused', message: 'Parley does not open programs or scripts it received (.exe).' });
    invoke.mockClear();
    await expect(shell.openFile({ path: '/etc/passwd' } as unknown as string)).rejects.toMatchObject({ code: 'bad_params' });
    expect(invoke).not.toHaveBeenCalled();
  });
});
