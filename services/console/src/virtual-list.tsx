/**
 * A list that renders only the rows in view (plus a few either side): 8,400 signal rows stay ~40 DOM rows. Rows have
 * one fixed height; the list is a single tab stop whose arrow keys, Page Up/Down, Home and End move the active row,
 * and Enter activates it (aria-activedescendant, so screen readers follow).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { visibleRange } from './domain/virtual.js';

export interface VirtualListProps<T> {
  readonly rows: readonly T[];
  readonly rowHeight: number;
  readonly height: number;
  readonly label: string;
  readonly keyOf: (row: T) => string;
  readonly render: (row: T, active: boolean) => ComponentChildren;
  readonly onActivate?: (row: T) => void;
  /** Called with the rows drawn whenever they change (the vehicle page polls their live values). */
  readonly onVisible?: (rows: readonly T[]) => void;
}

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { rows, rowHeight, height, label, keyOf, render, onActivate, onVisible } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(0);
  const range = visibleRange(rows.length, rowHeight, scrollTop, height);
  const shown = rows.slice(range.start, range.end);
  const shownKey = shown.map(keyOf).join('\n');
  useEffect(() => onVisible?.(shown), [shownKey]);
  useEffect(() => {
    if (active >= rows.length) setActive(Math.max(0, rows.length - 1));
  }, [rows.length]);
  const moveTo = (index: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, index));
    setActive(i);
    const el = ref.current;
    if (!el) return;
    const top = i * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + height) el.scrollTop = top + rowHeight - height;
  };
  const page = Math.max(1, Math.floor(height / rowHeight) - 1);
  const onKeyDown = (e: KeyboardEvent) => {
    const keys: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + page,
      PageUp: active - page,
      Home: 0,
      End: rows.length - 1,
    };
    if (e.key in keys) {
      e.preventDefault();
      moveTo(keys[e.key]!);
    } else if ((e.key === 'Enter' || e.key === ' ') && rows[active] !== undefined) {
      e.preventDefault();
      onActivate?.(rows[active]);
    }
  };
  const activeRow = rows[active];
  return (
    <div
      ref={ref}
      class="vlist"
      style={{ height: `${height}px` }}
      role="listbox"
      aria-label={label}
      tabIndex={0}
      aria-activedescendant={activeRow === undefined ? undefined : `row-${active}`}
      onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div style={{ height: `${range.totalPx}px`, position: 'relative' }}>
        <div style={{ transform: `translateY(${range.offsetPx}px)` }}>
          {shown.map((row, i) => {
            const index = range.start + i;
            return (
              <div
                key={keyOf(row)}
                id={`row-${index}`}
                role="option"
                aria-selected={index === active}
                class={index === active ? 'vrow active' : 'vrow'}
                style={{ height: `${rowHeight}px` }}
                onClick={() => {
                  setActive(index);
                  onActivate?.(row);
                }}
              >
                {render(row, index === active)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
