/**
 * One simulated vehicle's CAN traffic: the physics model stepped every 100 ms of simulated time, every message sent
 * at its cycle time with its own phase, multiplexed messages cycling through their pages, E2E counters counting
 * and CRCs computed, fault scenarios switched on at their start time. Pure and deterministic: the same model, seed
 * and vehicle index produce the same frames whatever the wall clock does.
 *
 * A message's signal values are evaluated at most once per physics tick (10 Hz) and its encoded bytes reused within
 * the tick, so fast messages (10 ms cycles) cost a copy and a counter/CRC update per frame.
 */
import { writeRaw } from './encode.js';
import { crc8J1850 } from './crc.js';
import type { FrameBuffer } from './frames.js';
import { startSlowFault, type ResolvedFault } from './faults.js';
import type { SignalSource } from './bindings.js';
import type { SimModel, SimMessage } from './model.js';
import { VehiclePhysics, type PhysicsOptions } from './physics.js';
import { Rng } from './rng.js';

export const TICK_US = 100_000;
/** Random walks of unmodelled signals move once a second (10 ticks). */
const WALK_TICKS = 10;

export interface VehicleOptions {
  readonly seed: number | string;
  readonly index: number;
  readonly faults?: readonly ResolvedFault[];
  /** Simulated time at which the faults start. */
  readonly faultAfterS?: number;
  readonly physics?: Partial<Pick<PhysicsOptions, 'ambientC' | 'initialSocPct'>>;
}

interface MessageRuntime {
  readonly sim: SimMessage;
  nextUs: number;
  page: number;
  counter: number;
  refreshedTick: number;
  /** Tick of the last random-walk update (walks move once a second). */
  walkedTick: number;
  /** +1 whenever a value changes; the cache of a page is valid while its version matches. */
  version: number;
  readonly values: Float64Array;
  /** Random-walk deviation and per-vehicle baseline offset per signal (only for messages with walks). */
  readonly walk: Float64Array | undefined;
  readonly walkBias: Float64Array | undefined;
  readonly rng: Rng;
  /** Encoded bytes per page, valid for `cacheTick[page]`. */
  readonly cache: Uint8Array;
  readonly cacheVersion: Float64Array;
  silent: boolean;
  overrides: readonly (readonly [number, number])[] | undefined;
}

export class VehicleSimulator {
  readonly physics: VehiclePhysics;
  private readonly runtimes: MessageRuntime[];
  private tick = 0;
  private tickStepped = false;
  /** Frames have been generated up to here (exclusive), µs of simulated time. */
  private doneUs = 0;
  private faultsActive = false;
  private readonly faultAfterUs: number;
  private readonly faults: readonly ResolvedFault[];
  private keys: Float64Array;

  constructor(
    readonly model: SimModel,
    options: VehicleOptions,
  ) {
    this.physics = new VehiclePhysics(model.spec, {
      seed: options.seed,
      label: `vehicle-${options.index}`,
      ...options.physics,
    });
    this.faults = options.faults ?? [];
    this.faultAfterUs = Math.max(0, (options.faultAfterS ?? 0) * 1e6);
    const phaseRng = Rng.derive(options.seed, `vehicle-${options.index}`, 'phases');
    this.runtimes = model.messages.map((sim) => {
      const walks = sim.plan.sources.some((s) => s.kind === 'walk');
      const rng = Rng.derive(options.seed, `vehicle-${options.index}`, sim.busName, sim.message.name);
      const walkBias = walks
        ? Float64Array.from(sim.plan.sources, (s) =>
            s.kind === 'walk' ? (rng.next() * 2 - 1) * s.spread * s.amplitude : 0,
          )
        : undefined;
      const values = new Float64Array(sim.message.signals.length);
      sim.plan.sources.forEach((source, i) => {
        if (source.kind === 'constant') values[i] = source.value;
      });
      return {
        sim,
        nextUs: Math.floor(phaseRng.next() * sim.cycleUs),
        page: 0,
        counter: 0,
        refreshedTick: -1,
        walkedTick: -1,
        version: 0,
        values,
        walk: walks ? new Float64Array(sim.message.signals.length) : undefined,
        walkBias,
        rng,
        cache: new Uint8Array(sim.encoder.pages.length * sim.encoder.length),
        cacheVersion: new Float64Array(sim.encoder.pages.length).fill(-1),
        silent: false,
        overrides: undefined,
      };
    });
    // Room for one tick's frames as sort keys; grows when a model sends more.
    this.keys = new Float64Array(
      Math.max(64, Math.ceil((model.framesPerSecond * TICK_US) / 1e6) * 2 + model.messages.length),
    );
  }

  /** Simulated time reached so far, µs. */
  get timeUs(): number {
    return this.doneUs;
  }

  /** Appends every frame sent in [timeUs, untilUs) to `out`, in time order. */
  run(untilUs: number, out: FrameBuffer): void {
    while (this.doneUs < untilUs) {
      const tickStart = this.tick * TICK_US;
      const tickEnd = tickStart + TICK_US;
      if (!this.tickStepped) {
        if (this.tick > 0) this.physics.step(TICK_US / 1e6);
        if (!this.faultsActive && tickStart >= this.faultAfterUs && this.faults.length > 0) this.activateFaults();
        this.tickStepped = true;
      }
      const end = Math.min(tickEnd, untilUs);
      this.emit(this.doneUs, end, out);
      this.doneUs = end;
      if (end === tickEnd) {
        this.tick += 1;
        this.tickStepped = false;
      }
    }
  }

  private activateFaults(): void {
    this.faultsActive = true;
    for (const fault of this.faults) {
      switch (fault.kind) {
        case 'cell-imbalance':
          this.physics.startCellLeak(fault.cell);
          break;
        case 'over-temperature':
          this.physics.startModuleHeating(fault.module);
          break;
        case 'sensor-silent':
          this.runtimes[fault.message]!.silent = true;
          break;
        case 'cell-self-discharge':
        case 'coolant-pump-wear':
        case 'tyre-slow-leak':
          startSlowFault(this.physics, fault);
          break;
        case 'dtc':
          for (const [message, overrides] of fault.overrides) {
            const rt = this.runtimes[message]!;
            rt.overrides = overrides;
            rt.refreshedTick = -1;
            rt.version += 1;
          }
          break;
      }
    }
  }

  /** Frames in [from, to) within the current tick. */
  private emit(fromUs: number, toUs: number, out: FrameBuffer): void {
    // Sort key: time since `fromUs` × 2^16 + message index (exact as a double for windows under ~4 hours).
    let n = 0;
    let keys = this.keys;
    for (let m = 0; m < this.runtimes.length; m++) {
      const rt = this.runtimes[m]!;
      while (rt.nextUs < toUs) {
        if (rt.nextUs >= fromUs && !rt.silent) {
          if (n === keys.length) keys = this.growKeys(keys);
          keys[n++] = (rt.nextUs - fromUs) * 65536 + m;
        }
        rt.nextUs += rt.sim.cycleUs;
      }
    }
    const sorted = keys.subarray(0, n).sort();
    for (let k = 0; k < n; k++) {
      const key = sorted[k]!;
      const m = key % 65536;
      this.writeFrame(this.runtimes[m]!, fromUs + (key - m) / 65536, out);
    }
  }

  private growKeys(keys: Float64Array): Float64Array {
    const bigger = new Float64Array(keys.length * 2);
    bigger.set(keys);
    this.keys = bigger;
    return bigger;
  }

  private writeFrame(rt: MessageRuntime, timeUs: number, out: FrameBuffer): void {
    const sim = rt.sim;
    const encoder = sim.encoder;
    const length = encoder.length;
    const pages = encoder.pages.length;
    const page = rt.page;
    rt.page = page + 1 === pages ? 0 : page + 1;
    if (rt.refreshedTick !== this.tick) this.refresh(rt);
    if (rt.cacheVersion[page] !== rt.version) {
      encoder.encode(rt.values, page, rt.cache, page * length);
      rt.cacheVersion[page] = rt.version;
    }
    const at = out.append(timeUs, sim.busIndex, sim.message.frameId, sim.flags, length);
    // A byte loop: frames are at most 64 bytes, and a subarray per frame would be an allocation per frame.
    const data = out.data;
    const cache = rt.cache;
    const from = page * length;
    for (let b = 0; b < length; b++) data[at + b] = cache[from + b]!;
    const plan = sim.plan;
    if (plan.counter >= 0) {
      const source = plan.sources[plan.counter]!;
      const modulo = source.kind === 'counter' ? source.modulo : 16;
      writeRaw(encoder.plans[plan.counter]!, rt.counter, out.data, at);
      rt.counter = rt.counter + 1 >= modulo ? 0 : rt.counter + 1;
    }
    if (plan.crc >= 0) {
      const signal = sim.message.signals[plan.crc]!;
      const crcByte = signal.startBit >> 3;
      writeRaw(encoder.plans[plan.crc]!, crc8J1850(sim.message.frameId, out.data, at, length, crcByte), out.data, at);
    }
  }

  /**
   * Re-evaluates a message's time-varying signals: physics quantities every tick, random walks once a second.
   * Constants were written at start. The version moves only when a value changed, so unchanged frames are copies.
   */
  private refresh(rt: MessageRuntime): void {
    rt.refreshedTick = this.tick;
    const state = this.physics.state;
    const plan = rt.sim.plan;
    const sources = plan.sources;
    const values = rt.values;
    let changed = false;
    const physics = plan.physics;
    for (let k = 0; k < physics.length; k++) {
      const i = physics[k]!;
      const value = (sources[i] as Extract<SignalSource, { kind: 'physics' }>).read(state);
      if (value !== values[i]) {
        values[i] = value;
        changed = true;
      }
    }
    const walks = plan.walks;
    if (walks.length > 0 && (rt.walkedTick < 0 || this.tick - rt.walkedTick >= WALK_TICKS)) {
      const dtS = rt.walkedTick < 0 ? 0 : ((this.tick - rt.walkedTick) * TICK_US) / 1e6;
      rt.walkedTick = this.tick;
      const walk = rt.walk!;
      for (let k = 0; k < walks.length; k++) {
        const i = walks[k]!;
        const source = sources[i] as Extract<SignalSource, { kind: 'walk' }>;
        // Ornstein–Uhlenbeck deviation (mean-reverting over ~30 s), kept within ±amplitude of the baseline.
        let x = walk[i]!;
        if (dtS > 0) x += -x * Math.min(1, dtS / 30) + rt.rng.normal() * source.amplitude * 0.2 * Math.sqrt(dtS);
        x = Math.max(-source.amplitude, Math.min(source.amplitude, x));
        walk[i] = x;
        const value = Math.max(source.low, Math.min(source.high, source.baseline(state) + rt.walkBias![i]! + x));
        if (value !== values[i]) {
          values[i] = value;
          changed = true;
        }
      }
    }
    if (rt.overrides) {
      for (const [i, value] of rt.overrides) {
        if (value !== values[i]) {
          values[i] = value;
          changed = true;
        }
      }
    }
    if (changed) rt.version += 1;
  }
}
