/**
 * A line chart as inline SVG: no script, no stylesheet from elsewhere, so the report is one file that opens
 * anywhere. Linear axes from zero, "nice" ticks, one colour per series, an optional dashed limit line.
 */
export interface Series {
  readonly name: string;
  /** [x, y]; a null y leaves a gap. */
  readonly points: readonly (readonly [number, number | null])[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** A horizontal limit (the latency budget), drawn dashed and named. */
  readonly limit?: { readonly y: number; readonly label: string };
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

const W = 640;
const H = 300;
const M = { left: 70, right: 16, top: 30, bottom: 44 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Tick step of 1, 2 or 5 × 10^n giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / magnitude;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude;
}

export function formatNumber(n: number): string {
  if (n !== 0 && Math.abs(n) >= 1e6) return `${+(n / 1e6).toFixed(2)} M`;
  if (n !== 0 && Math.abs(n) >= 1e4) return `${+(n / 1e3).toFixed(1)} k`;
  return `${+n.toFixed(n < 10 && n !== Math.round(n) ? 2 : 0)}`;
}

export function renderLineChart(chart: LineChart): string {
  const ys = chart.series.flatMap((s) => s.points.map(([, y]) => y).filter((y): y is number => y !== null));
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
  const yTop = Math.max(1e-9, ...ys, chart.limit?.y ?? 0) * 1.08;
  let xMin = xs.length === 0 ? 0 : Math.min(...xs);
  let xMax = xs.length === 0 ? 1 : Math.max(...xs);
  if (xMax - xMin < 1e-9) {
    xMin -= 1; // one step only: centre it
    xMax += 1;
  }
  const yStep = niceStep(yTop);
  const integral = xs.every((x) => Number.isInteger(x));
  const xStep = integral ? Math.max(1, niceStep(xMax - xMin, 6)) : niceStep(xMax - xMin, 6);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number): number => M.left + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const py = (y: number): number => M.top + ph - (y / yTop) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" ` +
      `aria-label="${escapeXml(chart.title)}" font-family="system-ui, sans-serif" font-size="11">`,
    `<text x="${M.left}" y="18" font-size="13" font-weight="600">${escapeXml(chart.title)}</text>`,
  ];
  for (let y = 0; y <= yTop; y += yStep) {
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${M.left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${formatNumber(y)}</text>`,
    );
  }
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
    parts.push(`<text x="${px(x).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${formatNumber(x)}</text>`);
  }
  parts.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#9ca3af"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#9ca3af"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">` +
      `${escapeXml(chart.yLabel)}</text>`,
  );
  if (chart.limit) {
    const y = py(chart.limit.y).toFixed(1);
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#111827" stroke-dasharray="5 4"/>`,
      `<text x="${W - M.right - 4}" y="${Number(y) - 4}" text-anchor="end">${escapeXml(chart.limit.label)}</text>`,
    );
  }
  // Legend above the plot, flowing left to right (about 6 px per character at 11 px).
  let legendX = M.left + 8;
  let legendY = M.top + 12;
  chart.series.forEach((series, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    let d = '';
    let pen = false;
    for (const [x, y] of series.points) {
      if (y === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${px(x).toFixed(1)} ${py(y).toFixed(1)} `;
      pen = true;
    }
    if (d !== '') parts.push(`<path d="${d.trim()}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (series.points.length <= 30)
      for (const [x, y] of series.points)
        if (y !== null)
          parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    const itemWidth = 24 + series.name.length * 6;
    if (legendX + itemWidth > W - M.right && legendX > M.left + 8) {
      legendX = M.left + 8;
      legendY += 14;
    }
    const lx = legendX;
    const ly = legendY;
    legendX += itemWidth;
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${colour}"/>`,
      `<text x="${lx + 14}" y="${ly - 4}">${escapeXml(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
