/**
 * Partition batches handed over together are written as one poll.
 *
 * kafkajs fetches every assigned partition in one request, hands the batches to its workers and fetches again only
 * when all of them are handled. Handled one after another, each partition batch paid its own two transactions and
 * an offset commit, and a record fetched just after a round began waited for the whole round before its own: at 10
 * premium EVs on 6 partitions that queue was most of the p99 (services/store/README.md, "Latency"). With the
 * partitions consumed concurrently, the batches of one fetch arrive here within one turn of the event loop; they
 * are gathered (until `setImmediate`) and handled as one poll: one decode and coalesce, one latest-value
 * transaction, one history transaction. Polls run one at a time, in the order their batches arrived, so the
 * writer's in-memory state sees one poll at a time as before; batches arriving while a poll runs form the next.
 *
 * Every caller's promise settles with its poll: resolved once the poll's output is durable (the consumer then
 * commits that partition's offsets), rejected with the poll's error (nothing of it is committed; the batches come
 * again). A partition's records stay in offset order, and a vehicle's records are in one partition.
 */
export class PollGatherer<R> {
  private pending: { records: readonly R[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private running = false;
  private scheduled = false;

  /** `handle` writes one poll (the records of several batches) and resolves once its output is durable. */
  constructor(private readonly handle: (records: readonly R[]) => Promise<void>) {}

  /** Resolves when the poll that took these records is durable; rejects with its error. */
  submit(records: readonly R[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.schedule();
    });
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
    try {
      await this.handle(poll.length === 1 ? poll[0]!.records : poll.flatMap((p) => p.records));
      for (const p of poll) p.resolve();
    } catch (error) {
      for (const p of poll) p.reject(error);
    } finally {
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
