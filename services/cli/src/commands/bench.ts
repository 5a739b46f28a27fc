import path from 'node:path';
import {
  compileDatabase,
  decodeBatch,
  FRAME_FLAG_EXTENDED,
  parseFrameLine,
  SignalSink,
  type FrameColumns,
} from '@telltale/dbc';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { loadDbcForTool, parseCommandArgs, readInputFile } from './dbc.js';

const usage = `Usage: telltale bench decode --dbc <file.dbc> --frames <frames.jsonl> [--seconds N] [--batch-size N]
                             [--interpreted]

Measures the batch decoder (the decoder service's hot path) on one core: loads the frames into columns, splits
them into batches, warms up for a second, then decodes the batches in a loop for N seconds (default 5), printing
progress each second. Frames that do not decode (unknown id, short frame) count as frames with no signals.
The last line is the result: "<frames> frames/s, <signals> signals/s".

Options:
  --batch-size N   frames per decodeBatch call (default 1000, about one T-Box upload)
  --interpreted    use the plan interpreter instead of generated code (for comparison)`;

/** Frames from a JSON-lines file as the batch API's columns, split into batches that share the arrays. */
export function loadFrameBatches(
  text: string,
  batchSize: number,
): { batches: FrameColumns[]; frames: number; skipped: number } {
  const frames = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = parseFrameLine(line);
    if (parsed.ok) frames.push(parsed.frame);
    else skipped++;
  }
  const count = frames.length;
  const canId = new Uint32Array(count);
  const flags = new Uint8Array(count);
  const length = new Uint8Array(count);
  const starts = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) starts[i + 1] = starts[i]! + frames[i]!.data.length;
  const data = new Uint8Array(starts[count]!);
  frames.forEach((frame, i) => {
    canId[i] = frame.id;
    flags[i] = frame.extended ? FRAME_FLAG_EXTENDED : 0;
    length[i] = frame.data.length;
    data.set(frame.data, starts[i]);
  });
  const batches: FrameColumns[] = [];
  for (let first = 0; first < count; first += batchSize) {
    const end = Math.min(count, first + batchSize);
    batches.push({
      count: end - first,
      canId: canId.subarray(first, end),
      flags: flags.subarray(first, end),
      length: length.subarray(first, end),
      data: data.subarray(starts[first], starts[end]),
    });
  }
  return { batches, frames: count, skipped };
}

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliUsageError(`${name} must be a positive number, got "${value}"`);
  return n;
}

function runDecodeBench(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parseCommandArgs(args, {
    dbc: { type: 'string' },
    frames: { type: 'string' },
    seconds: { type: 'string' },
    'batch-size': { type: 'string' },
    interpreted: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
  if (values.dbc === undefined) throw new CliUsageError('missing --dbc <file.dbc>');
  if (values.frames === undefined) throw new CliUsageError('missing --frames <frames.jsonl>');
  const seconds = positiveNumber(values.seconds, '--seconds', 5);
  const batchSize = Math.floor(positiveNumber(values['batch-size'], '--batch-size', 1000));
  const codegen = values.interpreted !== true;

  const database = loadDbcForTool(io, values.dbc, false);
  const compiled = compileDatabase(database, { codegen });
  const { batches, frames, skipped } = loadFrameBatches(
    new TextDecoder().decode(readInputFile(io, values.frames)),
    batchSize,
  );
  if (frames === 0) throw new CliUsageError(`no frames in ${values.frames}`);
  const sink = new SignalSink();
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  out(
    `dbc ${path.basename(values.dbc)}: ${database.messages.length} messages, ${compiled.signals.length} signals; ` +
      `${codegen ? 'generated' : 'interpreted'} decoders`,
  );
  out(
    `frames ${path.basename(values.frames)}: ${frames} (${skipped} unparsable lines skipped), ` +
      `batches of ${batchSize}; node ${process.version}`,
  );
  out(
    `command: telltale bench decode --dbc ${values.dbc} --frames ${values.frames} --seconds ${seconds} ` +
      `--batch-size ${batchSize}${codegen ? '' : ' --interpreted'}`,
  );

  /** Decodes every batch once; returns the number of signals written. */
  const pass = (): number => {
    let signals = 0;
    for (const batch of batches) signals += decodeBatch(batch, compiled, sink);
    return signals;
  };

  const warmUpEnd = performance.now() + Math.min(1000, seconds * 200);
  while (performance.now() < warmUpEnd) pass();

  const start = performance.now();
  const end = start + seconds * 1000;
  let nextReport = start + 1000;
  let totalFrames = 0;
  let totalSignals = 0;
  let reportFrames = 0;
  let reportSignals = 0;
  let reportStart = start;
  let now = start;
  while (now < end) {
    const signals = pass();
    totalSignals += signals;
    totalFrames += frames;
    reportSignals += signals;
    reportFrames += frames;
    now = performance.now();
    if (now >= nextReport) {
      const s = (now - reportStart) / 1000;
      out(
        `  ${((now - start) / 1000).toFixed(1)} s: ${Math.round(reportFrames / s)} frames/s, ` +
          `${Math.round(reportSignals / s)} signals/s`,
      );
      reportStart = now;
      reportFrames = 0;
      reportSignals = 0;
      nextReport += 1000;
    }
  }
  const elapsed = (now - start) / 1000;
  out(`${Math.round(totalFrames / elapsed)} frames/s, ${Math.round(totalSignals / elapsed)} signals/s`);
  return 0;
}

export const benchCommands: readonly Command[] = [
  {
    path: ['bench', 'decode'],
    summary: 'Measure batch DBC decoding throughput (frames/s, signals/s) on one core',
    usage,
    run: (args, io) => Promise.resolve(runDecodeBench(args, io)),
  },
];
