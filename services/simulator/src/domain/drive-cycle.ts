/**
 * A synthetic driver: a Markov chain of road phases (urban, rural, highway, stop) with a target speed each, tracked
 * with limited acceleration and jerk, so speed traces look like real trips (stop-and-go in town, steady on the
 * motorway) without replaying a fixed cycle. Parking and charging phases are entered by the vehicle model.
 */
import type { Rng } from './rng.js';

export type RoadPhase = 'park' | 'stop' | 'urban' | 'rural' | 'highway' | 'charge';

const TARGETS: Record<Exclude<RoadPhase, 'park' | 'stop' | 'charge'>, readonly [number, number]> = {
  urban: [30, 55],
  rural: [65, 95],
  highway: [105, 135],
};

const DURATIONS_S: Record<RoadPhase, readonly [number, number]> = {
  park: [4, 10],
  stop: [4, 35],
  urban: [20, 90],
  rural: [60, 240],
  highway: [120, 480],
  charge: [Infinity, Infinity],
};

const NEXT: Record<RoadPhase, readonly (readonly [RoadPhase, number])[]> = {
  park: [['urban', 1]],
  stop: [
    ['urban', 0.85],
    ['rural', 0.15],
  ],
  urban: [
    ['stop', 0.45],
    ['urban', 0.25],
    ['rural', 0.3],
  ],
  rural: [
    ['urban', 0.3],
    ['highway', 0.4],
    ['rural', 0.2],
    ['stop', 0.1],
  ],
  highway: [
    ['rural', 0.6],
    ['highway', 0.4],
  ],
  charge: [['urban', 1]],
};

export interface DriverOutput {
  /** Longitudinal acceleration the driver asks for, m/s². */
  readonly accelMps2: number;
  readonly phase: RoadPhase;
}

export class DriveCycle {
  phase: RoadPhase = 'park';
  private phaseLeftS: number;
  private targetKmh = 0;
  private wobbleKmh = 0;
  private accel = 0;

  constructor(
    private readonly rng: Rng,
    private readonly maxAccelMps2 = 2.2,
    private readonly maxDecelMps2 = 3.0,
  ) {
    this.phaseLeftS = rng.range(...DURATIONS_S.park);
  }

  /** Switches to a phase imposed from outside (charging) or back to driving. */
  force(phase: RoadPhase): void {
    this.enter(phase);
  }

  get targetSpeedKmh(): number {
    return Math.max(0, this.targetKmh + this.wobbleKmh);
  }

  step(dtS: number, speedKmh: number): DriverOutput {
    this.phaseLeftS -= dtS;
    if (this.phaseLeftS <= 0) {
      // A stop ends only once the vehicle stands still; a drive phase may end anywhere.
      if (this.phase !== 'stop' || speedKmh < 0.5) this.enter(this.choose(NEXT[this.phase]));
    }
    // The driver's speed wanders around the target (Ornstein–Uhlenbeck, ±3 km/h).
    this.wobbleKmh += (-this.wobbleKmh / 8) * dtS + this.rng.normal() * 1.2 * Math.sqrt(dtS);
    const target = this.phase === 'park' || this.phase === 'stop' || this.phase === 'charge' ? 0 : this.targetSpeedKmh;
    const errorMps = (target - speedKmh) / 3.6;
    // Gentle in town, firmer on approach to a stop; limited jerk keeps the trace smooth.
    let desired = errorMps * (target === 0 ? 0.5 : 0.35);
    if (target === 0 && speedKmh < 12) desired = -Math.min(this.maxDecelMps2 * 0.6, speedKmh / 3.6 / 1.5 + 0.3);
    const highSpeedLimit = this.maxAccelMps2 * Math.max(0.35, 1 - speedKmh / 180);
    desired = Math.min(highSpeedLimit, Math.max(-this.maxDecelMps2, desired));
    const jerk = 2.5 * dtS;
    this.accel += Math.min(jerk, Math.max(-jerk, desired - this.accel));
    if (speedKmh <= 0 && this.accel < 0) this.accel = 0;
    return { accelMps2: this.accel, phase: this.phase };
  }

  private choose(options: readonly (readonly [RoadPhase, number])[]): RoadPhase {
    let roll = this.rng.next();
    for (const [phase, p] of options) {
      roll -= p;
      if (roll <= 0) return phase;
    }
    return options[options.length - 1]![0];
  }

  private enter(phase: RoadPhase): void {
    this.phase = phase;
    const [low, high] = DURATIONS_S[phase];
    this.phaseLeftS = Number.isFinite(low) ? this.rng.range(low, high) : Infinity;
    if (phase === 'urban' || phase === 'rural' || phase === 'highway')
      this.targetKmh = this.rng.range(...TARGETS[phase]);
    else this.targetKmh = 0;
  }
}
