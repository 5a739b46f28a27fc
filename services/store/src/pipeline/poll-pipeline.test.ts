import { describe, expect, it } from 'vitest';
import { PollPipeline, type PolledRecord } from './poll-pipeline.js';

/** A gate a stage waits at until the test opens it (or fails it). */
function gate() {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Stages that record what they saw, each waiting at a gate per poll; offsets committed per partition. */
function harness() {
  const visible: string[][] = [];
  const durable: string[][] = [];
  const commits: [number, string][][] = [];
  const restarts: unknown[] = [];
  const visibleGates: ReturnType<typeof gate>[] = [];
  const durableGates: ReturnType<typeof gate>[] = [];
  const pipeline = new PollPipeline<PolledRecord, string[]>({
    visible: async (records) => {
      const poll = records.map((r) => `${r.partition}:${r.offset}`);
      visible.push(poll);
      const g = gate();
      visibleGates.push(g);
      await g.promise;
      return poll;
    },
    durable: async (parts) => {
      durable.push(parts.flat());
      const g = gate();
      durableGates.push(g);
      await g.promise;
    },
    commit: (offsets) => {
      commits.push([...offsets]);
      return Promise.resolve();
    },
    restart: (error) => restarts.push(error),
  });
  return { pipeline, visible, durable, commits, restarts, visibleGates, durableGates };
}

const rec = (partition: number, offset: number): PolledRecord => ({ partition, offset: String(offset) });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}
function settled(p: Promise<void>): () => string {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return () => state;
}

describe('PollPipeline', () => {
  it('writes the batches of one turn as one poll, and commits each partition after its last record', async () => {
    const h = harness();
    const a = settled(h.pipeline.submit([rec(0, 7), rec(0, 8)]));
    const b = settled(h.pipeline.submit([rec(3, 41)]));
    await turns();
    // Each batch's latest values as soon as it is coalesced, one after another in arrival order.
    expect(h.visible).toEqual([['0:7', '0:8']]);
    h.visibleGates[0]!.open();
    await turns();
    expect(h.visible).toEqual([['0:7', '0:8'], ['3:41']]);
    expect(a()).toBe('pending'); // handed back with its poll
    h.visibleGates[1]!.open();
    await turns();
    expect([a(), b()]).toEqual(['resolved', 'resolved']);
    expect(h.durable).toEqual([['0:7', '0:8', '3:41']]); // one durable stage (history write) for the poll
    expect(h.commits).toEqual([]); // not before the poll is durable
    h.durableGates[0]!.open();
    await turns();
    expect(h.commits).toEqual([
      [
        [0, '9'],
        [3, '42'],
      ],
    ]);
  });

  it("makes the next poll visible while this one's history is written, and commits in poll order", async () => {
    const h = harness();
    const first = h.pipeline.submit([rec(0, 1)]);
    await turns();
    h.visibleGates[0]!.open();
    await first; // visible, and no poll before it
    const second = settled(h.pipeline.submit([rec(0, 2)]));
    await turns();
    expect(h.visible).toHaveLength(2); // the second poll's latest values while the first poll's history is written
    h.visibleGates[1]!.open();
    await turns();
    expect(second()).toBe('pending'); // back-pressure: at most one poll visible but not durable
    expect(h.durable).toHaveLength(1);
    h.durableGates[0]!.open();
    await turns();
    expect(second()).toBe('resolved');
    expect(h.commits).toEqual([[[0, '2']]]);
    h.durableGates[1]!.open();
    await turns();
    expect(h.commits).toEqual([[[0, '2']], [[0, '3']]]);
  });

  it('rejects the batches of a poll whose latest values failed, and commits nothing for them', async () => {
    const h = harness();
    const a = h.pipeline.submit([rec(1, 5)]);
    await turns();
    h.visibleGates[0]!.fail(new Error('database down'));
    await expect(a).rejects.toThrow('database down');
    const b = h.pipeline.submit([rec(1, 5)]); // kafkajs hands the batch over again
    await turns();
    h.visibleGates[1]!.open();
    await b;
    h.durableGates[0]!.open();
    await turns();
    expect(h.commits).toEqual([[[1, '6']]]);
    expect(h.restarts).toEqual([]);
  });

  it('after a failed history write: nothing later commits, batches are refused, the consumer restarts', async () => {
    const h = harness();
    const first = h.pipeline.submit([rec(0, 1)]);
    await turns();
    h.visibleGates[0]!.open();
    await first;
    const second = settled(h.pipeline.submit([rec(0, 2)]));
    await turns();
    h.visibleGates[1]!.open();
    await turns();
    h.durableGates[0]!.fail(new Error('disk full'));
    await turns();
    expect(second()).toBe('rejected');
    expect(h.restarts).toHaveLength(1);
    expect(h.durable).toHaveLength(1); // the second poll's history is not written: it comes again
    await expect(h.pipeline.submit([rec(0, 3)])).rejects.toThrow('disk full');
    expect(h.commits).toEqual([]);

    h.pipeline.resume(); // the consumer stopped; it starts again from the committed offset (1)
    const again = h.pipeline.submit([rec(0, 1), rec(0, 2)]);
    await turns();
    h.visibleGates[2]!.open();
    await again;
    h.durableGates[1]!.open();
    await h.pipeline.drain();
    expect(h.commits).toEqual([[[0, '3']]]);
    expect(h.restarts).toHaveLength(1);
  });
});
