import { parseArgs } from 'node:util';
import type * as SimulatorModule from '@telltale/simulator';
import type { DeviceIdentity, FleetSummary, FloodSummary, Outage } from '@telltale/simulator';
import { createLogger, TelltaleError } from '@telltale/platform';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { readInputFile } from '../lib/files.js';

const usage = `Usage: telltale simulate --vehicles N [--model <id|dir>] [options]

Runs N virtual T-Boxes, each an MQTT client with its own credentials (user = VIN, password = device secret), sending
the model's CAN frames at their cycle times from a vehicle physics model (drive cycle, battery, temperatures, tyres),
one TelemetryBatch per vehicle per second (QoS 1 to <prefix>tbox/<vin>/telemetry), with store-and-forward while
offline. Progress on stderr; a summary at the end (or on Ctrl-C; a second Ctrl-C stops at once).

Options:
  --vehicles N          virtual T-Boxes (default 1, or every row of --vehicles-file)
  --model ID|DIR        vehicle model id in signal-catalog/ or a model directory (default aurora-ev-2026)
  --seed S              seed for VINs, secrets, driving, fault picks: same seed, same data (default 1; with
                        --provision a random seed, printed, since anyone who knows the seed can derive the secrets)
  --duration S          stop after S seconds (default: until Ctrl-C)
  --rate R              batches per vehicle per second (default 1)
  --mqtt-url URL        broker (default MQTT_URL or mqtt://127.0.0.1:1883)
  --topic-prefix P      prefix before tbox/<vin>/telemetry (e.g. for tests)
  --anonymous           connect without user name and password
  --provision           import the vehicles into the registry (DATABASE_URL, DATABASE_SCHEMA) with VINs, device ids
                        and secrets derived from the seed; sync the authenticating broker when --mqtt-url is it
                        (MQTT_AUTH_PORT, default 1884)
  --vehicles-file F     CSV vin,device_id,device_secret of existing registrations to use instead
  --fault SPEC          inject a fault (repeatable): <kind>[@<target>][=<code>][:<vehicles>], kind cell-imbalance,
                        over-temperature, sensor-silent or dtc; vehicles all (default), a fraction (0.1) or
                        indexes (0,3,7); e.g. cell-imbalance:0.1, over-temperature@3:0, sensor-silent@TPMS_Pressures,
                        dtc@BMS=0x0A7F00:0.05
  --fault-after S       faults start S seconds into the run (default 10)
  --outage AT+DUR[:V]   scripted connectivity loss AT seconds in, for DUR seconds, of vehicles V (default all):
                        batches are kept and uploaded afterwards with backfill = true
  --outbox N            store-and-forward capacity per vehicle, in batches (default 300; the oldest are dropped)
  --inflight N          unacknowledged publishes per connection (default 8; flood 32)
  --seq-start N|clock   first seq of every device (default 1; "clock" derives it from the time, so a rerun with the
                        same VINs is not dropped as duplicates by the gateway's (vin, seq) dedupe)
  --json                print the summary as JSON on stdout
  --flood               load test: pre-encoded small batches as fast as QoS 1 allows over --vehicles connections
  --frames N            flood: CAN frames per batch (default 10)`;

const options = {
  vehicles: { type: 'string' },
  model: { type: 'string' },
  seed: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  'mqtt-url': { type: 'string' },
  'topic-prefix': { type: 'string' },
  anonymous: { type: 'boolean' },
  provision: { type: 'boolean' },
  'vehicles-file': { type: 'string' },
  fault: { type: 'string', multiple: true },
  'fault-after': { type: 'string' },
  outage: { type: 'string', multiple: true },
  outbox: { type: 'string' },
  inflight: { type: 'string' },
  'seq-start': { type: 'string' },
  json: { type: 'boolean' },
  flood: { type: 'boolean' },
  frames: { type: 'string' },
  'client-id-prefix': { type: 'string' },
} as const;

function number(
  value: string | undefined,
  name: string,
  fallback: number,
  check: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (
    value.trim() === '' ||
    !Number.isFinite(n) ||
    (check.integer && !Number.isInteger(n)) ||
    n < (check.min ?? -Infinity) ||
    n > (check.max ?? Infinity)
  ) {
    const range = `${check.min ?? '-∞'}..${check.max ?? '∞'}`;
    throw new CliUsageError(`${name} must be ${check.integer ? 'an integer' : 'a number'} in ${range}, got "${value}"`);
  }
  return n;
}

// The simulator is loaded when the command runs, not for every `telltale` invocation.
type Simulator = typeof SimulatorModule;

export function parseOutage(sim: Simulator, text: string, vehicleCount: number, seed: string): Outage {
  const m = /^(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)(?::(.+))?$/.exec(text);
  if (!m)
    throw new CliUsageError(`--outage "${text}" must be <start s>+<duration s>[:<vehicles>], e.g. 30+20 or 30+20:0.5`);
  const selection = sim.parseVehicleSelection(`--outage ${text}`, m[3]);
  return {
    startS: Number(m[1]),
    durationS: Number(m[2]),
    vehicles: sim.selectVehicles(selection, vehicleCount, seed, `outage:${text}`),
  };
}

/** A one-line, refreshed status on a terminal; a line every 10 s otherwise. */
function progressWriter(io: CliIo): { write(line: string): void; done(): void } {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let last = 0;
  let shown = false;
  return {
    write(line) {
      if (tty) {
        io.stderr.write(`\r\x1b[K${line}`);
        shown = true;
      } else if (Date.now() - last >= 10_000) {
        io.stderr.write(`${line}\n`);
        last = Date.now();
      }
    },
    done() {
      if (tty && shown) io.stderr.write('\n');
    },
  };
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

function fleetSummaryText(s: FleetSummary): string {
  return [
    `Simulated ${s.vehicles} vehicle${s.vehicles === 1 ? '' : 's'} for ${fmt(s.seconds, 1)} s:`,
    `  batches   ${fmt(s.batchesSealed)} recorded, ${fmt(s.batchesPublished)} published, ` +
      `${fmt(s.batchesAcked)} acknowledged, ${fmt(s.unacked)} unacknowledged at exit`,
    `  frames    ${fmt(s.framesSealed)} recorded, ` +
      `${fmt(s.framesAcked)} acknowledged (${fmt(s.framesAcked / Math.max(s.seconds, 0.001))}/s)`,
    `  bytes     ${fmt(s.bytesAcked)} acknowledged (${fmt(s.bytesAcked / Math.max(s.seconds, 0.001) / 1024, 1)} KiB/s)`,
    `  offline   ${fmt(s.backfilled)} backfilled batches acknowledged, ` +
      `${fmt(s.dropped)} dropped (${fmt(s.droppedFrames)} frames), ${fmt(s.reconnects)} reconnects`,
    `  latency   publish → PUBACK p50 ${fmt(s.latencyMs.p50, 2)} ms, p99 ${fmt(s.latencyMs.p99, 2)} ms, ` +
      `max ${fmt(s.latencyMs.max, 2)} ms`,
    '',
  ].join('\n');
}

function floodSummaryText(s: FloodSummary): string {
  return [
    `Flood over ${s.connections} connections for ${fmt(s.seconds, 1)} s ` +
      `(${s.framesPerBatch} frames, ${s.payloadBytes} bytes per batch):`,
    `  batches   ${fmt(s.published)} published, ${fmt(s.acked)} acknowledged, ${fmt(s.failed)} failed`,
    `  rate      ${fmt(s.ackedPerS)} batches/s, ` +
      `${fmt(s.ackedPerS * s.framesPerBatch)} frames/s acknowledged by the broker`,
    `  latency   publish → PUBACK p50 ${fmt(s.latencyMs.p50, 2)} ms, p99 ${fmt(s.latencyMs.p99, 2)} ms, ` +
      `max ${fmt(s.latencyMs.max, 2)} ms`,
    '',
  ].join('\n');
}

async function runSimulate(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  const sim = await import('@telltale/simulator');
  // Device secrets derive from the seed: provisioning must not use a public one.
  const seed = v.seed ?? (v.provision ? sim.randomSeed() : '1');
  if (v.provision && v.seed === undefined) {
    io.stderr.write(`Provisioning with the random seed ${seed}: pass --seed ${seed} to run these vehicles again.\n`);
  } else if (v.provision && seed.length < sim.MIN_SECRET_SEED_LENGTH) {
    io.stderr.write(
      `Warning: --seed ${seed} is short; anyone who knows it can derive these devices' secrets (use a random seed ` +
        `of ${sim.MIN_SECRET_SEED_LENGTH}+ characters outside tests).\n`,
    );
  }
  const flood = v.flood === true;
  const log = createLogger({
    service: 'simulator',
    level: (io.env.LOG_LEVEL as 'info' | undefined) ?? 'warn',
    destination: 2,
  });
  // Options first (fast feedback), then the model (a second or two for a large catalog).
  const specs = (v.fault ?? []).map((f) => sim.parseFaultSpec(f));
  const model = await sim.loadSimModel(v.model ?? 'aurora-ev-2026', io.cwd, io.env);
  const modelId = model.catalog.modelId;

  let identities: DeviceIdentity[];
  const requested =
    v.vehicles === undefined ? undefined : number(v.vehicles, '--vehicles', 1, { min: 1, max: 100_000, integer: true });
  if (v['vehicles-file'] !== undefined) {
    if (v.provision)
      throw new CliUsageError(
        '--provision and --vehicles-file exclude each other (the file lists existing registrations)',
      );
    const all = sim.parseCredentialsCsv(readInputFile(io, v['vehicles-file']).toString('utf8'));
    if (requested !== undefined && requested > all.length)
      throw new CliUsageError(`--vehicles ${requested} but ${v['vehicles-file']} lists ${all.length}`);
    identities = all.slice(0, requested ?? all.length);
  } else {
    identities = sim.simulatedIdentities(seed, modelId, requested ?? 1);
  }
  const count = identities.length;
  const mqttUrl = v['mqtt-url'] ?? io.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const topicPrefix = v['topic-prefix'] ?? '';
  const durationS = v.duration === undefined ? Infinity : number(v.duration, '--duration', 10, { min: 0.1 });
  const inflight = number(v.inflight, '--inflight', flood ? 32 : 8, { min: 1, max: 10_000, integer: true });
  const clientIdPrefix = v['client-id-prefix'] ?? (flood ? 'flood-' : 'tbox-');

  if (v.provision) {
    const authPort = Number(io.env.MQTT_AUTH_PORT ?? 1884);
    const brokerSync = new URL(mqttUrl).port === String(authPort);
    const result = await sim.provisionFleet({
      env: io.env,
      identities,
      fleetId: sim.simulatedFleetId(seed),
      modelId,
      catalogVersion: model.catalog.catalogVersion,
      brokerSync,
    });
    io.stderr.write(
      `Provisioned ${result.imported.vehicles} vehicles and devices in schema ${result.schema} ` +
        `(fleet ${sim.simulatedFleetId(seed)}).\n`,
    );
    if (result.broker) {
      io.stderr.write(
        `Wrote ${result.broker.devices} broker credentials to ${result.broker.dir}` +
          (result.broker.reloaded ? ' and reloaded Mosquitto' : ' (no authenticating Mosquitto running to reload)') +
          '.\n',
      );
    }
  }

  const controller = new AbortController();
  const hardStop = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) {
      hardStop.abort();
      return;
    }
    io.stderr.write('\nStopping: finishing uploads (Ctrl-C again to stop now)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressWriter(io);
  try {
    if (flood) {
      const seqStart =
        v['seq-start'] === undefined || v['seq-start'] === 'clock'
          ? sim.floodSeqStart()
          : number(v['seq-start'], '--seq-start', 0, { min: 2 ** 28, max: 2 ** 32 - 1, integer: true });
      const summary = await sim.runFlood({
        model,
        identities,
        seed,
        mqttUrl,
        topicPrefix,
        anonymous: v.anonymous === true,
        durationS: Number.isFinite(durationS) ? durationS : 24 * 3600,
        framesPerBatch: number(v.frames, '--frames', 10, { min: 1, max: 10_000, integer: true }),
        maxInflight: inflight,
        seqStart,
        clientIdPrefix,
        log,
        signal: controller.signal,
        onProgress: (p) =>
          progress.write(
            `flood ${fmt(p.elapsedS)} s: ${p.connected}/${count} connected, ${fmt(p.acked)} acked, ` +
              `${fmt(p.ackedPerS)} batches/s, ${p.inflight} in flight`,
          ),
      });
      progress.done();
      io.stdout.write(
        v.json ? `${JSON.stringify({ ...summary, ackedByVin: undefined })}\n` : floodSummaryText(summary),
      );
      return 0;
    }

    const faults = sim.assignFaults(specs, model, count, seed);
    const faultAfterS = number(v['fault-after'], '--fault-after', 10, { min: 0 });
    for (const [vehicle, list] of [...faults.entries()].sort((a, b) => a[0] - b[0])) {
      for (const fault of list)
        io.stderr.write(
          `Fault on vehicle ${vehicle} (${identities[vehicle]!.vin}) from ${faultAfterS} s: ` +
            `${sim.describeFault(fault, model)}\n`,
        );
    }
    const outages = (v.outage ?? []).map((o) => parseOutage(sim, o, count, seed));
    const seqStartText = v['seq-start'] ?? '1';
    const seqStart =
      seqStartText === 'clock'
        ? Math.floor((Date.now() - Date.UTC(2025, 0, 1)) / 100)
        : number(seqStartText, '--seq-start', 1, { min: 1, max: 2 ** 32 - 1, integer: true });
    io.stderr.write(
      `Simulating ${count} × ${model.catalog.displayName} ` +
        `(${model.messages.length} messages, ${fmt(model.framesPerSecond)} frames/s each) → ${mqttUrl}\n`,
    );
    const summary = await sim.runFleet({
      model,
      identities,
      seed,
      rateHz: number(v.rate, '--rate', 1, { min: 0.01, max: 100 }),
      durationS,
      mqttUrl,
      topicPrefix,
      anonymous: v.anonymous === true,
      faults,
      faultAfterS,
      outages,
      outboxLimit: number(v.outbox, '--outbox', 300, { min: 1, max: 1_000_000, integer: true }),
      maxInflight: inflight,
      seqStart,
      firmwareVersion: 'telltale-simulator-0.1.0',
      clientIdPrefix,
      drainTimeoutMs: 15_000,
      log,
      signal: controller.signal,
      hardStop: hardStop.signal,
      onProgress: (p) =>
        progress.write(
          `${fmt(p.elapsedS)} s: ${p.connected}/${p.vehicles} connected, ` +
            `batches ${fmt(p.published)} sent / ${fmt(p.acked)} acked, ` +
            `${fmt(p.framesPerS)} frames/s, ${fmt(p.pending)} pending` +
            (p.dropped > 0 ? `, ${fmt(p.dropped)} dropped` : ''),
        ),
    });
    progress.done();
    io.stdout.write(v.json ? `${JSON.stringify(summary)}\n` : fleetSummaryText(summary));
    return summary.batchesAcked > 0 || summary.batchesSealed === 0 ? 0 : 1;
  } catch (error) {
    progress.done();
    if (error instanceof RangeError) throw new TelltaleError('SIMULATION_INVALID', error.message, { cause: error });
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const simulateCommands: readonly Command[] = [
  {
    path: ['simulate'],
    summary: 'Simulate a fleet of T-Boxes (physics, faults, store-and-forward) or flood the gateway with load',
    usage,
    run: runSimulate,
  },
];
