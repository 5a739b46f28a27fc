/**
 * The store's consumer loop as a two-stage pipeline over polls: the partition batches handed over together become
 * one poll, and while one poll's history is written, the next poll is decoded, coalesced and its latest values
 * written.
 *
 * Why (services/store/README.md, "Latency"): kafkajs fetches every assigned partition in one request, hands the
 * batches to its workers and fetches again only once all of them are handled. Handled one after another, each
 * partition batch paid two transactions and an offset commit, and a record fetched just after a round began waited
 * for the whole round, history writes included, before its own latest values were written: at 10 premium EVs on 6
 * partitions that queue was most of the p99.
 *
 * - Gathering: the batches of one fetch arrive within one turn of the event loop (the partitions are consumed
 *   concurrently); they are gathered until `setImmediate` and written as one poll. Each batch's latest values are
 *   written as soon as that batch is decoded and coalesced (one latest-value transaction per batch, in arrival
 *   order), so a record does not wait for the whole poll's decode and latest-value write; the poll's history is one
 *   transaction. A partition's records stay in offset order, and a vehicle's records are in one partition.
 * - Two stages: `visible` (decode, coalesce, latest values committed, batch by batch) runs for one poll at a time;
 *   `durable` (history, dead letters) runs for one poll at a time, in poll order, each after the previous one;
 *   then the poll's offsets are committed (`commit`). The batches' promises resolve once their poll is visible and
 *   the poll before it is durable, so kafkajs fetches the next poll while this one's history is written, and at
 *   most one poll is visible but not yet durable.
 * - Commit after durable: offsets are committed only by the durable stage, after the poll's output and that of
 *   every poll before it is durable. If a durable stage fails, its batches were already handed back to kafkajs
 *   (which has moved past them), so the pipeline stops: no later poll commits, every batch is refused, and
 *   `restart` tells the consumer to start again from its committed offsets (`resume` once it stopped). The writes
 *   are idempotent, so the polls after the failed one are simply written again.
 */

/** What the pipeline needs of a record: its partition and offset. */
export interface PolledRecord {
  readonly partition: number;
  readonly offset: string;
}

export interface PollStages<R extends PolledRecord, W> {
  /**
   * One partition batch of a poll (`takenMs`: when the poll was taken): decodes, coalesces, commits the latest
   * values; resolves with what `durable` needs. The batches of a poll go through it one after another.
   */
  visible(records: readonly R[], takenMs: number): Promise<W>;
  /** Writes the rest of the poll's output (history, dead letters) for all its batches; resolves once durable. */
  durable(work: readonly W[]): Promise<void>;
  /** Commits, per partition of the poll, the offset after its last record. */
  commit(offsets: ReadonlyMap<number, string>): Promise<void>;
  /** A durable stage failed: stop the consumer, call `resume()`, start it again from the committed offsets. */
  restart(error: unknown): void;
}

interface Waiting<R> {
  readonly records: readonly R[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class PollPipeline<R extends PolledRecord, W> {
  private pending: Waiting<R>[] = [];
  private running = false;
  private scheduled = false;
  /** The last poll's durable stage: the next one starts after it; rejected if a durable stage failed. */
  private durableTail: Promise<void> = Promise.resolve();
  /** Set when a durable stage failed, until `resume`: every batch is refused meanwhile. */
  private failure: { error: Error } | undefined;
  /** Polls of an older epoch (before a failure) neither write history nor commit. */
  private epoch = 0;

  constructor(private readonly stages: PollStages<R, W>) {}

  /** Resolves once the poll that took these records is visible and the poll before it durable. */
  submit(records: readonly R[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.schedule();
    });
  }

  /** After a failure, once the consumer stopped: batches are taken again (from the committed offsets). */
  resume(): void {
    this.failure = undefined;
    this.durableTail = Promise.resolve();
  }

  /** Resolves once every poll handed over is durable and committed (or failed): before the consumer stops. */
  async drain(): Promise<void> {
    while (this.running || this.scheduled || this.pending.length > 0) await new Promise((r) => setImmediate(r));
    await this.durableTail.catch(() => undefined);
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    const poll = this.pending;
    this.pending = [];
    this.running = true;
    const epoch = this.epoch;
    try {
      if (this.failure) throw this.failure.error;
      // Each partition batch's latest values are written as soon as it is decoded and coalesced, in arrival order,
      // so a record waits for its own batch and those before it, not for the whole poll; one durable stage per poll.
      const takenMs = Date.now();
      const work: W[] = [];
      for (const p of poll) work.push(await this.stages.visible(p.records, takenMs));
      const offsets = nextOffsets(poll.length === 1 ? poll[0]!.records : poll.flatMap((p) => p.records));
      const before = this.durableTail;
      const tail = before.then(async () => {
        if (epoch !== this.epoch) return; // a stage failed meanwhile: these records come again
        await this.stages.durable(work);
        await this.stages.commit(offsets);
      });
      tail.catch((error: unknown) => this.fail(epoch, error));
      this.durableTail = tail;
      await before;
      for (const p of poll) p.resolve();
    } catch (error) {
      for (const p of poll) p.reject(error);
    } finally {
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private fail(epoch: number, error: unknown): void {
    if (epoch !== this.epoch) return;
    this.epoch += 1;
    this.failure = { error: error instanceof Error ? error : new Error(String(error)) };
    this.stages.restart(error);
  }
}

/** Per partition, the offset after the last record of it (records of a partition are in offset order). */
function nextOffsets(records: readonly PolledRecord[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of records) out.set(r.partition, (BigInt(r.offset) + 1n).toString());
  return out;
}
