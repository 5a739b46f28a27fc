import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TelltaleError, createLogger, env, loadConfig } from '@telltale/platform';
import { createPgPool, migrate, postgresConfig } from '@telltale/platform/db';
import { BUNDLED_CATALOG_DIR, CatalogLibrary, type Catalog, type CatalogSignal } from '@telltale/catalog';
import { PgRegistry, type VehicleRecord } from '@telltale/registry';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { useFixedOpsPort } from '../lib/ops-port.js';

const exportUsage = `Usage: telltale history export (--vin VIN ... | --fleet ID) --from TIME [--to TIME]
                              [--signals NAMES] [--format parquet|csv] --out FILE

Exports archived samples (the Parquet archive written by \`telltale archive\`, read through its manifest with
DuckDB) to one file sorted by vin, event time and signal. Columns: vin, model_id, signal (bus/message/signal),
signal_id, event_time (UTC timestamp), event_time_ms, value, catalog_version, device_seq. Vehicles and their models
come from the registry; signal names are resolved in each model's catalog (qualified bus/message/signal, manifest
alias, message/signal, or a signal name that is unique in the model). Progress goes to stderr.

Options:
  --vin VIN          a vehicle (repeat or comma-separate for several)
  --fleet ID         every vehicle of a fleet
  --from TIME        start of the event-time range, inclusive (ISO 8601, e.g. 2026-05-04T10:00Z, or ms since epoch)
  --to TIME          end of the range, exclusive (default: now)
  --signals NAMES    comma-separated signal names (repeatable; default: every signal)
  --format F         parquet (default) or csv
  --out FILE         output file (required)

Environment: ARCHIVE_DIR (./var/archive), CATALOG_DIR (the bundled signal-catalog/), DATABASE_URL, DATABASE_SCHEMA.`;

const ExportConfig = {
  ...postgresConfig,
  archiveDir: env.string('ARCHIVE_DIR', { description: 'root of the Parquet archive', default: './var/archive' }),
  catalogDir: env.string('CATALOG_DIR', { description: 'vehicle model catalogs', default: BUNDLED_CATALOG_DIR }),
} as const;

export function parseTime(value: string, name: string): number {
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  if (!Number.isFinite(ms))
    throw new CliUsageError(`${name} must be an ISO 8601 time or ms since the epoch, got "${value}"`);
  return ms;
}

export function splitList(values: readonly string[] | undefined): string[] {
  return [
    ...new Set(
      (values ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/** A signal name as people type it, in one model's catalog; ambiguous or unknown names fail with candidates. */
export function resolveSignal(catalog: Catalog, name: string): CatalogSignal {
  const direct = catalog.byQualifiedName.get(name) ?? catalog.aliases.get(name);
  if (direct) return direct;
  const matches = [...catalog.byQualifiedName.values()].filter(
    (s) => s.name === name || `${s.message}/${s.name}` === name,
  );
  if (matches.length === 1) return matches[0]!;
  const detail =
    matches.length > 1
      ? `is ambiguous in ${catalog.modelId}: ${matches
          .map((s) => s.qualifiedName)
          .sort()
          .join(', ')}`
      : `is not a signal of ${catalog.modelId}`;
  throw new TelltaleError('SIGNAL_NAME_UNRESOLVED', `Signal "${name}" ${detail}.`, {
    details: { name, modelId: catalog.modelId },
  });
}

async function runExport(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        vin: { type: 'string', multiple: true },
        fleet: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        signals: { type: 'string', multiple: true },
        format: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  const vins = splitList(v.vin);
  if ((vins.length === 0) === (v.fleet === undefined)) throw new CliUsageError('give either --vin or --fleet');
  if (v.from === undefined) throw new CliUsageError('--from is required');
  if (v.out === undefined) throw new CliUsageError('--out is required');
  const format = v.format ?? 'parquet';
  if (format !== 'parquet' && format !== 'csv') throw new CliUsageError(`--format must be parquet or csv`);
  const fromMs = parseTime(v.from, '--from');
  const toMs = v.to === undefined ? Date.now() : parseTime(v.to, '--to');
  if (toMs <= fromMs) throw new CliUsageError('--to must be after --from');
  const names = splitList(v.signals);

  const config = loadConfig(ExportConfig, io.env);
  const log = createLogger({ service: 'cli', level: 'warn', destination: 2 });
  const pool = createPgPool({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    max: 2,
    applicationName: 'telltale-cli',
  });
  const { exportHistory, openDuckDb, PgManifest } = await import('@telltale/archive');
  const duckdb = await openDuckDb({ threads: 2 });
  const db = await duckdb.connect();
  try {
    await migrate(pool, { schema: config.databaseSchema });
    const registry = new PgRegistry(pool);
    let vehicles: VehicleRecord[];
    if (v.fleet !== undefined) {
      vehicles = (await registry.listVehicles()).filter((r) => r.fleetId === v.fleet);
      if (vehicles.length === 0) throw new TelltaleError('FLEET_EMPTY', `Fleet "${v.fleet}" has no vehicles.`);
    } else {
      vehicles = [];
      for (const vin of vins) {
        const record = await registry.getVehicle(vin);
        if (!record) throw new TelltaleError('VEHICLE_NOT_FOUND', `Vehicle ${vin} is not in the registry.`);
        vehicles.push(record);
      }
    }
    const library = new CatalogLibrary(resolve(io.cwd, config.catalogDir), log);
    await library.scan();
    const byModel = new Map<string, VehicleRecord[]>();
    for (const r of vehicles) byModel.set(r.modelId, [...(byModel.get(r.modelId) ?? []), r]);
    const targets = [];
    for (const [modelId, records] of byModel) {
      const lookup = await library.get(modelId, records[0]!.catalogVersion);
      if (!lookup.ok) throw new TelltaleError(lookup.reason, lookup.detail);
      const catalog = lookup.catalog.catalog;
      const chosen =
        names.length === 0
          ? catalog.signals.filter((s): s is CatalogSignal => s !== undefined)
          : names.map((n) => resolveSignal(catalog, n));
      targets.push({
        modelId,
        vins: records.map((r) => r.vin),
        signals: new Map(chosen.map((s) => [s.id, s.qualifiedName])),
      });
    }
    const out = resolve(io.cwd, v.out);
    const started = Date.now();
    const result = await exportHistory(db, new PgManifest(pool), {
      archiveDir: resolve(io.cwd, config.archiveDir),
      targets,
      fromMs,
      toMs,
      format,
      out,
      progress: (p) => io.stderr.write(`history export: ${p.filesRead}/${p.files} files read, ${p.rows} rows so far\n`),
    });
    io.stderr.write(
      `history export: ${result.rows} rows from ${result.files} files to ${out} ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } finally {
    db.closeSync();
    duckdb.closeSync();
    await pool.end();
  }
}

export const archiveCommands: readonly Command[] = [
  {
    path: ['archive'],
    summary: 'Run the archive: vehicle.signals.v1 → Parquet (zstd) by model/date/hour, exactly-once file commits',
    usage: `Usage: telltale archive

Consumes vehicle.signals.v1 and writes every sample to Parquet files under ARCHIVE_DIR, hive-partitioned as
model=<id>/date=YYYY-MM-DD/hour=HH, rows sorted by vin, signal id and event time. Each flush is written to a temporary
file, fsynced, renamed, recorded in PostgreSQL (archive_segments, archive_files) and only then are the Kafka offsets
committed, so a crash at any point leaves no duplicate and no gap. Hours are compacted into one file after
ARCHIVE_COMPACT_AFTER_MS; days past ARCHIVE_RETENTION_DAYS are dropped. Undecodable records go to
vehicle.signals.dlq.v1. Configuration: services/archive/README.md.`,
    run: async (args) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const { runArchive } = await import('@telltale/archive');
      useFixedOpsPort('archive');
      await runArchive();
      return new Promise<number>(() => undefined);
    },
  },
  {
    path: ['history', 'export'],
    summary: 'Export archived signal history of vehicles or a fleet to Parquet or CSV (through DuckDB)',
    usage: exportUsage,
    run: runExport,
  },
];
