/**
 * The small fleet `telltale start` drives through the pipeline: vehicles of both bundled models, registered in the
 * registry, with faults on a schedule so the example rules raise an alert within the first minute. The same code as
 * `telltale simulate --provision` (the simulator's runFleet and provisionFleet), in this process.
 */
import type { Logger } from '@telltale/platform';
import type { FleetOptions, FleetSummary } from '@telltale/simulator';

export interface FleetPart {
  readonly modelId: string;
  readonly vehicles: number;
  /** Simulator fault specs (see `telltale simulate --help`). */
  readonly faults: readonly string[];
  /** Seconds after the fleet starts when its faults begin. */
  readonly faultAfterS: number;
}

export const AURORA = 'aurora-ev-2026';
export const VAN = 'cargo-van-e-2025';
export const SEED = 'start';

/**
 * Splits `vehicles` between the models (the van first: its traffic is lighter) and schedules two faults: a BMS DTC
 * on the first van after `faultAfterS` (raises bms.dtc-confirmed at once) and an over-temperature on the first
 * Aurora 30 s later (bms.cell-over-temperature once the module passes 55 °C).
 */
export function planFleet(vehicles: number, faultAfterS: number): FleetPart[] {
  const vans = Math.ceil(vehicles / 2);
  const auroras = vehicles - vans;
  const parts: FleetPart[] = [{ modelId: VAN, vehicles: vans, faults: ['dtc:0'], faultAfterS }];
  if (auroras > 0)
    parts.push({ modelId: AURORA, vehicles: auroras, faults: ['over-temperature:0'], faultAfterS: faultAfterS + 30 });
  return parts;
}

/** First device sequence number: derived from the clock, so a restart is not dropped by the gateway's dedupe. */
export function clockSeqStart(nowMs = Date.now()): number {
  return Math.floor((nowMs - Date.UTC(2025, 0, 1)) / 100);
}

export interface RunningFleet {
  /** Stops recording, waits for queued batches (bounded), resolves with each model's summary. */
  stop(): Promise<FleetSummary[]>;
}

export interface PreparedFleet {
  readonly vins: readonly string[];
  /** One line per model and fault, for the start-up report. */
  readonly description: readonly string[];
  /** Connects the vehicles and starts sending. */
  start(): RunningFleet;
}

/** Loads the models and registers the vehicles (the slow part), without connecting yet. */
export async function prepareSimulatedFleet(options: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  parts: readonly FleetPart[];
  mqttUrl: string;
  topicPrefix: string;
  log: Logger;
}): Promise<PreparedFleet> {
  const sim = await import('@telltale/simulator');
  const vins: string[] = [];
  const description: string[] = [];
  const fleetId = sim.simulatedFleetId(SEED);
  const prepared: Omit<FleetOptions, 'seqStart' | 'signal' | 'hardStop'>[] = [];
  for (const part of options.parts) {
    const model = await sim.loadSimModel(part.modelId, options.cwd, options.env);
    const identities = sim.simulatedIdentities(SEED, part.modelId, part.vehicles);
    await sim.provisionFleet({
      env: options.env,
      identities,
      fleetId,
      modelId: part.modelId,
      catalogVersion: model.catalog.catalogVersion,
      brokerSync: false,
    });
    const faults = sim.assignFaults(
      part.faults.map((f) => sim.parseFaultSpec(f)),
      model,
      part.vehicles,
      SEED,
    );
    for (const identity of identities) vins.push(identity.vin);
    description.push(`${part.vehicles} × ${model.catalog.displayName} (${part.modelId})`);
    for (const [vehicle, list] of faults)
      for (const fault of list)
        description.push(
          `  fault after ${part.faultAfterS} s on ${identities[vehicle]!.vin}: ${sim.describeFault(fault, model)}`,
        );
    prepared.push({
      model,
      identities,
      seed: SEED,
      rateHz: 1,
      durationS: Infinity,
      mqttUrl: options.mqttUrl,
      topicPrefix: options.topicPrefix,
      anonymous: true,
      faults,
      faultAfterS: part.faultAfterS,
      outages: [],
      outboxLimit: 300,
      maxInflight: 8,
      firmwareVersion: 'telltale-start',
      clientIdPrefix: `tbox-${options.topicPrefix.replace(/\W/g, '')}${part.modelId}-`,
      drainTimeoutMs: 3000,
      log: options.log,
    });
  }
  return {
    vins,
    description,
    start: () => {
      const controller = new AbortController();
      const hardStop = new AbortController();
      const seqStart = clockSeqStart();
      const runs = prepared.map((p) => {
        const run = sim.runFleet({ ...p, seqStart, signal: controller.signal, hardStop: hardStop.signal });
        run.catch((err: unknown) => options.log.error({ err }, 'A simulated fleet stopped with an error.'));
        return run;
      });
      return {
        stop: async () => {
          controller.abort();
          const timer = setTimeout(() => hardStop.abort(), 4000);
          try {
            const settled = await Promise.allSettled(runs);
            return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          } finally {
            clearTimeout(timer);
          }
        },
      };
    },
  };
}
