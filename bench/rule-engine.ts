/**
 * Micro benchmark of the rule engine: V vehicles of the Aurora model, the example rules plus two window rules, one
 * batch per vehicle per second shaped like the decoder's output (rule signals at their cycle rates among many signals
 * no rule reads), then the silence timers. Prints its figures and the command that reproduces them.
 *
 *   npx tsx bench/rule-engine.ts [vehicles=2000] [seconds=30]
 *   MEASURE_RULES=1 npx tsx bench/rule-engine.ts …     (with per-rule timing, as the diagnostics service runs it)
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_CATALOG_DIR, loadCatalog } from '@telltale/catalog';
import { compileRules, RuleEngine } from '@telltale/rules';

const vehicles = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 30);
const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '../services/diagnostics/rules/examples');
const catalog = await loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
const definitions: unknown[] = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(examplesDir, f), 'utf8')) as unknown);
definitions.push(
  { id: 'bench.discharge-avg', version: 1, condition: 'avg(packCurrent, 30s) > 400', for: '5s' },
  { id: 'bench.speed-rate', version: 1, condition: 'abs(rate(vehicleSpeed, 2s)) > 40', severity: 'info' },
);
const { snapshot, problems } = compileRules(definitions, [catalog]);
if (problems.length > 0) throw new Error(JSON.stringify(problems));
const measureRules = process.env.MEASURE_RULES === '1';
const engine = new RuleEngine({ measureRules });
engine.setRules(snapshot);

const id = (name: string): number =>
  (catalog.aliases.get(name) ?? [...catalog.byQualifiedName.values()].find((s) => s.name === name))!.id;
// [signal, samples per 1 s batch]
const streams: [number, number][] = [
  [id('vehicleSpeed'), 100],
  [id('packCurrent'), 100],
  [id('cellVoltageMax'), 10],
  [id('cellVoltageMin'), 10],
  [id('cellTemperatureMax'), 10],
  [id('tyrePressureFrontLeft'), 1],
  [id('BMS_DtcConfirmed'), 1],
  [id('BMS_DtcWarningLamp'), 1],
  [id('BMS_DtcCode'), 1],
  [id('BMS_DtcOccurrences'), 1],
];
// Signals no rule reads: ids 0..1999 that are not rule signals, 1 sample each.
const ruleIds = new Set(streams.map(([s]) => s));
for (let s = 0, n = 0; n < 2000 && s < catalog.signals.length; s++) {
  if (catalog.signals[s] !== undefined && !ruleIds.has(s)) {
    streams.push([s, 1]);
    n++;
  }
}
const perBatch = streams.reduce((sum, [, n]) => sum + n, 0);
const signalIds = new Uint32Array(perBatch);
const timesMs = new Uint32Array(perBatch);
const values = new Float64Array(perBatch);
{
  let k = 0;
  for (const [signal, n] of streams) {
    for (let j = 0; j < n; j++, k++) {
      signalIds[k] = signal;
      timesMs[k] = Math.floor((j * 1000) / n);
    }
  }
}

const base = 1_700_000_000_000;
let transitions = 0;
let samples = 0;
let advanceMs = 0;
const started = performance.now();
const cpuStart = process.cpuUsage();
for (let s = 0; s < seconds; s++) {
  for (let v = 0; v < vehicles; v++) {
    let k = 0;
    for (const [signal, n] of streams) {
      for (let j = 0; j < n; j++, k++) {
        const t = s + j / n;
        values[k] =
          signal === streams[0]![0]
            ? 60 + 20 * Math.sin(t + v)
            : signal === streams[1]![0]
              ? 100 + 50 * Math.sin(t / 3 + v)
              : signal === streams[2]![0]
                ? 3.95
                : signal === streams[3]![0]
                  ? 3.93
                  : signal === streams[4]![0]
                    ? 35
                    : signal === streams[5]![0]
                      ? 240
                      : 0;
      }
    }
    const result = engine.ingest({
      vin: `BENCH${v}`,
      modelId: catalog.modelId,
      fleetId: 'bench',
      catalogVersion: catalog.catalogVersion,
      signalIds,
      values,
      timesMs,
      baseTimeMs: base + s * 1000,
      arrivalTimeMs: base + s * 1000 + 1200,
    });
    transitions += result.transitions.length;
    samples += perBatch;
  }
  const a = performance.now();
  transitions += engine.advance(base + s * 1000 + 2000).length;
  advanceMs += performance.now() - a;
}
const elapsedS = (performance.now() - started) / 1000;
const cpuUsed = process.cpuUsage(cpuStart);
const cpuS = (cpuUsed.user + cpuUsed.system) / 1e6;
const ruleCount = snapshot.models.get(catalog.modelId)!.rules.length;
const batches = vehicles * seconds;
console.log(
  `rule engine: ${vehicles} vehicles × ${seconds} s, ${ruleCount} rules, ` +
    `${perBatch} samples per batch (${perBatch - 2000} read by rules)${measureRules ? ', per-rule timing on' : ''}`,
);
console.log(
  `  ${(samples / elapsedS / 1e6).toFixed(2)} M samples/s, ${(batches / elapsedS / 1000).toFixed(1)} k batches/s, ` +
    `${(((elapsedS * 1000) / batches) * 1000).toFixed(1)} µs per batch (wall); ` +
    `${(samples / cpuS / 1e6).toFixed(2)} M samples per CPU-second (${cpuS.toFixed(2)} CPU s)`,
);
console.log(
  `  advance(): ${(advanceMs / seconds).toFixed(2)} ms per call over ${vehicles} vehicles; ${transitions} transitions`,
);
if (measureRules) {
  const timings = engine.drainRuleTimings();
  const evaluations = timings.reduce((sum, t) => sum + t.evaluations, 0);
  console.log(`  ${evaluations} rule evaluations measured across ${timings.length} rules`);
}
console.log(`  load: ${execSync('uptime').toString().trim()}`);
console.log(
  `  reproduce: ${measureRules ? 'MEASURE_RULES=1 ' : ''}npx tsx bench/rule-engine.ts ${vehicles} ${seconds}`,
);
