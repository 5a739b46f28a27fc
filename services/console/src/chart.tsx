/**
 * A time series chart (uPlot, loaded on first use). Dragging across it zooms: the new range is handed to
 * `onRange`, and the caller asks the server for that range again, so a zoom shows the stored samples of the range
 * rather than a stretched picture of the first answer. Double-click resets.
 */
import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';

export interface Series {
  readonly label: string;
  readonly unit: string;
  /** Seconds since the epoch (uPlot's time unit) and values, same length. */
  readonly times: number[];
  readonly values: (number | null)[];
  /** Downsampled history: each point's bucket minimum and maximum, drawn as a band around the line. */
  readonly band?: { readonly mins: number[]; readonly maxs: number[] };
}

export interface Marker {
  readonly timeS: number;
  readonly label: string;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

/**
 * Aligns several series on the union of their times (uPlot's data shape), null where a series has no sample; the
 * band edges (max, then min) of the series that have one follow the lines, in series order.
 */
export function alignSeries(series: readonly Series[]): (number | null)[][] {
  const times = [...new Set(series.flatMap((s) => s.times))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = (s: Series, values: readonly (number | null)[]) => {
    const c = new Array<number | null>(times.length).fill(null);
    s.times.forEach((t, i) => (c[index.get(t)!] = values[i] ?? null));
    return c;
  };
  const bands = series.flatMap((s) => (s.band ? [column(s, s.band.maxs), column(s, s.band.mins)] : []));
  return [times, ...series.map((s) => column(s, s.values)), ...bands];
}

export function Chart({
  series,
  markers = [],
  height = 260,
  onRange,
}: {
  series: readonly Series[];
  markers?: readonly Marker[];
  height?: number;
  onRange?: (fromMs: number, toMs: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const rangeRef = useRef(onRange);
  rangeRef.current = onRange;
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const [{ default: UPlot }] = await Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]);
      if (cancelled || !box.current) return;
      plot.current?.destroy();
      const width = box.current.clientWidth || 800;
      const dark = matchMedia('(prefers-color-scheme: dark)').matches;
      const axis = { stroke: dark ? '#cbd5e1' : '#334155', grid: { stroke: dark ? '#334155' : '#e2e8f0' } };
      const edges: uPlot.Series[] = [];
      const bands: uPlot.Band[] = [];
      series.forEach((s, i) => {
        if (!s.band) return;
        const color = COLORS[i % COLORS.length]!;
        const edge = (what: string): uPlot.Series => ({
          label: `${s.label} ${what}`,
          stroke: `${color}55`,
          width: 0.5,
          spanGaps: true,
          points: { show: false },
        });
        const upper = series.length + 1 + edges.length;
        edges.push(edge('max'), edge('min'));
        bands.push({ series: [upper, upper + 1], fill: `${color}22` });
      });
      plot.current = new UPlot(
        {
          width,
          height,
          series: [
            {},
            ...series.map((s, i) => ({
              label: s.unit ? `${s.label} (${s.unit})` : s.label,
              stroke: COLORS[i % COLORS.length],
              width: 1.5,
              spanGaps: true,
            })),
            ...edges,
          ],
          bands,
          axes: [axis, axis],
          cursor: { drag: { x: true, y: false } },
          hooks: {
            setSelect: [
              (u) => {
                if (u.select.width < 2) return;
                const from = u.posToVal(u.select.left, 'x');
                const to = u.posToVal(u.select.left + u.select.width, 'x');
                rangeRef.current?.(Math.floor(from * 1000), Math.ceil(to * 1000));
              },
            ],
            draw: [
              (u) => {
                const ctx = u.ctx;
                ctx.save();
                ctx.strokeStyle = '#dc2626';
                ctx.fillStyle = '#dc2626';
                ctx.font = `${11 * devicePixelRatio}px system-ui`;
                for (const m of markers) {
                  const x = u.valToPos(m.timeS, 'x', true);
                  if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                  ctx.beginPath();
                  ctx.moveTo(x, u.bbox.top);
                  ctx.lineTo(x, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                  ctx.fillText(m.label, x + 3, u.bbox.top + 12 * devicePixelRatio);
                }
                ctx.restore();
              },
            ],
          },
        },
        alignSeries(series) as uPlot.AlignedData,
        box.current,
      );
    })();
    return () => {
      cancelled = true;
    };
  }, [series, markers, height]);
  useEffect(() => () => plot.current?.destroy(), []);
  return <div ref={box} class="chart" role="img" aria-label={`Chart of ${series.map((s) => s.label).join(', ')}`} />;
}
