/**
 * Runs the service's engine work one piece at a time, in call order: batches, timers, rule swaps, claims and the
 * snapshot a checkpoint takes. The RuleEngine and the partition claims are not re-entrant, and a checkpoint's vehicle
 * states must match the offsets it records. A failed piece rejects its own caller and does not stop the next.
 */
export class SerialWork {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the work queued so far has run. */
  idle(): Promise<void> {
    return this.run(() => undefined);
  }
}
