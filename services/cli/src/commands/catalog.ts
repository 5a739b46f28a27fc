import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  assignSignalIds,
  catalogKeys,
  catalogStats,
  formatCatalogDiagnostic,
  formatCatalogStats,
  formatSignalIds,
  lintCatalog,
  loadCatalogSources,
  readCatalog,
  SIGNAL_IDS_FILE,
  type CatalogDiagnostic,
} from '@telltale/catalog';
import { CliUsageError, type Command } from '../command.js';
import { parseCommandArgs, readInputFile } from './dbc.js';
import { catalogNewUsage, runCatalogNew } from './catalog-new.js';

function modelDirArgument<T extends Parameters<typeof parseCommandArgs>[1]>(args: readonly string[], options: T) {
  const { values, positionals } = parseCommandArgs(args, options);
  const [dir, extra] = positionals;
  if (dir === undefined) throw new CliUsageError('a model directory is required');
  if (extra !== undefined) throw new CliUsageError(`unexpected argument "${extra}"`);
  return { dir, values };
}

const summary = (diagnostics: readonly CatalogDiagnostic[]): string => {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
};

const lintUsage = `Usage: telltale catalog lint <model dir> [--previous <signal-ids.json>]

Validates a vehicle model directory (manifest.json, its DBC files, signal-ids.json): manifest schema, DBC
diagnostics, duplicate frame ids and signal names, FD frames on classic buses, missing cycle times, aliases and
overrides that name no signal, and signal ids (missing, colliding, retired). With --previous, also checks id
stability against an earlier version's signal-ids.json (no id changed, none dropped).
Prints one line per finding, then a summary; exit status 1 when there are errors.`;

const statsUsage = `Usage: telltale catalog stats <model dir> [--json]

Prints the size of a vehicle model's catalog: buses, messages, signals, multiplexed and CAN FD messages, and a
table per bus. Exit status 1 (with the errors) when the catalog does not load.`;

const assignUsage = `Usage: telltale catalog assign-ids <model dir>

Extends the model's signal-ids.json for its current DBC files: existing signals keep their ids, new signals get
ids after the highest ever assigned, removed signals are retired (their ids stay reserved). Generated models do
this themselves (npx tsx signal-catalog/generator/generate.ts); use it for hand-maintained DBCs.`;

export const catalogCommands: readonly Command[] = [
  {
    path: ['catalog', 'lint'],
    summary: 'Validate a vehicle model directory (manifest, DBCs, signal ids)',
    usage: lintUsage,
    run: async (args, io) => {
      const { dir, values } = modelDirArgument(args, { previous: { type: 'string' } });
      const sources = await loadCatalogSources(path.resolve(io.cwd, dir));
      const previous =
        values.previous === undefined ? undefined : new TextDecoder().decode(readInputFile(io, values.previous));
      const result = lintCatalog(sources, previous === undefined ? {} : { previousSignalIds: previous });
      for (const diagnostic of result.diagnostics) io.stdout.write(`${formatCatalogDiagnostic(diagnostic, dir)}\n`);
      const counts = result.catalog ? `, ${result.catalog.signalCount} signals` : '';
      io.stdout.write(`${dir}: ${summary(result.diagnostics)}${counts}\n`);
      return result.errorCount > 0 ? 1 : 0;
    },
  },
  {
    path: ['catalog', 'stats'],
    summary: 'Print the size of a vehicle model catalog (messages, signals, buses)',
    usage: statsUsage,
    run: async (args, io) => {
      const { dir, values } = modelDirArgument(args, { json: { type: 'boolean' } });
      const reading = readCatalog(await loadCatalogSources(path.resolve(io.cwd, dir)));
      if (!reading.catalog) {
        for (const d of reading.diagnostics.filter((x) => x.severity === 'error')) {
          io.stderr.write(`${formatCatalogDiagnostic(d, dir)}\n`);
        }
        io.stderr.write(
          `${dir}: the catalog does not load (${summary(reading.diagnostics)}); see telltale catalog lint\n`,
        );
        return 1;
      }
      const stats = catalogStats(reading.catalog);
      io.stdout.write(values.json ? `${JSON.stringify(stats, null, 2)}\n` : formatCatalogStats(stats));
      return 0;
    },
  },
  {
    path: ['catalog', 'assign-ids'],
    summary: 'Give new signals of a model stable ids in its signal-ids.json',
    usage: assignUsage,
    run: async (args, io) => {
      const { dir } = modelDirArgument(args, {});
      const modelDir = path.resolve(io.cwd, dir);
      const reading = readCatalog(await loadCatalogSources(modelDir));
      // Id findings are what this command repairs; anything else must be fixed first.
      const blocking = reading.diagnostics.filter(
        (d) =>
          d.severity === 'error' &&
          !(d.code.startsWith('CATALOG_SIGNAL_ID') && d.code !== 'CATALOG_SIGNAL_IDS_INVALID'),
      );
      if (!reading.manifest || blocking.length > 0 || reading.buses.length !== reading.manifest.buses.length) {
        for (const d of blocking) io.stderr.write(`${formatCatalogDiagnostic(d, dir)}\n`);
        io.stderr.write(`${dir}: fix these errors before assigning ids\n`);
        return 1;
      }
      const before = reading.signalIds;
      const assigned = assignSignalIds(before, catalogKeys(reading.buses), reading.manifest);
      await writeFile(path.join(modelDir, SIGNAL_IDS_FILE), formatSignalIds(assigned));
      const added = assigned.ids.size - (before?.ids.size ?? 0);
      const retired = [...assigned.retired.keys()].filter((key) => !before?.retired.has(key)).length;
      io.stdout.write(
        `${dir}/${SIGNAL_IDS_FILE}: ${added} new ids, ${retired} newly retired, ${assigned.ids.size} in total\n`,
      );
      return 0;
    },
  },
  {
    path: ['catalog', 'new'],
    summary: 'Create a vehicle model directory from a DBC (manifest, signal ids, lint, next steps)',
    usage: catalogNewUsage,
    run: runCatalogNew,
  },
];
