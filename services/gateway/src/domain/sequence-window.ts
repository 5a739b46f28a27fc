/**
 * How far ahead of a device's newest batch a sequence number may jump. A T-Box numbers its batches one by one, so a
 * batch far ahead of the newest one seen for its stream (device id + boot id) is not telemetry: it is a broken
 * counter or a device walking its seq to spread dedupe keys (each 4096-seq block is a Redis key). Such batches are
 * rejected (SEQ_OUT_OF_WINDOW: dead-lettered, counted) instead of written; a real reset is declared with a new
 * boot id, which starts a new stream. Batches behind the newest (backfill, redelivery) are not limited here: the
 * dedupe window handles them.
 *
 * The newest seq per stream is kept in memory per gateway instance, bounded (least recently used streams are
 * forgotten; a forgotten or new stream accepts any first seq). Pure: no I/O.
 */
export class SequenceWindow {
  private readonly newest = new Map<string, number>();

  constructor(
    /** A batch more than this many seqs ahead of its stream's newest is rejected. */
    readonly maxJump: number,
    /** Streams remembered; beyond this the least recently used one is forgotten. */
    readonly maxStreams: number,
  ) {}

  /** Whether `seq` is too far ahead of the newest seq accepted for `stream`. */
  isFarAhead(stream: string, seq: number): boolean {
    const newest = this.newest.get(stream);
    return newest !== undefined && seq > newest + this.maxJump;
  }

  /** Records an accepted batch. */
  advance(stream: string, seq: number): void {
    const newest = this.newest.get(stream);
    // Re-insert so the map's order is least recently used first.
    if (newest !== undefined) this.newest.delete(stream);
    this.newest.set(stream, newest === undefined ? seq : Math.max(newest, seq));
    if (this.newest.size > this.maxStreams) {
      const oldest = this.newest.keys().next();
      if (!oldest.done) this.newest.delete(oldest.value);
    }
  }

  get size(): number {
    return this.newest.size;
  }
}
