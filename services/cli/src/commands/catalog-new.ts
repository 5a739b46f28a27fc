/**
 * `telltale catalog new`: a vehicle model directory from a supplier DBC in one step — manifest.json, the DBC,
 * signal-ids.json — linted, with the next steps printed.
 *
 * A DBC whose signals reach past their message's end fails the strict catalog load. Rather than refusing the whole
 * file, the offending signals are left out of the model's copy of the DBC (with their comments, value tables and
 * attributes), listed loudly, and recorded in the bus comment; the supplier's file is kept beside it unchanged.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  assignSignalIds,
  catalogKeys,
  formatCatalogDiagnostic,
  formatSignalIds,
  lintCatalog,
  loadCatalogSources,
  MANIFEST_FILE,
  readCatalog,
  SIGNAL_IDS_FILE,
} from '@telltale/catalog';
import { checkDbc, decodeDbcText, formatDiagnostic, type DbcDiagnostic } from '@telltale/dbc';
import { TelltaleError } from '@telltale/platform';
import { CliUsageError, type CliIo } from '../command.js';
import { parseCommandArgs, readInputFile } from './dbc.js';

export const catalogNewUsage = `Usage: telltale catalog new <model dir> --dbc <file.dbc> [--bus <name>] [--fd]
                            [--model-id <id>]

Creates a vehicle model directory from one DBC: copies the DBC, writes manifest.json (one bus, index 0) and
signal-ids.json (stable ids for every signal), lints it and prints the next steps. The directory must not exist or
be empty. Signals that reach past their message's end are left out of the model's copy of the DBC and listed (the
supplier's file is kept as <file>.dbc.supplier); any other DBC error creates nothing.

  --dbc FILE       the bus's DBC
  --bus NAME       bus name (default: from the DBC file name, e.g. powertrain)
  --fd             a CAN FD bus (default: classic CAN, 500 kbit/s)
  --model-id ID    model id (default: the directory's name), lowercase a-z, 0-9, -`;

const MODEL_ID = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const BUS = /^[a-z][a-z0-9_]*$/;

/** `powertrain.dbc` → powertrain; `Supplier CAN-1.dbc` → supplier_can_1. */
export function busNameOf(dbcFile: string): string {
  const base = path
    .basename(dbcFile)
    .replace(/\.dbc$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return BUS.test(base) ? base : 'can0';
}

export interface LeftOutSignal {
  readonly message: string;
  readonly signal: string;
  readonly reason: string;
}

/**
 * Removes the signals the out-of-range diagnostics point at: their SG_ lines and the CM_, VAL_ and BA_ lines naming
 * them. Returns the new text and what was removed.
 */
export function leaveOutSignals(
  text: string,
  diagnostics: readonly DbcDiagnostic[],
): { text: string; leftOut: LeftOutSignal[] } {
  const lines = text.split(/\r?\n/);
  const drop = new Set<number>();
  const leftOut: LeftOutSignal[] = [];
  const references: { id: string; signal: string }[] = [];
  for (const d of diagnostics) {
    const index = d.line - 1;
    const sg = /^\s*SG_\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(lines[index] ?? '');
    if (!sg) continue;
    let bo: RegExpExecArray | null = null;
    for (let i = index - 1; i >= 0 && !bo; i--) bo = /^\s*BO_\s+(\d+)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(lines[i]!);
    drop.add(index);
    leftOut.push({ message: bo?.[2] ?? '?', signal: sg[1]!, reason: d.message });
    if (bo) references.push({ id: bo[1]!, signal: sg[1]! });
  }
  lines.forEach((line, i) => {
    for (const { id, signal } of references) {
      const named = new RegExp(`^\\s*(CM_\\s+SG_|VAL_|BA_\\s+"[^"]*"\\s+SG_)\\s+${id}\\s+${signal}\\b`);
      if (named.test(line)) drop.add(i);
    }
  });
  return { text: lines.filter((_, i) => !drop.has(i)).join('\n'), leftOut };
}

export async function runCatalogNew(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    dbc: { type: 'string' },
    bus: { type: 'string' },
    fd: { type: 'boolean' },
    'model-id': { type: 'string' },
  });
  const [dir, extra] = positionals;
  if (dir === undefined) throw new CliUsageError('a model directory is required');
  if (extra !== undefined) throw new CliUsageError(`unexpected argument "${extra}"`);
  if (values.dbc === undefined) throw new CliUsageError('--dbc <file.dbc> is required');
  const modelDir = path.resolve(io.cwd, dir);
  const modelId = values['model-id'] ?? path.basename(modelDir).toLowerCase();
  if (!MODEL_ID.test(modelId))
    throw new CliUsageError(`model id "${modelId}" must be lowercase a-z, 0-9 and - (set one with --model-id)`);
  const bus = values.bus ?? busNameOf(values.dbc);
  if (!BUS.test(bus)) throw new CliUsageError(`--bus "${bus}" must be a lowercase name (a-z, 0-9, _)`);
  const existing = await readdir(modelDir).catch(() => [] as string[]);
  if (existing.length > 0)
    throw new TelltaleError('CATALOG_DIR_NOT_EMPTY', `${dir} already has files; choose a new or empty directory.`);

  const dbcFile = path.basename(values.dbc).replace(/[^A-Za-z0-9._-]/g, '_');
  const bytes = readInputFile(io, values.dbc);
  const { diagnostics } = checkDbc(bytes, { fileName: dbcFile, strict: true });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const outOfRange = errors.filter((d) => d.code === 'DBC_SIGNAL_OUT_OF_RANGE');
  const blocking = errors.filter((d) => d.code !== 'DBC_SIGNAL_OUT_OF_RANGE');
  if (blocking.length > 0) {
    for (const d of blocking) io.stderr.write(`${formatDiagnostic(values.dbc, d)}\n`);
    io.stderr.write(`${values.dbc}: ${blocking.length} error(s) to fix in the DBC first; nothing was created.\n`);
    return 1;
  }

  let dbcContent: string | Uint8Array = bytes;
  let leftOut: LeftOutSignal[] = [];
  if (outOfRange.length > 0) {
    const repaired = leaveOutSignals(decodeDbcText(bytes).text, outOfRange);
    const recheck = checkDbc(repaired.text, { fileName: dbcFile, strict: true }).diagnostics.filter(
      (d) => d.severity === 'error',
    );
    if (recheck.length > 0 || repaired.leftOut.length !== outOfRange.length) {
      for (const d of [...outOfRange, ...recheck]) io.stderr.write(`${formatDiagnostic(values.dbc, d)}\n`);
      io.stderr.write(`${values.dbc}: the signals above could not be left out automatically; nothing was created.\n`);
      return 1;
    }
    dbcContent = repaired.text;
    leftOut = repaired.leftOut;
  }

  const leftOutNote =
    leftOut.length === 0
      ? undefined
      : `Left out of ${dbcFile} (reach past their message's end in the supplier's DBC, kept as ${dbcFile}.supplier): ` +
        leftOut.map((s) => `${s.message}.${s.signal}`).join(', ');
  const manifest = {
    modelId,
    displayName: modelId,
    catalogVersion: '1.0.0',
    description: `Created by telltale catalog new from ${path.basename(values.dbc)}.`,
    buses: [
      {
        index: 0,
        name: bus,
        dbc: dbcFile,
        bitrate: 500000,
        fd: values.fd === true,
        ...(values.fd === true ? { dataBitrate: 2000000 } : {}),
        ...(leftOutNote ? { comment: leftOutNote } : {}),
      },
    ],
    aliases: {},
    signalOverrides: {},
  };
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, dbcFile), dbcContent);
  if (leftOut.length > 0) await writeFile(path.join(modelDir, `${dbcFile}.supplier`), bytes);
  await writeFile(path.join(modelDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

  const reading = readCatalog(await loadCatalogSources(modelDir));
  if (!reading.manifest) throw new TelltaleError('CATALOG_INVALID', `${dir}: the manifest written does not load.`);
  const ids = assignSignalIds(undefined, catalogKeys(reading.buses), reading.manifest);
  await writeFile(path.join(modelDir, SIGNAL_IDS_FILE), formatSignalIds(ids));

  const lint = lintCatalog(await loadCatalogSources(modelDir));
  for (const d of lint.diagnostics) io.stdout.write(`${formatCatalogDiagnostic(d, dir)}\n`);
  const signals = lint.catalog?.signalCount ?? ids.ids.size;
  io.stdout.write(
    `Created ${dir}: model ${modelId} 1.0.0, bus ${bus} (${values.fd ? 'CAN FD' : 'classic CAN'}), ` +
      `${signals} signals; ` +
      `lint: ${lint.errorCount} errors, ${lint.diagnostics.length - lint.errorCount} warnings.\n`,
  );
  if (leftOut.length > 0) {
    io.stderr.write(
      [
        '',
        `WARNING: ${leftOut.length} signal${leftOut.length === 1 ? '' : 's'} of ${values.dbc} reach past their ` +
          "message's end and were LEFT OUT of the model (they would never decode):",
        ...leftOut.map((s) => `  ${s.message}.${s.signal}: ${s.reason}`),
        `The supplier's file is kept as ${path.join(dir, `${dbcFile}.supplier`)}; ` +
          'ask the supplier for a corrected DBC.',
        '',
      ].join('\n'),
    );
  }
  io.stdout.write(
    [
      '',
      'Next steps:',
      `  1. Review ${path.join(dir, MANIFEST_FILE)}: displayName, bitrate, aliases`,
      `     (e.g. "vehicleSpeed": "${bus}/<message>/<signal>").`,
      `  2. telltale catalog lint ${dir}        (again after every edit; telltale catalog stats ${dir} for its size)`,
      `  3. Make it visible to the services: put it under signal-catalog/ or set CATALOG_DIR to its parent directory.`,
      `  4. Register a vehicle (device_id required for a T-Box to be accepted):`,
      `       printf 'vin,fleet_id,model_id,catalog_version,device_id\\n' > fleet.csv`,
      `       printf 'TLTDEM12345678901,my-fleet,${modelId},1.0.0,tbox-1\\n' >> fleet.csv`,
      `       telltale vehicles import fleet.csv`,
      `  5. Send a CAN log: telltale replay <candump.log> --vin TLTDEM12345678901   (with npm start running)`,
      `  6. Read it back: curl -H "Authorization: Bearer $(cat .telltale/admin-api-key)" \\`,
      `       http://127.0.0.1:8080/v1/vehicles/TLTDEM12345678901/signals`,
      '',
    ].join('\n'),
  );
  return lint.errorCount > 0 ? 1 : 0;
}
