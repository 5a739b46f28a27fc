/**
 * The time the timers of one owned input partition's vehicles are advanced to ("no update for T", `for` and clear
 * delays): each partition runs on a clock of its own, like Flink's `withIdleness` or Kafka Streams' stream time.
 *
 * - Backlog (the partition is behind): the newest gateway receive time consumed on it, so a replay does not fire
 *   silence for vehicles whose data is still in the backlog.
 * - Caught up: the wall clock, but never more than `heldMarginMs` past the newest receive time consumed on the
 *   partition. While records flow that is the wall clock; when the partition goes quiet, its clock is held there:
 *   diagnostics cannot tell a silent vehicle from a stall upstream (a Kafka broker failover holding the gateway's
 *   writes to the partitions it led, a slow decoder), and firing silence on the wall clock during a stall raises
 *   false "sensor silent" alerts, then evaluates the late samples at the advanced time.
 * - Idle: once the partition has had no live record for `idleHoldMs` (longer than a broker failover), its silence is
 *   taken as real and its clock is the wall clock again. A vehicle alone on its partition fires its silence timers
 *   late by at most the hold, at the same event times. A real fleet's partitions never go quiet that long.
 *
 * `idleHoldMs` 0 turns the hold off: caught up is the wall clock. `atMs` undefined: no clock yet (a backlog before its
 * first live record; a partition just claimed, nothing consumed on it, the hold not over): its vehicles stay put.
 */
export interface PartitionFlow {
  readonly caughtUp: boolean;
  /** The newest gateway receive time of a live (not backfilled) batch consumed on the partition; 0 before one. */
  readonly newestArrivalMs: number;
  /** Wall-clock time a live batch was last consumed on the partition, or the partition was claimed. */
  readonly lastLiveMs: number;
}

export interface TimerClockSettings {
  /** A caught-up partition quiet this long is idle: its clock is the wall clock. 0: no hold. */
  readonly idleHoldMs: number;
  /** How far past its newest receive time a quiet partition's clock may run (the engine's silence grace). */
  readonly heldMarginMs: number;
}

/** Which of the cases above a partition's clock is in (exported as a gauge: a held partition may be stalled). */
export type PartitionClockState = 'behind' | 'flowing' | 'held' | 'idle';

export interface PartitionClock {
  readonly state: PartitionClockState;
  readonly atMs: number | undefined;
}

export function partitionClock(flow: PartitionFlow, wallClockMs: number, settings: TimerClockSettings): PartitionClock {
  const arrival = flow.newestArrivalMs > 0 ? flow.newestArrivalMs : undefined;
  if (!flow.caughtUp) return { state: 'behind', atMs: arrival };
  if (settings.idleHoldMs === 0) return { state: 'flowing', atMs: wallClockMs };
  if (wallClockMs - flow.lastLiveMs >= settings.idleHoldMs) return { state: 'idle', atMs: wallClockMs };
  if (arrival === undefined) return { state: 'held', atMs: undefined };
  const held = arrival + settings.heldMarginMs;
  return held >= wallClockMs ? { state: 'flowing', atMs: wallClockMs } : { state: 'held', atMs: held };
}
