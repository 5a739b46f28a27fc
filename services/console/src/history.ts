/** A signal's history as a chart series, downsampled on the server (`?points=`): the average with a min–max band. */
import type { Api } from './api.js';
import type { Series } from './chart.js';
import { bucketSeries, type HistoryBucket } from './domain/history.js';

interface HistoryJson {
  buckets: HistoryBucket[] | null;
  signal: { unit: string };
}

export async function bucketedHistory(
  api: Api,
  query: { vin: string; name: string; fromMs: number; toMs: number; points: number },
  signal: AbortSignal,
): Promise<Series> {
  const { vin, name, fromMs, toMs, points } = query;
  const h = await api.get<HistoryJson>(
    `/vehicles/${vin}/signals/${encodeURIComponent(name)}/history?from=${fromMs}&to=${toMs}&points=${points}`,
    signal,
  );
  const b = bucketSeries(h.buckets ?? []);
  return {
    label: name.split('/').at(-1) ?? name,
    unit: h.signal.unit,
    times: b.times,
    values: b.values,
    band: { mins: b.mins, maxs: b.maxs },
  };
}
