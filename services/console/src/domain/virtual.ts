/** The rows of a fixed-row-height list that a viewport shows, with `overscan` rows either side. */
export interface VisibleRange {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Top of the first drawn row, px. */
  readonly offsetPx: number;
  readonly totalPx: number;
}

export function visibleRange(
  rowCount: number,
  rowHeightPx: number,
  scrollTopPx: number,
  viewportPx: number,
  overscan = 8,
): VisibleRange {
  const totalPx = rowCount * rowHeightPx;
  const shown = Math.ceil(Math.max(0, viewportPx) / rowHeightPx) + 1;
  // A scroll position left over from a longer list (before a search narrowed it) still shows the list's end.
  const first = Math.min(Math.floor(Math.max(0, scrollTopPx) / rowHeightPx), Math.max(0, rowCount - shown + 1));
  const start = Math.max(0, Math.min(rowCount, first - overscan));
  const end = Math.max(start, Math.min(rowCount, first + shown + overscan));
  return { start, end, offsetPx: start * rowHeightPx, totalPx };
}
