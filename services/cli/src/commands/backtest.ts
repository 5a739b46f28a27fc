import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TelltaleError, createLogger, env, isTelltaleError, loadConfig } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig } from '@telltale/platform/db';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { PgRegistry, type VehicleRecord } from '@telltale/registry';
import { formatRuleProblem, parseDuration, type JsonObject } from '@telltale/rules';
import { PgRuleStore } from '@telltale/rules/pg';
import {
  DEFAULT_FLAP_WINDOW_MS,
  compileBacktestRule,
  openArchiveReader,
  runBacktest,
  transitionView,
  type BacktestProgress,
  type BacktestResult,
} from '@telltale/backtest';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { readInputFile } from '../lib/files.js';
import { parseTime, splitList } from './archive.js';

const usage = `Usage: telltale rules backtest <rule.json | rule id> --from TIME [--to TIME]
                              [--fleet ID | --vins VIN,...] [--version N] [--flap-window 5m]
                              [--out FILE] [--json]

Replays the archived history (the Parquet archive of \`telltale archive\`, read through its manifest) of the chosen
vehicles over [--from, --to) in event time through the rule engine diagnostics runs live, and reports what the rule
would have done: the transitions with their evidence (the same deterministic alert ids live diagnostics gives),
per-vehicle counts, flapping (a raise cleared again within --flap-window), time to first alert, and the difference
to the transitions live diagnostics recorded for this rule id in the range. Only the signals the rule reads are read.

The rule is a JSON file (a draft, not saved) or the id of a saved rule (its current version, or --version N). It is
compiled against the newest catalog of each vehicle model (CATALOG_DIR) and replayed as enabled. Vehicles come
from the registry: a fleet, a list of VINs, or (neither) every vehicle. Progress goes to stderr; Ctrl-C cancels.
Exit code 1 when the rule has an error.

Options:
  --from TIME        start of the event-time range, inclusive (ISO 8601 or ms since epoch)
  --to TIME          end of the range, exclusive (default: now)
  --fleet ID         the vehicles of one fleet
  --vins VINS        comma-separated VINs (repeatable)
  --version N        a saved rule's version (default: current)
  --flap-window D    a raise and its clear within D count as a flap (default 5m)
  --out FILE         write every transition as JSON lines (with evidence) to FILE
  --json             print the whole result (summary and transitions) as JSON instead of the text summary

Environment: ARCHIVE_DIR (./var/archive), CATALOG_DIR, DATABASE_URL, DATABASE_SCHEMA.`;

const BacktestConfig = {
  ...postgresConfig,
  archiveDir: env.string('ARCHIVE_DIR', { description: 'root of the Parquet archive', default: './var/archive' }),
  catalogDir: env.string('CATALOG_DIR', { description: 'vehicle model catalogs', default: BUNDLED_CATALOG_DIR }),
} as const;

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

function progressLine(p: BacktestProgress): string {
  const done = p.archivedRows === 0 ? 100 : Math.floor((100 * p.scannedRows) / p.archivedRows);
  return (
    `backtest: ${done}% (${p.hoursRead}/${p.hourGroups} hour files read), ` +
    `${p.samples.toLocaleString('en')} samples, ${p.transitions} transitions, at ${iso(p.reachedMs)}`
  );
}

function textSummary(result: BacktestResult, ruleId: string, version: number, fromMs: number, toMs: number): string {
  const s = result.summary;
  const lines = [
    `rule ${ruleId} v${version}, ${iso(fromMs)} → ${iso(toMs)}: ${s.samples.toLocaleString('en')} samples from ` +
      `${result.files} files in ${seconds(result.elapsedMs)}`,
    `transitions: ${s.transitions} (raised ${s.byState.raised}, escalated ${s.byState.escalated}, ` +
      `de-escalated ${s.byState.deescalated}, cleared ${s.byState.cleared}); ` +
      `${s.vehiclesWithAlerts} of ${s.vehicles.length} vehicles alerted`,
    `flapping (cleared within ${seconds(s.flapping.windowMs)}): ${s.flapping.count}`,
  ];
  if (s.timeToFirstAlert !== null) {
    const t = s.timeToFirstAlert;
    lines.push(
      `time to first alert: min ${seconds(t.minMs)}, median ${seconds(t.medianMs)}, max ${seconds(t.maxMs)} ` +
        `(${t.vehicles} vehicles)`,
    );
  }
  if (s.diff !== null) {
    const d = s.diff;
    lines.push(
      `vs live (${d.live} recorded): ${d.matched} same, ${d.changed.count} changed, ` +
        `${d.onlyBacktest.count} only in the backtest, ${d.onlyLive.count} only live`,
    );
  }
  lines.push('', 'vin                 samples  raised  flaps  first alert');
  for (const v of s.vehicles.slice(0, 20)) {
    lines.push(
      `${v.vin.padEnd(18)} ${String(v.samples).padStart(8)} ${String(v.raised).padStart(7)} ` +
        `${String(v.flaps).padStart(6)}  ${iso(v.firstAlertMs)}`,
    );
  }
  if (s.vehicles.length > 20) lines.push(`… ${s.vehicles.length - 20} more vehicles (--json lists all)`);
  const shown = result.transitions.slice(0, 20);
  if (shown.length > 0) lines.push('', 'transitions (first 20; --out writes all):');
  for (const t of shown) {
    const evidence = t.evidence.map((e) => `${e.signal}=${e.value ?? '?'}`).join(' ');
    lines.push(
      `  ${iso(t.eventTimeMs)} ${t.vin} ${t.state} ${t.severity}${t.timer ? ' (timer)' : ''} ${t.alertId}  ${evidence}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function runRulesBacktest(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        fleet: { type: 'string' },
        vins: { type: 'string', multiple: true },
        version: { type: 'string' },
        'flap-window': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new CliUsageError('name one rule: a JSON file or a saved rule id');
  const ruleArg = parsed.positionals[0]!;
  if (v.from === undefined) throw new CliUsageError('--from is required');
  const fromMs = parseTime(v.from, '--from');
  const toMs = v.to === undefined ? Date.now() : parseTime(v.to, '--to');
  if (toMs <= fromMs) throw new CliUsageError('--to must be after --from');
  const vins = splitList(v.vins);
  if (vins.length > 0 && v.fleet !== undefined) throw new CliUsageError('give --fleet or --vins, not both');
  const flapWindowMs = v['flap-window'] === undefined ? DEFAULT_FLAP_WINDOW_MS : parseDuration(v['flap-window']);
  if (flapWindowMs === undefined) throw new CliUsageError(`--flap-window must be a duration like 5m`);
  const version = v.version === undefined ? undefined : Number(v.version);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1))
    throw new CliUsageError('--version must be a whole number ≥ 1');

  const config = loadConfig(BacktestConfig, io.env);
  const log = createLogger({ service: 'cli', level: 'warn', destination: 2 });
  const pool = createPgPool({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    max: 2,
    applicationName: 'telltale-cli',
  });
  const reader = await openArchiveReader({ threads: 1 });
  const db = reader.db;
  const controller = new AbortController();
  const cancel = (): void => controller.abort(new TelltaleError('BACKTEST_CANCELLED', 'Backtest cancelled.'));
  process.once('SIGINT', cancel);
  try {
    await migrate(pool, { schema: config.databaseSchema });
    // The rule: a draft from a file, or a saved version.
    let definition: JsonObject;
    const isFile = ruleArg.endsWith('.json') || existsSync(resolve(io.cwd, ruleArg));
    if (isFile) {
      if (version !== undefined) throw new CliUsageError('--version applies to a saved rule id, not a file');
      try {
        definition = JSON.parse(readInputFile(io, ruleArg).toString('utf8')) as JsonObject;
      } catch (error) {
        if (isTelltaleError(error)) throw error;
        throw new CliUsageError(`${ruleArg}: not JSON (${(error as Error).message})`);
      }
    } else {
      definition = (await new PgRuleStore(pool).get(ruleArg, version)).definition;
    }
    const library = new CatalogLibrary(resolve(io.cwd, config.catalogDir), log);
    const catalogs = (await library.latestPerModel()).map((c) => c.catalog);
    const compiled = compileBacktestRule(definition, catalogs);
    for (const problem of compiled.problems) io.stderr.write(`${formatRuleProblem(problem)}\n`);
    if (!compiled.ok) {
      io.stderr.write('Nothing replayed: fix the errors above.\n');
      return 1;
    }
    const rule = compiled.snapshot.rules[0]!;

    const registry = new PgRegistry(pool);
    let vehicles: VehicleRecord[];
    if (vins.length > 0) {
      vehicles = [];
      for (const vin of vins) {
        const record = await registry.getVehicle(vin);
        if (!record) throw new TelltaleError('VEHICLE_NOT_FOUND', `Vehicle ${vin} is not in the registry.`);
        vehicles.push(record);
      }
    } else {
      vehicles = (await registry.listVehicles()).filter((r) => v.fleet === undefined || r.fleetId === v.fleet);
      if (vehicles.length === 0)
        throw new TelltaleError('FLEET_EMPTY', v.fleet ? `Fleet "${v.fleet}" has no vehicles.` : 'No vehicles.');
    }

    let last = 0;
    const result = await runBacktest({
      db,
      pool,
      archiveDir: resolve(io.cwd, config.archiveDir),
      snapshot: compiled.snapshot,
      ruleId: rule.id,
      vehicles: vehicles.map((r) => ({
        vin: r.vin,
        modelId: r.modelId,
        fleetId: r.fleetId,
        catalogVersion: r.catalogVersion,
      })),
      fromMs,
      toMs,
      flapWindowMs,
      signal: controller.signal,
      progress: (p) => {
        const now = Date.now();
        if (now - last < 500 && p.hoursRead < p.hourGroups) return;
        last = now;
        io.stderr.write(`${progressLine(p)}\n`);
      },
    });
    if (v.out !== undefined) {
      const out = resolve(io.cwd, v.out);
      writeFileSync(out, result.transitions.map((t) => JSON.stringify(transitionView(t))).join('\n') + '\n');
      io.stderr.write(`backtest: ${result.transitions.length} transitions written to ${out}\n`);
    }
    if (v.json) {
      io.stdout.write(
        `${JSON.stringify({
          ruleId: rule.id,
          ruleVersion: rule.version,
          fromMs,
          toMs,
          files: result.files,
          elapsedMs: Math.round(result.elapsedMs),
          summary: result.summary,
          transitions: result.transitions.map(transitionView),
        })}\n`,
      );
    } else io.stdout.write(textSummary(result, rule.id, rule.version, fromMs, toMs));
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      io.stderr.write('backtest: cancelled\n');
      return 130;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', cancel);
    reader.close();
    await pool.end();
  }
}

export const backtestCommands: readonly Command[] = [
  {
    path: ['rules', 'backtest'],
    summary: 'Replay archived history through a rule (draft file or saved id): transitions, flapping, diff vs live',
    usage,
    run: runRulesBacktest,
  },
];
