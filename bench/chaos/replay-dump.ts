/**
 * Investigation aid (issue #18): replays a chaos run's evidence dump (logs/refdiff/, written when the live alert
 * transitions differ from the reference engine's) offline, in the log's order (the reference) and sorted by arrival
 * (the reference before the fix), against the live rows; prints the differing alerts and their vehicles' records.
 * Rules: the example rules the run applies (services/diagnostics/rules/examples).
 *
 *   npx tsx bench/chaos/replay-dump.ts <logs>/refdiff
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { decodeSignalBatch } from '@telltale/platform/proto';
import { testLogger } from '@telltale/platform/testing';
import { compileRules, type AlertTransition } from '@telltale/rules';
import { logOrder, replayTransitions } from './reference-engine.js';

const dir = process.argv[2]!;
const records = readFileSync(join(dir, 'signals.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const r = JSON.parse(l) as { arrivalMs: number; value: string; partition: number; offset: number };
    return { ...r, buf: Buffer.from(r.value, 'base64') };
  });
const live = JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8')) as Record<string, unknown>[];
const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as AlertTransition[];
const vehicles = JSON.parse(readFileSync(join(dir, 'vehicles.json'), 'utf8')) as { vin: string; fleet_id: string }[];
const fleetOf = new Map(vehicles.map((v) => [v.vin, v.fleet_id]));
const examples = join(import.meta.dirname, '../../services/diagnostics/rules/examples');
const definitions = readdirSync(examples)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(examples, f), 'utf8')) as unknown);
const catalogs = (await new CatalogLibrary(BUNDLED_CATALOG_DIR, testLogger()).latestPerModel()).map((c) => c.catalog);
const { snapshot } = compileRules(definitions, catalogs);

const key = (t: { alertId: string; transitionSeq: number; state: string }) =>
  `${t.alertId}#${t.transitionSeq}#${t.state}`;
const short = (t: AlertTransition) =>
  `${t.alertId} #${t.transitionSeq} ${t.state} ${t.severity} rule=${t.ruleId} vin=${t.vin} event=${t.eventTimeMs} ` +
  `episode=${t.episodeStartMs} timer=${t.timer} ` +
  `evidence=${JSON.stringify(t.evidence.map((e) => [e.signal, e.value, e.eventTimeMs]))}`;

const input = records.map((r) => ({ ...r, value: r.buf }));
// The reference before the fix: every record by arrival time (as one partition, in that order).
const byArrival = [...input]
  .sort((a, b) => a.arrivalMs - b.arrivalMs)
  .map((r, i) => ({ ...r, partition: 0, offset: i }));
const fixed = replayTransitions(snapshot, (v) => fleetOf.get(v), input);
const liveKeys = new Set(live.map((r) => `${String(r.alert_id)}#${String(r.transition_seq)}#${String(r.state)}`));
for (const [name, result] of [
  ['reference (dumped)', reference],
  ['arrival order (the reference before the fix)', replayTransitions(snapshot, (v) => fleetOf.get(v), byArrival)],
  ['log order (the fixed reference)', fixed],
] as const) {
  const keys = new Set(result.map(key));
  console.log(
    `${name}: ${result.length} transitions; only here vs live: ${[...keys].filter((k) => !liveKeys.has(k)).length}, ` +
      `only live: ${[...liveKeys].filter((k) => !keys.has(k)).length}`,
  );
}
const refKeys = new Set(reference.map(key));
console.log('\nlive rows not in the reference:');
for (const r of live.filter(
  (r) => !refKeys.has(`${String(r.alert_id)}#${String(r.transition_seq)}#${String(r.state)}`),
))
  console.log(JSON.stringify(r));
console.log('\nreference transitions not live:');
for (const t of reference.filter((t) => !liveKeys.has(key(t)))) console.log(short(t));

// Records of the vehicles concerned: arrival vs log order.
const vins = new Set(reference.filter((t) => !liveKeys.has(key(t))).map((t) => t.vin));
for (const r of live)
  if (!refKeys.has(`${String(r.alert_id)}#${String(r.transition_seq)}#${String(r.state)}`)) vins.add(String(r.vin));
for (const vin of vins) {
  console.log(`\nrecords of ${vin} (log order): partition/offset arrival batch base span reorder`);
  let prevArrival = 0;
  for (const r of logOrder(input)) {
    const { header, columns } = decodeSignalBatch(r.value);
    if (header.vin !== vin) continue;
    const offs = columns.timeOffsetMs;
    let lo = Infinity;
    let hi = -Infinity;
    for (const o of offs) {
      if (o < lo) lo = o;
      if (o > hi) hi = o;
    }
    const base = Number(header.baseTimeMsEpoch);
    console.log(
      `${r.partition}/${r.offset} arr=${r.arrivalMs} ${header.batchId}/${header.part ?? 0} base=${base} ` +
        `events ${base + lo}..${base + hi} n=${offs.length}` +
        (r.arrivalMs < prevArrival ? '  <-- arrived before the previous record' : ''),
    );
    prevArrival = Math.max(prevArrival, r.arrivalMs);
  }
}

// The fixed reference against the live rows, field by field (event time, episode start, evidence values).
const liveByKey = new Map(live.map((r) => [`${String(r.alert_id)}#${String(r.transition_seq)}#${String(r.state)}`, r]));
let same = 0;
for (const t of fixed) {
  const r = liveByKey.get(key(t));
  if (!r) continue;
  const ev = (r.evidence as { value: number | null; eventTimeMs: number | null }[]).map((e) => [
    e.value,
    e.eventTimeMs,
  ]);
  const equal =
    Number(r.event_time_ms) === t.eventTimeMs &&
    Number(r.episode_start_ms) === t.episodeStartMs &&
    JSON.stringify(ev) === JSON.stringify(t.evidence.map((e) => [e.value, e.eventTimeMs])) &&
    r.timer === t.timer;
  if (equal) same++;
  else console.log(`differs in detail: ${short(t)} vs ${JSON.stringify(r)}`);
}
console.log(
  `\nfixed reference vs live: ${same} of ${fixed.length} transitions equal ` +
    '(event time, episode start, evidence, timer)',
);
