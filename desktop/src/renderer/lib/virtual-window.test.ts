import { describe, expect, it } from 'vitest';
import { RowHeights, centredScrollTop, rowAt, visibleRange } from './virtual-window.ts';

describe('virtual window', () => {
  it('uses the estimate until a row is measured, then the measurement', () => {
    const h = new RowHeights(() => 50);
    expect(h.layout(['a', 'b', 'c']).total).toBe(150);
    expect(h.set('b', 80)).toBe(true);
    expect(h.set('b', 80)).toBe(false);
    expect(Array.from(h.layout(['a', 'b', 'c']).offsets)).toEqual([0, 50, 130, 180]);
  });

  it('finds the row under a y position by binary search', () => {
    const offsets = new Float64Array([0, 10, 30, 60]);
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 10)).toBe(1);
    expect(rowAt(offsets, 59)).toBe(2);
    expect(rowAt(offsets, 1e9)).toBe(2);
  });

  it('renders a few dozen rows out of 100,000', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `m${i}`);
    const h = new RowHeights(() => 60);
    const layout = h.layout(keys);
    const r = visibleRange(layout, 3_000_000, 800, 600);
    expect(r.end - r.start).toBeLessThan(40);
    expect(layout.offsets[r.start]).toBeLessThanOrEqual(3_000_000 - 600);
  });

  it('forgets measurements of rows that left the window', () => {
    const h = new RowHeights(() => 10);
    h.set('a', 99);
    h.retain(['b']);
    expect(h.get('a')).toBe(10);
  });

  it('centres a jump target in the viewport, and does not scroll above the top for an early row', () => {
    const h = new RowHeights(() => 50);
    const keys = Array.from({ length: 1_000 }, (_, i) => `m${i}`);
    h.set('m500', 90);
    const layout = h.layout(keys);
    const top = centredScrollTop(layout, 500, 600);
    // The row's middle sits at the viewport's middle.
    expect(layout.offsets[500] + 45 - top).toBe(300);
    expect(visibleRange(layout, top, 600, 0).start).toBeLessThanOrEqual(500);
    expect(centredScrollTop(layout, 2, 600)).toBe(0);
  });
});
