/**
 * The store's coalescing (services/store/src/domain/coalesce.ts) alone, on one core: polls of N premium-EV
 * vehicle-seconds (67,000 samples each over 8,400 signals, one batch per vehicle, frame times to the µs) → latest rows
 * and history at the store's resolution. Prints ns per sample for latest values alone and with history.
 *
 *   npx tsx bench/coalesce.ts [--vehicles 10] [--polls 10] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { coalesce, type DecodedBatch } from '@telltale/store';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '10' },
    polls: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
});
const VEHICLES = Number(values.vehicles);
const SAMPLES = 67_000; // one premium EV-second
const SIGNALS = 8400;
const BASE = 1_765_000_000_000;

function poll(second: number): DecodedBatch[] {
  return Array.from({ length: VEHICLES }, (_, v) => {
    const signalId = new Uint32Array(SAMPLES);
    const value = new Float64Array(SAMPLES);
    const timeOffsetMs = new Uint32Array(SAMPLES);
    const timeSubMsUs = new Uint32Array(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) {
      signalId[i] = (i * 7919) % SIGNALS; // signals interleaved, as frames of many messages are
      timeOffsetMs[i] = Math.floor((i / SAMPLES) * 1000);
      timeSubMsUs[i] = (i * 13) % 1000;
      value[i] = (i % 977) / 7;
    }
    const baseTimeMsEpoch = BASE + second * 1000 + 337; // batches are not aligned to the history buckets
    return {
      vin: `LRW3E7FS1RC${String(v).padStart(6, '0')}`,
      modelId: 'aurora-ev-2026',
      catalogVersion: 'v1',
      baseTimeMsEpoch,
      receiveTimeMs: baseTimeMsEpoch + 1100,
      signalId,
      value,
      timeOffsetMs,
      timeSubMsUs,
    };
  });
}

const polls = Array.from({ length: Number(values.polls) }, (_, s) => poll(s));
const cases = [
  { name: 'latest values only', historyResolutionMs: 1000, historyFromMs: Infinity },
  { name: 'latest + history at 1 s', historyResolutionMs: 1000, historyFromMs: 0 },
] as const;
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const c of cases) {
    let samples = 0;
    const started = process.cpuUsage();
    for (const batches of polls) {
      samples += coalesce(batches, { nowMs: BASE + 3_600_000, maxFutureMs: 300_000, ...c }).samples;
    }
    const cpu = process.cpuUsage(started);
    const ns = ((cpu.user + cpu.system) * 1000) / samples;
    console.log(`round ${round}: ${c.name}: ${ns.toFixed(0)} ns CPU per sample (${samples.toLocaleString('en')})`);
  }
}
console.log(
  `command: npx tsx bench/coalesce.ts --vehicles ${VEHICLES} --polls ${values.polls} --rounds ${values.rounds}`,
);
