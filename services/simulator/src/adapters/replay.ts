/**
 * Replays a candump log as one T-Box: frames grouped into 1 s windows of log time, each window one TelemetryBatch
 * published QoS 1 when its time comes (log time / --speed after the start), or as fast as the acknowledgements allow.
 * The log is streamed line by line, so its size does not matter; bad lines are counted with their numbers.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { TelltaleError } from '@telltale/platform';
import { BatchSealer } from '../domain/batch.js';
import { busIndexOf, LogWindower, parseCandumpLine, type LogWindow } from '../domain/candump.js';
import { LatencyHistogram } from '../domain/latency.js';
import { UplinkQueue } from '../domain/uplink-queue.js';
import { uplinkTopic } from './fleet.js';
import { MqttTBox } from './mqtt-tbox.js';
import { encodeUplink } from './uplink-codec.js';

export interface ReplayOptions {
  readonly input: NodeJS.ReadableStream | string;
  readonly vin: string;
  readonly deviceId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly mqttUrl: string;
  readonly topicPrefix: string;
  /** Interface → bus index; empty: the interface's trailing number. */
  readonly busMap: ReadonlyMap<string, number>;
  /** 1 = real time, 2 = twice as fast, ...; ignored with asFastAsPossible. */
  readonly speed: number;
  readonly asFastAsPossible: boolean;
  /** Shift the log's timestamps so its first frame is "now". */
  readonly now: boolean;
  readonly seqStart: number;
  readonly catalogVersion: string;
  readonly firmwareVersion: string;
  readonly maxInflight: number;
  readonly windowMs: number;
  readonly clientId: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayProgress {
  readonly lines: number;
  readonly frames: number;
  readonly badLines: number;
  readonly batches: number;
  readonly acked: number;
  readonly logSeconds: number;
}

export interface BadLine {
  readonly line: number;
  readonly error: string;
}

export interface ReplaySummary {
  readonly lines: number;
  readonly frames: number;
  readonly badLines: number;
  /** The first bad lines (at most 20), with their numbers. */
  readonly firstBadLines: readonly BadLine[];
  readonly skippedInterfaces: ReadonlyMap<string, number>;
  readonly outOfOrder: number;
  readonly batches: number;
  readonly acked: number;
  readonly bytesAcked: number;
  readonly unacked: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly logSeconds: number;
  readonly seconds: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
}

export async function replayCandump(options: ReplayOptions): Promise<ReplaySummary> {
  const { log } = options;
  const queue = new UplinkQueue(1_000_000, options.maxInflight);
  const latency = new LatencyHistogram();
  const counts = { lines: 0, frames: 0, bad: 0, batches: 0, acked: 0, bytesAcked: 0 };
  const firstBadLines: BadLine[] = [];
  const skippedInterfaces = new Map<string, number>();
  const tbox = new MqttTBox({
    url: options.mqttUrl,
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    topic: uplinkTopic(options.topicPrefix, options.vin),
    queue,
    log,
    events: {
      connected: () => undefined,
      disconnected: () => undefined,
      published: () => undefined,
      acked: (uplink, ms) => {
        counts.acked += 1;
        counts.bytesAcked += uplink.payload.byteLength;
        latency.record(ms);
      },
    },
  });
  await tbox.start().catch(async (err: unknown) => {
    await tbox.stop();
    throw new TelltaleError(
      'MQTT_CONNECT_FAILED',
      `Cannot connect to ${options.mqttUrl} as ${options.username ?? 'anonymous'}: ${(err as Error).message}`,
      { retryable: true, cause: err },
    );
  });

  const sealer = new BatchSealer(
    {
      vin: options.vin,
      deviceId: options.deviceId,
      catalogVersion: options.catalogVersion,
      firmwareVersion: options.firmwareVersion,
    },
    options.seqStart,
  );
  const windower = new LogWindower(options.windowMs * 1000);
  const startedMs = Date.now();
  let firstLogUs: number | undefined;
  let lastLogUs = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  const send = async (window: LogWindow): Promise<void> => {
    const first = firstLogUs ?? window.startUs;
    if (!options.asFastAsPossible) {
      // A window is sent once it has fully happened at replay speed.
      const dueMs = startedMs + (window.endUs - first) / 1000 / options.speed;
      while (Date.now() < dueMs && !options.signal?.aborted) await sleep(Math.min(250, dueMs - Date.now()));
    }
    const shiftUs = options.now ? startedMs * 1000 - first : 0;
    const batch = sealer.seal(window.frames, window.startUs + shiftUs, false);
    if (!batch) return;
    if (firstSeq === 0) firstSeq = batch.seq;
    lastSeq = batch.seq;
    counts.batches += 1;
    queue.enqueue({ seq: batch.seq, payload: encodeUplink(batch), frames: batch.frameCount, backfill: false });
    tbox.pump();
    // Backpressure: read on only when the window of publishes has room.
    while (queue.waitingCount > options.maxInflight && !options.signal?.aborted) {
      tbox.pump();
      await sleep(5);
    }
  };

  const progressTimer = setInterval(() => {
    options.onProgress?.({
      lines: counts.lines,
      frames: counts.frames,
      badLines: counts.bad,
      batches: counts.batches,
      acked: counts.acked,
      logSeconds: firstLogUs === undefined ? 0 : (lastLogUs - firstLogUs) / 1e6,
    });
  }, 1000);

  const input = typeof options.input === 'string' ? createReadStream(options.input) : options.input;
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (options.signal?.aborted) break;
      counts.lines += 1;
      const parsed = parseCandumpLine(text, counts.lines);
      if (parsed.kind === 'skip') continue;
      if (parsed.kind === 'bad') {
        counts.bad += 1;
        if (firstBadLines.length < 20) firstBadLines.push({ line: parsed.line, error: parsed.error });
        continue;
      }
      const frame = parsed.frame;
      const bus = busIndexOf(frame.iface, options.busMap);
      if (bus === undefined) {
        counts.bad += 1;
        skippedInterfaces.set(frame.iface, (skippedInterfaces.get(frame.iface) ?? 0) + 1);
        if (firstBadLines.length < 20)
          firstBadLines.push({ line: counts.lines, error: `interface ${frame.iface} has no --bus mapping` });
        continue;
      }
      firstLogUs ??= frame.timeUs;
      lastLogUs = Math.max(lastLogUs, frame.timeUs);
      counts.frames += 1;
      for (const window of windower.add(frame, bus)) await send(window);
    }
    const last = windower.flush();
    if (last && !options.signal?.aborted) await send(last);
    const drainUntil = Date.now() + 15_000;
    while (!queue.isEmpty && Date.now() < drainUntil && !options.signal?.aborted) {
      tbox.pump();
      await sleep(20);
    }
  } finally {
    clearInterval(progressTimer);
    lines.close();
    await tbox.stop();
  }

  return {
    lines: counts.lines,
    frames: counts.frames,
    badLines: counts.bad,
    firstBadLines,
    skippedInterfaces,
    outOfOrder: windower.outOfOrder,
    batches: counts.batches,
    acked: counts.acked,
    bytesAcked: counts.bytesAcked,
    unacked: queue.waitingCount + queue.inflightCount,
    firstSeq,
    lastSeq,
    logSeconds: firstLogUs === undefined ? 0 : (lastLogUs - firstLogUs) / 1e6,
    seconds: (Date.now() - startedMs) / 1000,
    latencyMs: { p50: latency.quantile(0.5), p99: latency.quantile(0.99) },
  };
}
