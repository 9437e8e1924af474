import { DEFAULT_LIMITS, DEFAULT_TTL_MS, HARD_LIMITS } from '@parley/common/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError, SETTINGS, loadConfig } from './config.ts';

describe('relay configuration', () => {
  it('has a documented default for every setting', () => {
    const c = loadConfig([], {});
    expect(c.port).toBe(8787);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe('./data');
    expect(c.ttlMs).toBe(DEFAULT_TTL_MS);
    expect(c.limits.maxBlobBytes).toBe(DEFAULT_LIMITS.maxBlobBytes);
    for (const s of SETTINGS) expect(s.doc.length).toBeGreaterThan(10);
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });

  it('reads flags before environment variables', () => {
    const c = loadConfig(['--port', '9000', '--data-dir=/tmp/x', '--trust-proxy', '--max-frame-bytes', '4096'], { PARLEY_PORT: '1', PARLEY_TTL_MS: '5000', PARLEY_LOG_LEVEL: 'warn' });
    expect(c).toMatchObject({ port: 9000, dataDir: '/tmp/x', trustProxy: true, ttlMs: 5000, logLevel: 'warn' });
    expect(c.limits.maxFrameBytes).toBe(4096);
  });

  it('clamps limits to the protocol ceilings and rejects nonsense', () => {
    expect(loadConfig(['--max-frame-bytes', String(10 * HARD_LIMITS.maxFrameBytes)], {}).limits.maxFrameBytes).toBe(HARD_LIMITS.maxFrameBytes);
    expect(() => loadConfig(['--port', 'abc'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--no-such-flag'], {})).toThrow(/unknown option/);
    expect(() => loadConfig([], { PARLEY_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
  });
});
