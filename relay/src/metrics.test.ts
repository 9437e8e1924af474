import { describe, expect, it } from 'vitest';
import { MailboxDepthSampler } from './metrics.ts';

describe('MailboxDepthSampler', () => {
  it('reads the store at most once per interval and shares a read in flight', async () => {
    let clock = 0;
    let reads = 0;
    const sampler = new MailboxDepthSampler(async () => ++reads * 10, () => clock, 15_000);
    expect(await Promise.all([sampler.sample(), sampler.sample()])).toEqual([10, 10]);
    clock = 14_999;
    expect(await sampler.sample()).toBe(10);
    clock = 30_000;
    expect(await sampler.sample()).toBe(20);
    expect(reads).toBe(2);
  });

  it('keeps the last value when a read fails, even synchronously', async () => {
    let clock = 0;
    let fail = false;
    const sampler = new MailboxDepthSampler(() => {
      if (fail) throw new Error('store down');
      return Promise.resolve(7);
    }, () => clock, 1);
    expect(await sampler.sample()).toBe(7);
    fail = true;
    clock = 10;
    expect(await sampler.sample()).toBe(7);
  });
});
