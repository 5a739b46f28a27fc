import { describe, expect, it } from 'vitest';
import { PollGatherer } from './gather-polls.js';

/** A poll handler that records each poll and finishes when the test says so. */
function recorder() {
  const polls: number[][] = [];
  const finish: ((error?: Error) => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  const gatherer = new PollGatherer<number>(async (records) => {
    polls.push([...records]);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((resolve, reject) => finish.push((e) => (e ? reject(e) : resolve())));
    running -= 1;
  });
  return { gatherer, polls, finish, maxRunning: () => maxRunning };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PollGatherer', () => {
  it('writes the batches handed over in one turn as one poll, in the order they came', async () => {
    const r = recorder();
    const a = r.gatherer.submit([1, 2]);
    const b = r.gatherer.submit([3]);
    await turn();
    expect(r.polls).toEqual([[1, 2, 3]]);
    r.finish[0]!();
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('runs one poll at a time: batches arriving meanwhile wait and form the next poll', async () => {
    const r = recorder();
    const first = r.gatherer.submit([1]);
    await turn();
    const second = r.gatherer.submit([2]);
    const third = r.gatherer.submit([3]);
    await turn();
    expect(r.polls).toEqual([[1]]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    r.finish[0]!();
    await first;
    await turn();
    expect(r.polls).toEqual([[1], [2, 3]]);
    expect(secondDone).toBe(false); // not before its own poll is durable
    r.finish[1]!();
    await Promise.all([second, third]);
    expect(r.maxRunning()).toBe(1);
  });

  it("rejects every batch of a failed poll with its error, and the next poll still runs", async () => {
    const r = recorder();
    const a = r.gatherer.submit([1]);
    const b = r.gatherer.submit([2]);
    await turn();
    const c = r.gatherer.submit([3]);
    r.finish[0]!(new Error('database down'));
    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    await turn();
    expect(r.polls).toEqual([[1, 2], [3]]);
    r.finish[1]!();
    await expect(c).resolves.toBeUndefined();
  });
});
