/**
 * The Prometheus text exposition format, read just far enough for the load test: sample name, labels and value
 * (comments, timestamps and exemplars ignored). Each service's /metrics carries its stage counters and, under the
 * `telltale_` prefix, prom-client's process metrics (CPU seconds, resident memory, start time).
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const value = Number(match[4]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    if (match[3]) for (const [, k, v] of match[3].matchAll(LABEL)) labels[k!] = v!.replace(/\\(.)/g, '$1');
    out.push({ name: match[1]!, labels, value });
  }
  return out;
}

/** Sum of every sample with this name whose labels include `where`; undefined when there is none. */
export function total(
  samples: readonly Sample[],
  name: string,
  where: Readonly<Record<string, string>> = {},
): number | undefined {
  let sum: number | undefined;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    sum = (sum ?? 0) + s.value;
  }
  return sum;
}
