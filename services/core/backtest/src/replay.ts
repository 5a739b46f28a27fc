/**
 * Replays archived samples through the rule engine that runs live (`RuleEngine` of @telltale/rules: one definition
 * for stream and batch). Pure: rows in, transitions out; no I/O, no clock.
 *
 *   const replay = new RuleReplay(snapshot, { toMs });
 *   replay.push(vehicle, signalId, eventTimeMs, value);   // per vehicle in event-time order, any interleaving
 *   replay.endOfVehicleRun();                             // the rows of the current vehicle stop here (a chunk end)
 *   const transitions = replay.finish();                  // every deadline before toMs fires at its own time
 *
 * How it matches live diagnostics. Live, the engine gets one SampleBatch per uplink and evaluates at each distinct
 * sample time; deadlines (`for`, clear delays, `stale()`, windows emptying) fire at their own event time, either
 * before a later sample of the vehicle is applied or through `advance()` while it is silent. Here a vehicle's rows
 * are fed as batches that never split the samples of one event time (a split would evaluate twice at that time), so
 * the same evaluations happen at the same event times; the silence after a vehicle's last sample is closed by
 * `advanceVehicle(vin, toMs - 1)`, which fires the deadlines a silent vehicle's clock would have reached. Each batch
 * arrives "at" its newest event time, so no sample counts as from the future.
 *
 * What the archive cannot tell (see README): which samples were backfilled (store-and-forward; replayed as live),
 * which came late (replayed at their event time rather than at the vehicle's time then), the state the engine had
 * before `fromMs` (the replay starts empty), and the order of two samples of one signal at one millisecond.
 */
import { SampleBuffer } from './sample-buffer.js';
import { RuleEngine, type AlertTransition, type RuleEngineOptions, type RuleSnapshot } from '@telltale/rules';

export interface ReplayVehicle {
  readonly vin: string;
  readonly modelId: string;
  readonly fleetId: string;
  readonly catalogVersion?: string;
}

export interface RuleReplayOptions {
  /** End of the replayed range, exclusive: deadlines up to toMs - 1 fire in finish(). */
  readonly toMs: number;
  readonly engine?: RuleEngineOptions;
  /** Rows buffered per vehicle run before a batch goes to the engine (default 4096). */
  readonly batchRows?: number;
}

export interface ReplayedVehicle {
  readonly vin: string;
  readonly samples: number;
  readonly firstSampleMs: number;
  readonly lastSampleMs: number;
}

export class RuleReplay {
  private readonly engine: RuleEngine;
  private readonly out: AlertTransition[] = [];
  private readonly vehicles = new Map<string, { vehicle: ReplayVehicle; stats: MutableStats }>();
  private current: { vehicle: ReplayVehicle; stats: MutableStats } | undefined;
  private readonly buffer: SampleBuffer;
  private finished = false;
  /** Samples handed to the engine. */
  samples = 0;

  constructor(
    snapshot: RuleSnapshot,
    private readonly options: RuleReplayOptions,
  ) {
    this.engine = new RuleEngine(options.engine ?? {});
    this.engine.setRules(snapshot);
    this.buffer = new SampleBuffer(Math.max(16, options.batchRows ?? 4096));
  }

  /** The transitions so far (finish() adds the last timers). */
  get transitions(): readonly AlertTransition[] {
    return this.out;
  }

  /**
   * One sample. Rows of one vehicle come in event-time order; a new vehicle ends the run of the previous one (its
   * buffered rows are evaluated). The same vehicle may come back later with later rows (the next hour's files).
   */
  push(vehicle: ReplayVehicle, signalId: number, eventTimeMs: number, value: number): void {
    if (this.current?.vehicle.vin !== vehicle.vin) this.switchTo(vehicle);
    if (this.buffer.full) this.flush(false);
    this.buffer.push(signalId, eventTimeMs, value);
  }

  /** Columns of one vehicle at once (rows start..end-1), in event-time order. */
  pushColumns(
    vehicle: ReplayVehicle,
    signalIds: ArrayLike<number>,
    timesMs: ArrayLike<number>,
    values: ArrayLike<number>,
    start: number,
    end: number,
  ): void {
    if (this.current?.vehicle.vin !== vehicle.vin) this.switchTo(vehicle);
    const buffer = this.buffer;
    for (let i = start; i < end; i++) {
      if (buffer.full) this.flush(false);
      buffer.push(signalIds[i]!, timesMs[i]!, values[i]!);
    }
  }

  /**
   * Every row of a vehicle up to a point no later row of it shares (e.g. its rows of one hour), in event-time order:
   * straight to the engine as one batch, without buffering.
   */
  ingestRun(vehicle: ReplayVehicle, signalIds: Uint32Array, timesMs: Float64Array, values: Float64Array): void {
    if (this.current?.vehicle.vin !== vehicle.vin) this.switchTo(vehicle);
    else this.flush(true);
    this.ingest(signalIds, timesMs, values, timesMs.length);
  }

  /** The current vehicle's rows stop here for now (end of a query): evaluate all of them. */
  endOfVehicleRun(): void {
    this.flush(true);
  }

  /** Ends the replay: evaluates what is buffered, then fires every vehicle's deadlines before toMs. */
  finish(): AlertTransition[] {
    if (this.finished) return this.out;
    this.flush(true);
    this.current = undefined;
    const last = this.options.toMs - 1;
    for (const { vehicle } of this.vehicles.values()) this.out.push(...this.engine.advanceVehicle(vehicle.vin, last));
    this.finished = true;
    return this.out;
  }

  /** Per vehicle: samples replayed, first and last sample time. */
  replayedVehicles(): ReplayedVehicle[] {
    return [...this.vehicles.values()].map(({ vehicle, stats }) => ({ vin: vehicle.vin, ...stats }));
  }

  private switchTo(vehicle: ReplayVehicle): void {
    this.flush(true);
    let entry = this.vehicles.get(vehicle.vin);
    if (entry === undefined) {
      entry = { vehicle, stats: { samples: 0, firstSampleMs: NaN, lastSampleMs: NaN } };
      this.vehicles.set(vehicle.vin, entry);
    }
    this.current = entry;
  }

  /**
   * Hands the buffered rows to the engine as one batch. Unless `all`, the rows of the newest event time stay behind
   * (more of them may follow), so one event time is never split over two batches.
   */
  private flush(all: boolean): void {
    const { buffer } = this;
    const n = buffer.length;
    if (n === 0 || this.current === undefined) return;
    let cut = n;
    if (!all) {
      const lastTime = buffer.times[n - 1]!;
      while (cut > 0 && buffer.times[cut - 1] === lastTime) cut--;
      if (cut === 0) {
        // One event time fills the whole buffer: grow it rather than split the time.
        buffer.grow();
        return;
      }
    }
    this.ingest(buffer.ids, buffer.times, buffer.values, cut);
    buffer.shift(cut);
  }

  /** Rows 0..count-1 of the columns, as one batch of the current vehicle. */
  private ingest(ids: Uint32Array, times: Float64Array, values: Float64Array, count: number): void {
    if (count === 0 || this.current === undefined) return;
    const { vehicle, stats } = this.current;
    const result = this.engine.ingest({
      vin: vehicle.vin,
      modelId: vehicle.modelId,
      fleetId: vehicle.fleetId,
      catalogVersion: vehicle.catalogVersion ?? '',
      signalIds: ids.subarray(0, count),
      values: values.subarray(0, count),
      timesMs: times.subarray(0, count),
      arrivalTimeMs: times[count - 1]!,
    });
    for (const t of result.transitions) this.out.push(t);
    if (Number.isNaN(stats.firstSampleMs)) stats.firstSampleMs = times[0]!;
    stats.lastSampleMs = times[count - 1]!;
    stats.samples += count;
    this.samples += count;
  }
}

interface MutableStats {
  samples: number;
  firstSampleMs: number;
  lastSampleMs: number;
}
