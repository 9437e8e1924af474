// Windowed rendering for long lists (a conversation may hold 100,000 messages): rows
// have measured heights where they have been on screen and an estimate elsewhere; the
// list renders only the rows that intersect the viewport (plus overscan) between two
// spacers. Pure and DOM-free, so it is unit tested in Node.

export interface RowLayout {
  /** offsets[i] is the top of row i; offsets[n] is the total height. */
  offsets: Float64Array;
  total: number;
}

export class RowHeights {
  private measured = new Map<string, number>();

  constructor(private readonly estimate: (key: string) => number) {}

  /** Records a measured height; returns true when it changed the layout. */
  set(key: string, height: number): boolean {
    if (height <= 0 || this.measured.get(key) === height) return false;
    this.measured.set(key, height);
    return true;
  }

  get(key: string): number {
    return this.measured.get(key) ?? this.estimate(key);
  }

  /** Forgets rows no longer in the list, so memory follows the loaded window. */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const k of this.measured.keys()) if (!keep.has(k)) this.measured.delete(k);
  }

  layout(keys: readonly string[]): RowLayout {
    const offsets = new Float64Array(keys.length + 1);
    for (let i = 0; i < keys.length; i++) offsets[i + 1] = offsets[i] + this.get(keys[i]);
    return { offsets, total: offsets[keys.length] };
  }
}

/** Index of the row containing y (binary search over the offsets). */
export function rowAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The rows [start, end) to render for a viewport at scrollTop of the given height. */
export function visibleRange(layout: RowLayout, scrollTop: number, viewport: number, overscanPx = 600): { start: number; end: number } {
  const n = layout.offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const start = rowAt(layout.offsets, Math.max(0, scrollTop - overscanPx));
  const end = Math.min(n, rowAt(layout.offsets, scrollTop + viewport + overscanPx) + 1);
  return { start, end };
}

/** The scrollTop that puts row `index` in the middle of a viewport of the given height (never above the top). */
export function centredScrollTop(layout: RowLayout, index: number, viewport: number): number {
  const top = layout.offsets[index] ?? 0;
  const height = (layout.offsets[index + 1] ?? top) - top;
  return Math.max(0, top - (viewport - height) / 2);
}
