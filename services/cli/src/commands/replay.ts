import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ReplaySummary } from '@telltale/simulator';
import { createLogger, TelltaleError } from '@telltale/platform';
import { isValidVin } from '@telltale/registry';
import { CliUsageError, type CliIo, type Command } from '../command.js';

const usage = `Usage: telltale replay <candump.log> --vin <VIN> [options]

Sends a can-utils candump log (\`candump -l\` format: "(1436509052.249713) can0 123#DEADBEEF"; ids with more than 3
hex digits are extended; CAN FD "##<flags><data>"; remote frames "R") as one T-Box: frames grouped into 1 s windows
of log time, one TelemetryBatch each, published QoS 1 to <prefix>tbox/<vin>/telemetry at the log's pace. Bad lines
are counted and listed with their line numbers; they never stop the replay. Use "-" to read standard input.

Options:
  --vin VIN               the vehicle the log belongs to (required; must be in the registry for the gateway)
  --device-id ID          its T-Box id as registered (default: empty, accepted for the VIN's bound device)
  --password SECRET       device secret for an authenticating broker (user = VIN); default REPLAY_DEVICE_SECRET
  --anonymous             connect without user name and password
  --bus IF=N,...          interface → bus index per the model's manifest (default: the interface's number, can1 → 1)
  --speed F               replay F times faster than recorded (default 1)
  --as-fast-as-possible   no pacing: as fast as the acknowledgements allow
  --now                   shift the timestamps so the log's first frame is now (default: the log's own times)
  --window-ms MS          batch window of log time (default 1000)
  --seq-start N           first seq (default 1)
  --catalog-version V     catalog version the batches claim (default empty)
  --mqtt-url URL          broker (default MQTT_URL or mqtt://127.0.0.1:1883)
  --topic-prefix P        prefix before tbox/<vin>/telemetry
  --inflight N            unacknowledged publishes (default 16)
  --json                  print the summary as JSON on stdout`;

const options = {
  vin: { type: 'string' },
  'device-id': { type: 'string' },
  password: { type: 'string' },
  anonymous: { type: 'boolean' },
  bus: { type: 'string' },
  speed: { type: 'string' },
  'as-fast-as-possible': { type: 'boolean' },
  now: { type: 'boolean' },
  'window-ms': { type: 'string' },
  'seq-start': { type: 'string' },
  'catalog-version': { type: 'string' },
  'mqtt-url': { type: 'string' },
  'topic-prefix': { type: 'string' },
  inflight: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function positive(value: string | undefined, name: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new CliUsageError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

function summaryText(s: ReplaySummary, file: string): string {
  const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');
  const lines = [
    `Replayed ${file}: ${s.lines} lines, ${s.frames} frames ` +
      `over ${s.logSeconds.toFixed(1)} s of log in ${s.seconds.toFixed(1)} s`,
    `  batches   ${s.batches} sent (seq ${s.firstSeq}..${s.lastSeq}), ${s.acked} acknowledged, ` +
      `${s.unacked} unacknowledged, ${s.bytesAcked} bytes`,
    `  latency   publish → PUBACK p50 ${ms(s.latencyMs.p50)} ms, p99 ${ms(s.latencyMs.p99)} ms`,
    `  bad lines ${s.badLines}` +
      (s.outOfOrder > 0 ? `; ${s.outOfOrder} frames out of time order (kept in their window)` : ''),
  ];
  for (const bad of s.firstBadLines) lines.push(`    line ${bad.line}: ${bad.error}`);
  if (s.badLines > s.firstBadLines.length) lines.push(`    ... and ${s.badLines - s.firstBadLines.length} more`);
  return `${lines.join('\n')}\n`;
}

async function runReplay(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  const [file, extra] = parsed.positionals;
  if (file === undefined) throw new CliUsageError('a candump log file is required');
  if (extra !== undefined) throw new CliUsageError(`unexpected argument "${extra}"`);
  const vin = v.vin?.toUpperCase();
  if (vin === undefined) throw new CliUsageError('--vin is required');
  if (!isValidVin(vin)) throw new CliUsageError(`--vin "${vin}" must be 17 characters A-Z/0-9 without I, O, Q`);
  const path = file === '-' ? undefined : resolve(io.cwd, file);
  if (path !== undefined && !existsSync(path))
    throw new TelltaleError('FILE_NOT_READABLE', `Cannot read ${file}: no such file.`);
  const sim = await import('@telltale/simulator');
  let busMap;
  try {
    busMap = sim.parseBusMap(v.bus);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const seqStart = positive(v['seq-start'], '--seq-start', 1, true);
  if (seqStart > 2 ** 32 - 1) throw new CliUsageError('--seq-start must fit 32 bits');
  const password = v.password ?? io.env.REPLAY_DEVICE_SECRET;
  const log = createLogger({
    service: 'replay',
    level: (io.env.LOG_LEVEL as 'info' | undefined) ?? 'warn',
    destination: 2,
  });

  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  try {
    const summary = await sim.replayCandump({
      input: path ?? io.stdin,
      vin,
      deviceId: v['device-id'] ?? '',
      username: v.anonymous ? undefined : vin,
      password: v.anonymous ? undefined : password,
      mqttUrl: v['mqtt-url'] ?? io.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
      topicPrefix: v['topic-prefix'] ?? '',
      busMap,
      speed: positive(v.speed, '--speed', 1),
      asFastAsPossible: v['as-fast-as-possible'] === true,
      now: v.now === true,
      seqStart,
      catalogVersion: v['catalog-version'] ?? '',
      firmwareVersion: 'telltale-replay-0.1.0',
      maxInflight: positive(v.inflight, '--inflight', 16, true),
      windowMs: positive(v['window-ms'], '--window-ms', 1000),
      clientId: `replay-${vin}`,
      log,
      signal: controller.signal,
      onProgress: (p) => {
        if (tty)
          io.stderr.write(
            `\r\x1b[K${p.lines} lines, ${p.frames} frames (${p.logSeconds.toFixed(1)} s of log), ` +
              `${p.batches} batches sent, ${p.acked} acked, ${p.badLines} bad lines`,
          );
      },
    });
    if (tty) io.stderr.write('\n');
    io.stdout.write(
      v.json
        ? `${JSON.stringify({ ...summary, skippedInterfaces: Object.fromEntries(summary.skippedInterfaces) })}\n`
        : summaryText(summary, file),
    );
    return summary.unacked === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export const replayCommands: readonly Command[] = [
  {
    path: ['replay'],
    summary: 'Send a candump log as T-Box batches (1 s windows, real pace or faster)',
    usage,
    run: runReplay,
  },
];
