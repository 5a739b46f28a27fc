/**
 * Load generator for the gateway: many connections publishing small pre-encoded TelemetryBatches (real frames of the
 * model) QoS 1 as fast as the acknowledgements come back, each connection keeping a window of publishes in flight.
 * Every batch has its own (vin, seq), so none is a duplicate: the seq is patched into a copy of the template as a
 * fixed-width 5-byte varint (seq in [2^28, 2^32)), no protobuf encoding per message.
 *
 * The broker acknowledges a publish when it has it, not when the gateway has written it; a gateway slower than the
 * flood leaves messages queued in the broker (Mosquitto drops QoS 1 messages beyond a subscriber's
 * max_queued_messages, 1000 by default). `backlog` (acknowledged minus written, e.g. from the gateway's metrics)
 * throttles the flood so it measures the gateway's sustained rate instead of overrunning the broker.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { TelltaleError } from '@telltale/platform';
import { BatchSealer } from '../domain/batch.js';
import { FrameBuffer } from '../domain/frames.js';
import type { DeviceIdentity } from '../domain/identity.js';
import { LatencyHistogram } from '../domain/latency.js';
import type { SimModel } from '../domain/model.js';
import { VehicleSimulator } from '../domain/vehicle.js';
import { uplinkTopic } from './fleet.js';
import { encodeUplink, patchSeq, seqVarintOffset } from './uplink-codec.js';

export const FLOOD_SEQ_MIN = 2 ** 28;
const noLog = (): void => undefined;
const FLOOD_SEQ_MAX = 2 ** 32 - 1;

/** A seq start that later runs do not overlap (ms clock, below 1000 batches/s per VIN), within the 5-byte range. */
export function floodSeqStart(nowMs = Date.now()): number {
  return FLOOD_SEQ_MIN + (nowMs % 2 ** 31);
}

export interface FloodOptions {
  readonly model: SimModel;
  readonly identities: readonly DeviceIdentity[];
  readonly seed: number | string;
  readonly mqttUrl: string;
  readonly topicPrefix: string;
  readonly anonymous: boolean;
  readonly durationS: number;
  readonly framesPerBatch: number;
  /** Publishes in flight per connection. */
  readonly maxInflight: number;
  readonly seqStart: number;
  readonly clientIdPrefix: string;
  readonly log: Logger;
  /** Acknowledged-but-not-yet-written messages, given the flood's acknowledged count; pauses above `backlogLimit`. */
  readonly backlog?: (acked: number) => number;
  readonly backlogLimit?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: FloodProgress) => void;
}

export interface FloodProgress {
  readonly elapsedS: number;
  readonly connected: number;
  readonly acked: number;
  readonly ackedPerS: number;
  readonly inflight: number;
  readonly throttled: boolean;
}

export interface FloodSummary {
  readonly connections: number;
  readonly seconds: number;
  readonly published: number;
  readonly acked: number;
  readonly failed: number;
  readonly framesPerBatch: number;
  readonly payloadBytes: number;
  readonly ackedPerS: number;
  /** Per connection: acked count, so a caller can check every (vin, seq) range. */
  readonly ackedByVin: ReadonlyMap<string, number>;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** One template payload per identity: `framesPerBatch` frames from the first second of the model's traffic. */
export function floodTemplates(
  model: SimModel,
  identities: readonly DeviceIdentity[],
  framesPerBatch: number,
  seed: number | string,
): { payloads: Uint8Array[]; frames: number } {
  const sim = new VehicleSimulator(model, { seed, index: 0 });
  const buffer = new FrameBuffer();
  sim.run(1_000_000, buffer);
  const all = buffer.take();
  const n = Math.min(framesPerBatch, all.count);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += all.length[i]!;
  const frames = {
    ...all,
    count: n,
    timeUs: all.timeUs.subarray(0, n),
    bus: all.bus.subarray(0, n),
    canId: all.canId.subarray(0, n),
    flags: all.flags.subarray(0, n),
    length: all.length.subarray(0, n),
    data: all.data.subarray(0, bytes),
  };
  const nowUs = Date.now() * 1000;
  const payloads = identities.map((identity) => {
    const sealer = new BatchSealer(
      {
        vin: identity.vin,
        deviceId: identity.deviceId,
        catalogVersion: model.catalog.catalogVersion,
        firmwareVersion: 'simulator-flood',
      },
      FLOOD_SEQ_MIN,
    );
    return encodeUplink(sealer.seal(frames, nowUs, false)!);
  });
  return { payloads, frames: n };
}

export async function runFlood(options: FloodOptions): Promise<FloodSummary> {
  const { identities, log } = options;
  if (options.seqStart < FLOOD_SEQ_MIN || options.seqStart > FLOOD_SEQ_MAX)
    throw new RangeError(`flood seq must start in ${FLOOD_SEQ_MIN}..${FLOOD_SEQ_MAX}`);
  const { payloads: templates, frames: framesPerBatch } = floodTemplates(
    options.model,
    identities,
    options.framesPerBatch,
    options.seed,
  );
  const latency = new LatencyHistogram();
  const ackedByVin = new Map<string, number>();
  let published = 0;
  let acked = 0;
  let failed = 0;
  let inflight = 0;
  let connected = 0;
  let running = false;
  let throttled = false;
  const backlogLimit = options.backlogLimit ?? 20_000;

  const settled = await Promise.allSettled(
    identities.map(async (identity, i) => {
      const client: MqttClient = await mqtt
        .connectAsync(options.mqttUrl, {
          clientId: `${options.clientIdPrefix}${identity.vin}`,
          clean: true,
          protocolVersion: 4,
          keepalive: 60,
          log: noLog, // mqtt.js' debug logging costs CPU per packet even when disabled; the flood is CPU-bound
          reconnectPeriod: 1000,
          connectTimeout: 15_000,
          ...(options.anonymous ? {} : { username: identity.vin, password: identity.deviceSecret ?? '' }),
        })
        .catch((err: unknown) => {
          throw new TelltaleError(
            'MQTT_CONNECT_FAILED',
            `Flood connection ${i} (${identity.vin}) could not connect to ${options.mqttUrl}: ` +
              (err as Error).message,
            {
              retryable: true,
              cause: err,
            },
          );
        });
      connected += 1;
      client.on('close', () => (connected = Math.max(0, connected - 1)));
      client.on('connect', () => (connected += 1));
      client.on('error', (err) => log.debug({ err }, 'Flood connection error.'));
      const template = templates[i]!;
      return {
        client,
        identity,
        template,
        seqOffset: seqVarintOffset(template, identity.vin),
        topic: uplinkTopic(options.topicPrefix, identity.vin),
        nextSeq: options.seqStart,
        inflight: 0,
      };
    }),
  );
  const connections = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(connections.map((c) => c.client.endAsync(true).catch(() => undefined)));
    throw failure.reason;
  }

  const payloadBytes = templates[0]?.byteLength ?? 0;
  type Connection = (typeof connections)[number];
  const publishOne = (c: Connection): void => {
    const payload = Buffer.allocUnsafe(c.template.byteLength);
    payload.set(c.template);
    patchSeq(payload, c.seqOffset, c.nextSeq);
    c.nextSeq = c.nextSeq >= FLOOD_SEQ_MAX ? FLOOD_SEQ_MIN : c.nextSeq + 1;
    c.inflight += 1;
    inflight += 1;
    published += 1;
    const sentAt = performance.now();
    c.client.publish(c.topic, payload, { qos: 1 }, (err) => {
      c.inflight -= 1;
      inflight -= 1;
      if (err) failed += 1;
      else {
        acked += 1;
        ackedByVin.set(c.identity.vin, (ackedByVin.get(c.identity.vin) ?? 0) + 1);
        latency.record(performance.now() - sentAt);
      }
      pump(c);
    });
  };
  const pump = (c: Connection): void => {
    while (running && !throttled && c.inflight < options.maxInflight && c.client.connected) publishOne(c);
  };

  // Throttle on the consumer's backlog, checked a few hundred times a second.
  const throttleTimer = setInterval(() => {
    const wasThrottled = throttled;
    throttled = options.backlog !== undefined && options.backlog(acked) > backlogLimit;
    if (wasThrottled && !throttled) for (const c of connections) pump(c);
  }, 5);

  const started = performance.now();
  let last = { at: started, acked: 0 };
  const progressTimer = setInterval(() => {
    const now = performance.now();
    options.onProgress?.({
      elapsedS: (now - started) / 1000,
      connected,
      acked,
      ackedPerS: ((acked - last.acked) * 1000) / (now - last.at),
      inflight,
      throttled,
    });
    last = { at: now, acked };
  }, 1000);

  running = true;
  for (const c of connections) pump(c);
  await new Promise<void>((resolve) => {
    const end = setTimeout(resolve, options.durationS * 1000);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(end);
      resolve();
    });
  });
  running = false;
  const seconds = (performance.now() - started) / 1000;
  // Let the last publishes be acknowledged.
  const drainUntil = Date.now() + 10_000;
  while (inflight > 0 && Date.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(throttleTimer);
  clearInterval(progressTimer);
  await Promise.all(connections.map((c) => c.client.endAsync(true).catch(() => undefined)));

  return {
    connections: connections.length,
    seconds,
    published,
    acked,
    failed,
    framesPerBatch,
    payloadBytes,
    ackedPerS: acked / seconds,
    ackedByVin,
    latencyMs: { p50: latency.quantile(0.5), p99: latency.quantile(0.99), max: latency.maxMs },
  };
}
