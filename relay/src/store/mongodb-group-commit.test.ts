import { describe, expect, it } from 'vitest';
import { GroupCommit } from './mongodb-group-commit.ts';

/** A commit whose runs we can hold open and inspect. */
function recorder(fail?: (items: number[]) => boolean) {
  const runs: number[][] = [];
  let open = 0;
  let maxOpen = 0;
  const gates: (() => void)[] = [];
  const commit = async (items: number[]) => {
    runs.push(items);
    open++;
    maxOpen = Math.max(maxOpen, open);
    await new Promise<void>((resolve) => gates.push(resolve));
    open--;
    if (fail?.(items)) throw new Error(`bad batch ${items.join(',')}`);
    return items.map((i) => i * 10);
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    gates.shift()!();
  };
  return { runs, commit, release, maxOpen: () => maxOpen };
}

describe('group commit of appends', () => {
  it('runs one commit at a time and merges callers who arrive meanwhile, results split per caller', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit);
    const first = group.submit([1]);
    const second = group.submit([2, 3]);
    const third = group.submit([4]);
    await r.release();
    await r.release();
    expect(await first).toEqual([10]);
    expect(await second).toEqual([20, 30]);
    expect(await third).toEqual([40]);
    expect(r.runs).toEqual([[1], [2, 3, 4]]);
    expect(r.maxOpen()).toBe(1);
  });

  it('never merges past maxWeight and never splits one caller’s batch', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit, { maxWeight: 3 });
    const calls = [group.submit([1]), group.submit([2, 3]), group.submit([4]), group.submit([5, 6, 7, 8]), group.submit([9])];
    for (let i = 0; i < 4; i++) await r.release();
    await Promise.all(calls);
    expect(r.runs).toEqual([[1], [2, 3, 4], [5, 6, 7, 8], [9]]);
  });

  it('weighs items with the given function, e.g. by payload size', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit, { weigh: (n) => n * 100, maxWeight: 1000 });
    const calls = [group.submit([1]), group.submit([2, 3]), group.submit([4]), group.submit([5]), group.submit([6])];
    for (let i = 0; i < 4; i++) await r.release();
    await Promise.all(calls);
    // 2+3+4 = 900 fits; adding 5 would make 1400. 5 alone is 500; adding 6 would make 1100.
    expect(r.runs).toEqual([[1], [2, 3, 4], [5], [6]]);
  });

  it('when a merged commit fails, commits each caller alone so one bad batch fails only its caller', async () => {
    const r = recorder((items) => items.includes(3));
    const group = new GroupCommit<number, number>(r.commit);
    const first = group.submit([1]);
    const good = group.submit([2]);
    const bad = group.submit([3]);
    const alsoGood = group.submit([4]);
    const outcome = Promise.allSettled([first, good, bad, alsoGood]);
    for (let i = 0; i < 5; i++) await r.release();
    const [a, b, c, d] = await outcome;
    expect(a).toEqual({ status: 'fulfilled', value: [10] });
    expect(b).toEqual({ status: 'fulfilled', value: [20] });
    expect(c.status).toBe('rejected');
    expect(d).toEqual({ status: 'fulfilled', value: [40] });
    expect(r.runs).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('idle() waits for everything submitted, and the group restarts after going idle', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit);
    const done = group.submit([1]);
    let idle = false;
    const waiting = group.idle().then(() => (idle = true));
    await new Promise((res) => setTimeout(res, 5));
    expect(idle).toBe(false);
    await r.release();
    await waiting;
    expect(await done).toEqual([10]);
    const later = group.submit([2]);
    await r.release();
    expect(await later).toEqual([20]);
  });
});
