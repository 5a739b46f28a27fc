/**
 * A T-Box's store-and-forward queue: sealed batches wait here until the broker acknowledges them (PUBACK). While
 * the device is offline they pile up, bounded (the oldest is dropped and counted); after reconnecting they are sent
 * in order, oldest first, a few in flight at a time. Batches that were in flight when a session was torn down go
 * back to the front: a resend is safe because the gateway drops (vin, seq) duplicates.
 */

export interface QueuedUplink {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly frames: number;
  readonly backfill: boolean;
}

export interface SentUplink<T extends QueuedUplink> {
  readonly uplink: T;
  readonly sentAtMs: number;
}

export class UplinkQueue<T extends QueuedUplink = QueuedUplink> {
  private waiting: T[] = [];
  private head = 0;
  private readonly inflight = new Map<number, SentUplink<T>>();
  /** Batches dropped because the queue was full (oldest first). */
  dropped = 0;
  droppedFrames = 0;

  constructor(
    readonly limit: number,
    readonly maxInflight: number,
  ) {
    if (limit < 1 || maxInflight < 1) throw new RangeError('queue limit and in-flight window must be ≥ 1');
  }

  get waitingCount(): number {
    return this.waiting.length - this.head;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  get isEmpty(): boolean {
    return this.waitingCount === 0 && this.inflight.size === 0;
  }

  enqueue(uplink: T): void {
    this.waiting.push(uplink);
    while (this.waitingCount > this.limit) this.dropOldest();
  }

  /** The next batch to publish, now marked in flight; undefined when none waits or the window is full. */
  take(nowMs: number): T | undefined {
    if (this.inflight.size >= this.maxInflight || this.waitingCount === 0) return undefined;
    const uplink = this.waiting[this.head]!;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    this.inflight.set(uplink.seq, { uplink, sentAtMs: nowMs });
    return uplink;
  }

  /** The broker acknowledged `seq`; returns what was sent and when, or undefined for an unknown seq. */
  acked(seq: number): SentUplink<T> | undefined {
    const sent = this.inflight.get(seq);
    if (sent) this.inflight.delete(seq);
    return sent;
  }

  /** Puts every in-flight batch back in front of the queue, oldest first; returns how many. */
  requeueInflight(): number {
    const back = [...this.inflight.values()].map((s) => s.uplink).sort((a, b) => a.seq - b.seq);
    this.inflight.clear();
    this.waiting = [...back, ...this.waiting.slice(this.head)];
    this.head = 0;
    while (this.waitingCount > this.limit) this.dropOldest();
    return back.length;
  }

  private dropOldest(): void {
    const dropped = this.waiting[this.head]!;
    this.head += 1;
    this.dropped += 1;
    this.droppedFrames += dropped.frames;
  }
}
