import { describe, expect, it } from 'vitest';
import { createLogger } from '@telltale/platform';
import { CATALOG, snapshotOf } from '@telltale/rules/testing';
import { BacktestJobs, type BacktestJobSpec } from './backtest-jobs.js';

/** A database whose every query answers no rows after `delayMs` (the manifest lists no files). */
const slowEmptyPool = (delayMs: number) => ({
  query: () => new Promise((resolve) => setTimeout(() => resolve({ rows: [] }), delayMs)),
});

const spec = (ownerKeyId: string): BacktestJobSpec => ({
  ownerKeyId,
  snapshot: snapshotOf([{ id: 'r', condition: 'vehicleSpeed > 100' }]),
  ruleId: 'r',
  ruleVersion: 1,
  draft: true,
  vehicles: [{ vin: 'VIN0000000000001', modelId: CATALOG.modelId, fleetId: 'fleet-a' }],
  fromMs: 0,
  toMs: 3_600_000,
  flapWindowMs: 60_000,
});

describe('BacktestJobs', () => {
  const options = (delayMs: number, now: () => number = Date.now) => ({
    pool: slowEmptyPool(delayMs) as never,
    archiveDir: '/nonexistent',
    maxRunning: 1,
    keepMs: 1000,
    maxTransitions: 10,
    duckdbThreads: 1,
    log: createLogger({ service: 'test', level: 'silent' }),
    now,
  });

  it('runs at most maxRunning at once, cancels on request, and keeps finished jobs for keepMs', async () => {
    let clock = 1_000_000;
    const jobs = new BacktestJobs(options(300, () => clock));
    const first = jobs.start(spec('k1'));
    expect(first.state).toBe('running');
    let busy: unknown;
    try {
      jobs.start(spec('k1'));
    } catch (error) {
      busy = error;
    }
    expect(busy).toMatchObject({ code: 'BACKTEST_BUSY', retryable: true });
    const cancelled = await jobs.cancel(first.id);
    expect(cancelled?.state).toBe('cancelled');
    expect(cancelled?.error?.code).toBe('BACKTEST_CANCELLED');

    const second = jobs.start(spec('k1'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(jobs.get(second.id)?.state).toBe('running');
    for (let waited = 0; jobs.get(second.id)?.state === 'running' && waited < 20_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const done = jobs.get(second.id)!;
    expect(done.state).toBe('done');
    expect(done.result).toMatchObject({ transitionsTotal: 0, files: 0, summary: { samples: 0, diff: { live: 0 } } });
    expect(await jobs.cancel(second.id)).toBe(done); // finished: unchanged
    clock += 1001;
    expect(jobs.get(second.id)).toBeUndefined();
    await jobs.close();
  });
});
