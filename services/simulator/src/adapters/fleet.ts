/**
 * Runs a simulated fleet in real time: every vehicle records its CAN traffic (VehicleSimulator), seals a batch per
 * window (1 s at --rate 1), queues it (store-and-forward) and publishes it QoS 1 on its own MQTT connection.
 * Vehicles are spread evenly over the window so the broker sees a steady stream, not a burst per second.
 *
 * Windows are fixed on the simulated clock (vehicle start + k × window), so what a vehicle sends depends on the
 * seed, not on timer jitter; a slow event loop delays batches but never changes them.
 */
import type { Logger } from 'pino';
import { TelltaleError } from '@telltale/platform';
import { BatchSealer } from '../domain/batch.js';
import { FrameBuffer } from '../domain/frames.js';
import type { DeviceIdentity } from '../domain/identity.js';
import { LatencyHistogram } from '../domain/latency.js';
import type { ResolvedFault } from '../domain/faults.js';
import type { SimModel } from '../domain/model.js';
import { UplinkQueue, type QueuedUplink } from '../domain/uplink-queue.js';
import { VehicleSimulator } from '../domain/vehicle.js';
import { MqttTBox } from './mqtt-tbox.js';
import { encodeUplink } from './uplink-codec.js';

export interface Outage {
  readonly startS: number;
  readonly durationS: number;
  readonly vehicles: readonly number[];
}

export interface FleetOptions {
  readonly model: SimModel;
  readonly identities: readonly DeviceIdentity[];
  readonly seed: number | string;
  /** Batches per vehicle per second. */
  readonly rateHz: number;
  /** Stop recording after this many seconds (Infinity: until `signal` aborts). */
  readonly durationS: number;
  readonly mqttUrl: string;
  /** Prepended to `tbox/{vin}/telemetry`. */
  readonly topicPrefix: string;
  /** Connect without user name and password. */
  readonly anonymous: boolean;
  readonly faults: ReadonlyMap<number, readonly ResolvedFault[]>;
  readonly faultAfterS: number;
  readonly outages: readonly Outage[];
  /** Store-and-forward capacity per vehicle, in batches. */
  readonly outboxLimit: number;
  /** Unacknowledged publishes per vehicle. */
  readonly maxInflight: number;
  readonly seqStart: number;
  readonly firmwareVersion: string;
  readonly clientIdPrefix: string;
  /** After recording stops, how long to wait for queued batches to be acknowledged. */
  readonly drainTimeoutMs: number;
  readonly log: Logger;
  /** Stops recording (the run then drains its queues). */
  readonly signal?: AbortSignal;
  /** Stops draining too. */
  readonly hardStop?: AbortSignal;
  readonly onProgress?: (progress: FleetProgress) => void;
  readonly onReady?: (info: { connected: number; vehicles: number }) => void;
}

export interface FleetProgress {
  readonly elapsedS: number;
  readonly vehicles: number;
  readonly connected: number;
  readonly sealed: number;
  readonly published: number;
  readonly acked: number;
  readonly pending: number;
  readonly dropped: number;
  /** Frames recorded per second over the last progress interval. */
  readonly framesPerS: number;
  readonly ackedPerS: number;
}

export interface FleetSummary {
  readonly vehicles: number;
  readonly seconds: number;
  readonly batchesSealed: number;
  readonly batchesPublished: number;
  readonly batchesAcked: number;
  readonly framesSealed: number;
  readonly framesAcked: number;
  /** Payload bytes of acknowledged batches. */
  readonly bytesAcked: number;
  /** Acknowledged batches that were recorded offline (backfill = true). */
  readonly backfilled: number;
  /** Batches dropped from full store-and-forward queues (oldest first). */
  readonly dropped: number;
  readonly droppedFrames: number;
  /** Batches still unacknowledged when the run ended. */
  readonly unacked: number;
  readonly reconnects: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly count: number };
}

interface VehicleRun {
  readonly index: number;
  readonly identity: DeviceIdentity;
  readonly sim: VehicleSimulator;
  readonly sealer: BatchSealer;
  readonly queue: UplinkQueue;
  readonly tbox: MqttTBox;
  /** Wall-clock (epoch ms) of simulated time 0, set once everyone is connected. */
  epochStartMs: number;
  windows: number;
}

export function uplinkTopic(prefix: string, vin: string): string {
  const p = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `${p}tbox/${vin}/telemetry`;
}

export async function runFleet(options: FleetOptions): Promise<FleetSummary> {
  const { model, identities, log } = options;
  const windowMs = 1000 / options.rateHz;
  const windowUs = Math.round(windowMs * 1000);
  const count = identities.length;
  const latency = new LatencyHistogram();
  const totals = {
    sealed: 0,
    published: 0,
    acked: 0,
    framesSealed: 0,
    framesAcked: 0,
    bytesAcked: 0,
    backfilled: 0,
    reconnects: 0,
    connected: 0,
  };
  let runStartMs = Date.now();

  const vehicles: VehicleRun[] = identities.map((identity, index) => {
    const queue = new UplinkQueue(options.outboxLimit, options.maxInflight);
    let everConnected = false;
    const tbox = new MqttTBox({
      url: options.mqttUrl,
      clientId: `${options.clientIdPrefix}${identity.vin}`,
      username: options.anonymous ? undefined : identity.vin,
      password: options.anonymous ? undefined : identity.deviceSecret,
      topic: uplinkTopic(options.topicPrefix, identity.vin),
      queue,
      log,
      events: {
        connected: () => {
          totals.connected += 1;
          if (everConnected) totals.reconnects += 1;
          everConnected = true;
        },
        disconnected: () => {
          totals.connected -= 1;
        },
        published: () => {
          totals.published += 1;
        },
        acked: (uplink: QueuedUplink, ms: number) => {
          totals.acked += 1;
          totals.framesAcked += uplink.frames;
          totals.bytesAcked += uplink.payload.byteLength;
          if (uplink.backfill) totals.backfilled += 1;
          latency.record(ms);
        },
      },
    });
    return {
      index,
      identity,
      sim: new VehicleSimulator(model, {
        seed: options.seed,
        index,
        faults: options.faults.get(index) ?? [],
        faultAfterS: options.faultAfterS,
      }),
      sealer: new BatchSealer(
        {
          vin: identity.vin,
          deviceId: identity.deviceId,
          catalogVersion: model.catalog.catalogVersion,
          firmwareVersion: options.firmwareVersion,
        },
        options.seqStart,
      ),
      queue,
      tbox,
      epochStartMs: 0,
      windows: 0,
    };
  });

  // Connect everyone (a few hundred at a time so the broker is not hit by thousands of CONNECTs at once).
  const connectErrors: string[] = [];
  for (let i = 0; i < vehicles.length; i += 200) {
    await Promise.all(
      vehicles.slice(i, i + 200).map((v) =>
        withTimeout(v.tbox.start(), 15_000).catch((err: unknown) => {
          connectErrors.push((err as Error).message);
        }),
      ),
    );
  }
  if (totals.connected === 0 && vehicles.length > 0) {
    await Promise.all(vehicles.map((v) => v.tbox.stop()));
    throw new TelltaleError(
      'MQTT_CONNECT_FAILED',
      `No T-Box could connect to ${options.mqttUrl}: ${connectErrors[0] ?? 'timed out'}.`,
      { retryable: true },
    );
  }
  if (connectErrors.length > 0)
    log.warn(
      { failed: connectErrors.length, error: connectErrors[0] },
      'Some T-Boxes could not connect; they record offline and retry.',
    );
  options.onReady?.({ connected: totals.connected, vehicles: vehicles.length });
  // The clocks start now that everyone had a chance to connect. Vehicles are spread over one window: vehicle i
  // closes its windows i/N of a window after vehicle 0, so the broker sees a steady stream, not a burst per second.
  runStartMs = Date.now();
  for (const v of vehicles) v.epochStartMs = runStartMs + (v.index * windowMs) / count;

  // Scripted outages.
  const outageTimers: NodeJS.Timeout[] = [];
  for (const outage of options.outages) {
    for (const i of outage.vehicles) {
      const v = vehicles[i];
      if (!v) continue;
      outageTimers.push(
        setTimeout(
          () => void v.tbox.outage(outage.durationS * 1000),
          Math.max(0, v.epochStartMs + outage.startS * 1000 - Date.now()),
        ),
      );
    }
  }

  const buffer = new FrameBuffer(Math.ceil(model.framesPerSecond * (windowMs / 1000) * 1.2) + 64);
  const stopRecordingMs = Number.isFinite(options.durationS) ? options.durationS * 1000 : Infinity;
  let recording = true;
  const abort = (): void => {
    recording = false;
  };
  options.signal?.addEventListener('abort', abort);

  /** Seals every window of every vehicle that has closed by now. */
  const tick = (): void => {
    const now = Date.now();
    for (const v of vehicles) {
      while (recording) {
        const endMs = v.epochStartMs + (v.windows + 1) * windowMs;
        if (endMs > now || (v.windows + 1) * windowMs > stopRecordingMs) break;
        v.windows += 1;
        v.sim.run(v.windows * windowUs, buffer);
        const batch = v.sealer.seal(buffer.take(), v.epochStartMs * 1000, !v.tbox.online);
        if (!batch) continue;
        const payload = encodeUplink(batch);
        totals.sealed += 1;
        totals.framesSealed += batch.frameCount;
        v.queue.enqueue({ seq: batch.seq, payload, frames: batch.frameCount, backfill: batch.backfill });
      }
      v.tbox.pump();
    }
    if (vehicles.every((v) => (v.windows + 1) * windowMs > stopRecordingMs)) recording = false;
  };

  let lastProgress = { at: Date.now(), frames: 0, acked: 0 };
  const progress = (): void => {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - lastProgress.at) / 1000);
    const pending = vehicles.reduce((sum, v) => sum + v.queue.waitingCount + v.queue.inflightCount, 0);
    options.onProgress?.({
      elapsedS: (now - runStartMs) / 1000,
      vehicles: vehicles.length,
      connected: totals.connected,
      sealed: totals.sealed,
      published: totals.published,
      acked: totals.acked,
      pending,
      dropped: vehicles.reduce((sum, v) => sum + v.queue.dropped, 0),
      framesPerS: (totals.framesSealed - lastProgress.frames) / seconds,
      ackedPerS: (totals.acked - lastProgress.acked) / seconds,
    });
    lastProgress = { at: now, frames: totals.framesSealed, acked: totals.acked };
  };

  const ticker = setInterval(tick, 20);
  const progressTimer = setInterval(progress, 1000);
  try {
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (!recording) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    clearInterval(ticker);
    tick();
    // Drain: wait for the queues to empty (vehicles in an outage come back first), bounded.
    const drainUntil = Date.now() + options.drainTimeoutMs;
    while (Date.now() < drainUntil && vehicles.some((v) => !v.queue.isEmpty) && !options.hardStop?.aborted) {
      for (const v of vehicles) v.tbox.pump();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    clearInterval(ticker);
    clearInterval(progressTimer);
    for (const timer of outageTimers) clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
    progress();
    await Promise.all(vehicles.map((v) => v.tbox.stop()));
  }

  return {
    vehicles: vehicles.length,
    seconds: (Date.now() - runStartMs) / 1000,
    batchesSealed: totals.sealed,
    batchesPublished: totals.published,
    batchesAcked: totals.acked,
    framesSealed: totals.framesSealed,
    framesAcked: totals.framesAcked,
    bytesAcked: totals.bytesAcked,
    backfilled: totals.backfilled,
    dropped: vehicles.reduce((sum, v) => sum + v.queue.dropped, 0),
    droppedFrames: vehicles.reduce((sum, v) => sum + v.queue.droppedFrames, 0),
    unacked: vehicles.reduce((sum, v) => sum + v.queue.waitingCount + v.queue.inflightCount, 0),
    reconnects: totals.reconnects,
    latencyMs: { p50: latency.quantile(0.5), p99: latency.quantile(0.99), max: latency.maxMs, count: latency.count },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no CONNACK within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: Error) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
