import { readFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { TelltaleError } from '@telltale/platform';
import {
  checkDbc,
  compileDatabase,
  countDiagnostics,
  decodeFrame,
  formatBadInputLine,
  formatDiagnostic,
  formatDecodeLine,
  parseDbc,
  parseFrameLine,
  type Database,
} from '@telltale/dbc';
import { CliUsageError, type CliIo, type Command } from '../command.js';

/** Reads a file named on the command line (relative to the caller's directory); unreadable → a clear error. */
export function readInputFile(io: CliIo, file: string): Uint8Array {
  try {
    return readFileSync(path.resolve(io.cwd, file));
  } catch (error) {
    throw new TelltaleError('FILE_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads a DBC for a tool: warnings are summed up on stderr (`dbc lint` lists them), errors throw DBC_INVALID. */
export function loadDbcForTool(io: CliIo, file: string, strict: boolean): Database {
  const { database, diagnostics } = parseDbc(readInputFile(io, file), { fileName: file, strict });
  // A summary diagnostic stands for the warnings past the per-code cap: count what it omits too.
  const warnings = countDiagnostics(diagnostics, 'warning');
  if (warnings > 0) {
    io.stderr.write(
      `${file}: ${warnings} warning${warnings === 1 ? '' : 's'} (telltale dbc lint ${file} lists them)\n`,
    );
  }
  return database;
}

async function write(io: CliIo, text: string): Promise<void> {
  if (!io.stdout.write(text)) await once(io.stdout, 'drain');
}

const decodeUsage = `Usage: telltale dbc decode <file.dbc> [--raw] [--strict] < frames.jsonl

Decodes CAN frames, one JSON object per input line ({"id": 1558, "extended": false, "data": "0a1b..."}), and prints
one JSON line per frame in the DBC conformance format:
  {"id": ..., "extended": ..., "message": "...", "signals": {...}, "choices": {...}}
  {"id": ..., "extended": ..., "error": "...", "error_kind": "unknown_id" | "decode" | "bad_input"}
Blank lines are skipped; a line that is not a frame prints a bad_input error line.

Options:
  --raw      raw (unscaled) values: integers as decimal strings, IEEE floats as numbers
  --strict   reject a DBC whose signals reach past their message length (by default such signals are
             accepted with a warning and print as null, as cantools does with strict=False)`;

const lintUsage = `Usage: telltale dbc lint <file.dbc> [--lenient]

Checks a DBC file and prints every problem as "file:line:column severity CODE message", then a summary.
Exit status 1 when there are errors. Signals reaching past their message length are errors unless --lenient.`;

export const dbcCommands: readonly Command[] = [
  {
    path: ['dbc', 'decode'],
    summary: 'Decode JSON-lines CAN frames from stdin with a DBC file (conformance output format)',
    usage: decodeUsage,
    run: async (args, io) => {
      const { values, positionals } = parseCommandArgs(args, { raw: { type: 'boolean' }, strict: { type: 'boolean' } });
      const file = onePositional(positionals, '<file.dbc>');
      const compiled = compileDatabase(loadDbcForTool(io, file, values.strict === true));
      const raw = values.raw === true;
      const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
      let out = '';
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const parsed = parseFrameLine(line);
        out += parsed.ok
          ? formatDecodeLine(decodeFrame(compiled, parsed.frame, { raw }))
          : formatBadInputLine(parsed.id, parsed.extended, parsed.error);
        out += '\n';
        // Write in chunks: one write per line is the bottleneck on large inputs.
        if (out.length > 65536) {
          await write(io, out);
          out = '';
        }
      }
      if (out !== '') await write(io, out);
      return 0;
    },
  },
  {
    path: ['dbc', 'lint'],
    summary: 'Check a DBC file and list its errors and warnings with line and column',
    usage: lintUsage,
    run: (args, io) => {
      const { values, positionals } = parseCommandArgs(args, { lenient: { type: 'boolean' } });
      const file = onePositional(positionals, '<file.dbc>');
      const { database, diagnostics } = checkDbc(readInputFile(io, file), {
        fileName: file,
        strict: values.lenient !== true,
      });
      let out = '';
      for (const d of diagnostics) out += `${formatDiagnostic(file, d)}\n`;
      const errors = countDiagnostics(diagnostics, 'error');
      const warnings = countDiagnostics(diagnostics, 'warning');
      const signals = database.messages.reduce((sum, m) => sum + m.signals.length, 0);
      out += `${file}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}; `;
      out += `${database.messages.length} messages, ${signals} signals (${database.encoding ?? 'utf-8'})\n`;
      io.stdout.write(out);
      return Promise.resolve(errors > 0 ? 1 : 0);
    },
  },
];

type OptionSpec = Record<string, { type: 'boolean' } | { type: 'string' }>;

/** node:util parseArgs with usage errors as CliUsageError. */
export function parseCommandArgs<T extends OptionSpec>(
  args: readonly string[],
  options: T,
): { values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

function onePositional(positionals: readonly string[], name: string): string {
  if (positionals.length === 0) throw new CliUsageError(`missing ${name}`);
  if (positionals.length > 1) throw new CliUsageError(`unexpected argument "${positionals[1]}"`);
  return positionals[0]!;
}
