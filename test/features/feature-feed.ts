/** Shared by the features tests: a small feature set, a deterministic signal feed and the expected windows. */
import type { KafkaMessage } from 'kafkajs';
import type { Catalog } from '@telltale/catalog';
import { FeatureVector } from '@telltale/platform/proto';
import { compileFeatureSet, parseFeatureSet, VehicleWindows, type FeatureSetDefinition } from '@telltale/feature-sets';
import { header } from '../helpers.js';
import { MODEL, type FeedBatch } from '../diagnostics/signal-feed.js';

export const FEATURE_SET: FeatureSetDefinition = {
  id: 'test-health',
  models: [MODEL.modelId],
  window: '10s',
  hop: '5s',
  allowedLateness: '2s',
  features: [
    { name: 'spread_avg', expression: 'cellVoltageMax - cellVoltageMin', aggregate: 'avg' },
    { name: 'temp_max', expression: 'cellTemperatureMax', aggregate: 'max' },
    { name: 'temp_rate', expression: 'cellTemperatureMax', aggregate: 'rate' },
    { name: 'speed_std', expression: 'vehicleSpeed', aggregate: 'std' },
    { name: 'hot_s', expression: 'cellTemperatureMax', aggregate: 'time-above', threshold: 45 },
    // Its own window: panes, checkpointed with the rest of the window state.
    { name: 'temp_rate_30s', expression: 'cellTemperatureMax', aggregate: 'rate', window: '30s' },
  ],
};

/** One batch per second per vehicle, 5 samples of each of four signals. */
export function featureBatch(vin: string, second: number, baseMs: number, arrivalTimeMs: number): FeedBatch {
  const wobble = vin.endsWith('1') ? 0 : 0.5;
  const samples = Array.from({ length: 5 }, (_, i) => {
    const t = second + i / 5;
    return [
      { alias: 'cellVoltageMax', value: 4.1 + 0.001 * (second % 7), offsetMs: i * 200 },
      { alias: 'cellVoltageMin', value: 4.05 - 0.0005 * t, offsetMs: i * 200 },
      { alias: 'cellTemperatureMax', value: 30 + wobble + 20 * Math.sin(t / 15), offsetMs: i * 200 },
      { alias: 'vehicleSpeed', value: 60 + 10 * Math.cos(t / 3), offsetMs: i * 200 + 100 },
    ];
  }).flat();
  return { vin, seq: second + 1, baseTimeMs: baseMs + second * 1000, samples, arrivalTimeMs };
}

export interface ExpectedWindow {
  readonly key: string;
  readonly values: number[];
  readonly sampleCount: number;
}

/** What one uninterrupted VehicleWindows per vehicle makes of the batches, keyed like the window id header. */
export function expectedWindows(catalog: Catalog, batches: readonly FeedBatch[]): Map<string, ExpectedWindow> {
  const parsed = parseFeatureSet(FEATURE_SET);
  if (!parsed.ok) throw new Error('feature set');
  const set = compileFeatureSet(parsed.set, () => catalog).sets.get(MODEL.modelId)!;
  const windows = new Map<string, VehicleWindows>();
  const out = new Map<string, ExpectedWindow>();
  for (const b of batches) {
    let w = windows.get(b.vin);
    if (w === undefined) windows.set(b.vin, (w = new VehicleWindows(b.vin, set)));
    const outcome = w.ingest(
      b.samples.map((s) => catalog.aliases.get(s.alias)!.id),
      b.samples.map((s) => s.value),
      b.samples.map((s) => b.baseTimeMs + (s.offsetMs ?? 0)),
    );
    for (const c of outcome.closed) {
      const key = `${c.vin}:${c.setId}:${c.setVersion}:${c.windowStartMs}`;
      out.set(key, { key, values: Array.from(c.values), sampleCount: c.sampleCount });
    }
  }
  return out;
}

export function decodeVectors(messages: readonly KafkaMessage[]): { key: string; vector: FeatureVector }[] {
  return messages.map((m) => ({
    key: header(m, 'telltale-window-id') ?? '',
    vector: FeatureVector.decode(m.value!),
  }));
}
