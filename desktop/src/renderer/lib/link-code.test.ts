import { describe, expect, it } from 'vitest';
import { codeGroups, countdown, defaultDeviceName, normaliseCode } from './link-code.ts';

describe('link code helpers', () => {
  it('names the device after its platform', () => {
    expect(defaultDeviceName({ platform: 'Linux x86_64', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' })).toBe('Linux computer');
    expect(defaultDeviceName({ platform: 'MacIntel' })).toBe('Mac');
    expect(defaultDeviceName({ platform: 'Win32' })).toBe('Windows PC');
    expect(defaultDeviceName({ userAgentData: { platform: 'Windows' } })).toBe('Windows PC');
    expect(defaultDeviceName({})).toBe('New device');
  });

  it('groups a code for display and takes the typed groups back without their spaces', () => {
    const code = 'parley://link?r=http%3A%2F%2F127.0.0.1&n=Linux+computer&x=17';
    const shown = codeGroups(code).join(' ');
    expect(codeGroups('abcdefghij')).toEqual(['abcd', 'efgh', 'ij']);
    expect(normaliseCode(`  ${shown.slice(0, 20)}\n${shown.slice(20)} `)).toBe(code);
  });

  it('counts down in minutes and seconds and stops at zero', () => {
    expect(countdown(10 * 60_000, 0)).toBe('10:00');
    expect(countdown(65_500, 0)).toBe('1:06');
    expect(countdown(1_000, 5_000)).toBe('0:00');
  });
});
