/**
 * Backtests started through the API run as jobs in this API instance: POST starts one (202 with its id), GET reads
 * its progress and, once done, its result, DELETE cancels it. A job reads the archive with its own in-memory DuckDB
 * (one thread), at most `maxRunning` at once per instance (more are refused with 429 BACKTEST_BUSY, retryable);
 * finished jobs are kept `keepMs` (their result included, transitions capped at `maxTransitions`), then forgotten.
 * Jobs live in memory: a restart of the instance forgets them (a running one is lost; start it again).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@telltale/platform';
import { isTelltaleError, TelltaleError } from '@telltale/platform';
import type pg from 'pg';
import {
  openArchiveReader,
  runBacktest,
  transitionView,
  type BacktestProgress,
  type BacktestSummary,
  type ReplayVehicle,
  type TransitionView,
} from '@telltale/backtest';
import type { RuleSnapshot } from '@telltale/rules';

export type BacktestJobState = 'running' | 'done' | 'failed' | 'cancelled';

export interface BacktestJobSpec {
  /** The API key that started it: only it reads or cancels the job. */
  readonly ownerKeyId: string;
  readonly snapshot: RuleSnapshot;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly draft: boolean;
  readonly vehicles: readonly ReplayVehicle[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly flapWindowMs: number;
}

export interface BacktestJob {
  readonly id: string;
  readonly spec: BacktestJobSpec;
  readonly createdMs: number;
  state: BacktestJobState;
  finishedMs: number | null;
  progress: BacktestProgress | null;
  error: { code: string; message: string } | null;
  result: {
    summary: BacktestSummary;
    transitions: TransitionView[];
    transitionsTotal: number;
    files: number;
    scannedRows: number;
    elapsedMs: number;
  } | null;
}

export interface BacktestJobsOptions {
  readonly pool: Pick<pg.Pool, 'query'>;
  readonly archiveDir: string;
  readonly maxRunning: number;
  readonly keepMs: number;
  readonly maxTransitions: number;
  readonly duckdbThreads: number;
  readonly log: Logger;
  readonly now: () => number;
}

export class BacktestJobs {
  private readonly jobs = new Map<string, BacktestJob & { controller: AbortController; done: Promise<void> }>();

  constructor(private readonly o: BacktestJobsOptions) {}

  /** Starts a job; BACKTEST_BUSY (retryable) when `maxRunning` are running on this instance. */
  start(spec: BacktestJobSpec): BacktestJob {
    this.expire();
    const running = [...this.jobs.values()].filter((j) => j.state === 'running').length;
    if (running >= this.o.maxRunning) {
      throw new TelltaleError(
        'BACKTEST_BUSY',
        `${running} backtest(s) are running on this API instance (at most ${this.o.maxRunning}); retry later.`,
        { retryable: true },
      );
    }
    const controller = new AbortController();
    const job: BacktestJob & { controller: AbortController; done: Promise<void> } = {
      id: randomUUID(),
      spec,
      createdMs: this.o.now(),
      state: 'running',
      finishedMs: null,
      progress: null,
      error: null,
      result: null,
      controller,
      done: Promise.resolve(),
    };
    this.jobs.set(job.id, job);
    job.done = this.run(job);
    return job;
  }

  get(id: string): BacktestJob | undefined {
    this.expire();
    return this.jobs.get(id);
  }

  /** Cancels a running job (it ends within a chunk of rows); a finished one is left as it is. */
  async cancel(id: string): Promise<BacktestJob | undefined> {
    const job = this.jobs.get(id);
    if (job === undefined) return undefined;
    if (job.state === 'running') {
      job.controller.abort(new TelltaleError('BACKTEST_CANCELLED', 'The backtest was cancelled.'));
      await job.done;
    }
    return job;
  }

  /** Cancels every running job and waits for them (shutdown). */
  async close(): Promise<void> {
    for (const job of this.jobs.values())
      if (job.state === 'running') job.controller.abort(new TelltaleError('BACKTEST_CANCELLED', 'Shutting down.'));
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }

  private async run(job: BacktestJob & { controller: AbortController }): Promise<void> {
    const { spec } = job;
    let reader: Awaited<ReturnType<typeof openArchiveReader>> | undefined;
    try {
      reader = await openArchiveReader({ threads: this.o.duckdbThreads });
      const result = await runBacktest({
        db: reader.db,
        pool: this.o.pool,
        archiveDir: this.o.archiveDir,
        snapshot: spec.snapshot,
        ruleId: spec.ruleId,
        vehicles: spec.vehicles,
        fromMs: spec.fromMs,
        toMs: spec.toMs,
        flapWindowMs: spec.flapWindowMs,
        signal: job.controller.signal,
        progress: (p) => {
          job.progress = p;
        },
      });
      job.result = {
        summary: result.summary,
        transitions: result.transitions.slice(0, this.o.maxTransitions).map(transitionView),
        transitionsTotal: result.transitions.length,
        files: result.files,
        scannedRows: result.scannedRows,
        elapsedMs: Math.round(result.elapsedMs),
      };
      job.state = 'done';
    } catch (error) {
      if (job.controller.signal.aborted) {
        job.state = 'cancelled';
        job.error = { code: 'BACKTEST_CANCELLED', message: 'The backtest was cancelled.' };
      } else {
        job.state = 'failed';
        job.error = isTelltaleError(error)
          ? { code: error.code, message: error.message }
          : { code: 'BACKTEST_FAILED', message: 'The backtest failed; the API log has the cause.' };
        this.o.log.warn({ err: error, jobId: job.id, ruleId: spec.ruleId }, 'Backtest failed.');
      }
    } finally {
      reader?.close();
      job.finishedMs = this.o.now();
    }
  }

  private expire(): void {
    const now = this.o.now();
    for (const [id, job] of this.jobs)
      if (job.finishedMs !== null && now - job.finishedMs > this.o.keepMs) this.jobs.delete(id);
  }
}
