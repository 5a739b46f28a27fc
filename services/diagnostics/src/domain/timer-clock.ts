/**
 * The time the timers of silent vehicles are advanced to ("no update for T", `for` and clear delays). Once every
 * owned partition is caught up it is the wall clock; while a backlog is consumed it is the newest gateway receive
 * time consumed, so a restart that replays the backlog does not fire silence for vehicles whose data is still in it.
 * undefined: no clock yet (nothing owned, or nothing consumed during a replay).
 */
export interface TimerClockInput {
  readonly ownedPartitions: number;
  readonly caughtUp: boolean;
  readonly wallClockMs: number;
  /** The newest gateway receive time of a live (not backfilled) batch consumed; 0 before the first one. */
  readonly newestArrivalMs: number;
}

export function timerClockMs(input: TimerClockInput): number | undefined {
  if (input.ownedPartitions === 0) return undefined;
  const now = input.caughtUp ? input.wallClockMs : input.newestArrivalMs;
  return now > 0 ? now : undefined;
}
