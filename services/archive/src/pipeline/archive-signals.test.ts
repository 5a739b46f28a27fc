import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { TelltaleError } from '@telltale/platform';
import { SignalBatch } from '@telltale/platform/proto';
import { SignalArchiver, type ArchiveEvents, type ArchiveFileStore, type ArchiveLedger } from './archive-signals.js';
import type { SegmentCommit } from '../adapters/pg-manifest.js';

const BASE = Date.parse('2026-05-04T10:00:00Z');

function record(offset: number, samples = 3): { offset: string; key: Buffer; value: Buffer } {
  const value = SignalBatch.encode({
    vin: 'VIN-1',
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    baseTimeMsEpoch: BASE + offset * 1000,
    signalId: Array.from({ length: samples }, (_, i) => i + 1),
    value: Array.from({ length: samples }, (_, i) => i / 2),
    timeOffsetMs: Array.from({ length: samples }, (_, i) => i * 10),
  }).finish();
  return { offset: String(offset), key: Buffer.from('VIN-1'), value: Buffer.from(value) };
}

function harness(doneThrough = -1n, fence = false) {
  const commits: SegmentCommit[] = [];
  const offsets: string[] = [];
  const dead: Message[] = [];
  const removed: string[] = [];
  let rewinds = 0;
  const ledger: ArchiveLedger = {
    claim: () => Promise.resolve({ epoch: 3n, doneThrough }),
    commitSegment: (s) => {
      if (fence) return Promise.reject(new TelltaleError('ARCHIVE_FENCED', 'fenced'));
      commits.push(s);
      return Promise.resolve();
    },
    listed: () => Promise.resolve(new Set()),
  };
  const files: ArchiveFileStore = {
    write: (name, groups) =>
      Promise.resolve(
        groups.map((g) => ({
          path: `x/p${name.partition}-${name.firstOffset}-${name.lastOffset}-e${name.epoch}.parquet`,
          modelId: g.partition.modelId,
          date: g.partition.date,
          hour: g.partition.hour,
          rows: g.rows,
          bytes: 10,
          minEventTimeMs: g.minEventTimeMs,
          maxEventTimeMs: g.maxEventTimeMs,
        })),
      ),
    remove: (paths) => {
      removed.push(...paths);
      return Promise.resolve();
    },
    removeOrphans: () => Promise.resolve(0),
  };
  const events: ArchiveEvents = {
    claimed: () => undefined,
    skipped: () => undefined,
    rejected: () => undefined,
    flushed: () => undefined,
    fenced: () => undefined,
  };
  const archiver = new SignalArchiver(
    ledger,
    files,
    (_p, next) => {
      offsets.push(next);
      return Promise.resolve();
    },
    (m) => {
      dead.push(...m);
      return Promise.resolve();
    },
    events,
    { topic: 't', flushRows: 6, flushIntervalMs: 1000, rewind: () => void rewinds++ },
  );
  return { archiver, commits, offsets, dead, removed, rewinds: () => rewinds };
}

describe('SignalArchiver', () => {
  it('flushes a segment at the row threshold, then commits the offset after its range', async () => {
    const h = harness();
    await h.archiver.handle(0, [record(0), record(1)]);
    expect(h.commits).toHaveLength(1);
    expect(h.commits[0]).toMatchObject({ partition: 0, firstOffset: 0n, lastOffset: 1n, epoch: 3n, rows: 6 });
    expect(h.offsets).toEqual(['2']);
    await h.archiver.handle(0, [record(2)]);
    expect(h.commits).toHaveLength(1); // 3 rows: below the threshold, nothing committed
    await h.archiver.flushAll();
    expect(h.commits[1]).toMatchObject({ firstOffset: 2n, lastOffset: 2n, rows: 3 });
    expect(h.offsets).toEqual(['2', '3']);
  });

  it('skips offsets the ledger already has, whatever Kafka redelivers', async () => {
    const h = harness(4n);
    await h.archiver.handle(0, [record(3), record(4)]);
    expect(h.commits).toHaveLength(0);
    expect(h.offsets).toEqual(['5']);
    await h.archiver.handle(0, [record(5), record(6)]);
    expect(h.commits[0]).toMatchObject({ firstOffset: 5n, lastOffset: 6n });
  });

  it('dead-letters a malformed record with reason and source offset, and keeps its offset in the range', async () => {
    const h = harness();
    await h.archiver.handle(1, [record(0), { offset: '1', key: null, value: Buffer.from([0x0a, 0xff]) }, record(2)]);
    expect(h.dead).toHaveLength(1);
    expect(h.dead[0]!.headers).toMatchObject({
      'telltale-reason': 'MALFORMED_PROTOBUF',
      'telltale-source-offset': '1:1',
    });
    expect(h.commits[0]).toMatchObject({ firstOffset: 0n, lastOffset: 2n, rows: 6 });
  });

  it('removes its own files and drops the partition when fenced', async () => {
    const h = harness(-1n, true);
    await expect(h.archiver.handle(0, [record(0), record(1)])).rejects.toThrow(/fenced/);
    expect(h.removed).toEqual(['x/p0-0-1-e3.parquet']);
    expect(h.offsets).toEqual([]);
    // Its buffered records are gone and the consumer is past them: it must consume again from the commit.
    expect(h.rewinds()).toBe(1);
  });

  it('rewinds the consumer when a timer flush is fenced, so the dropped records come again', async () => {
    const h = harness(-1n, true);
    await h.archiver.handle(0, [record(0)]); // 3 rows: buffered
    expect(h.rewinds()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await expect(h.archiver.flushDue()).rejects.toThrow(/fenced/);
    expect(h.rewinds()).toBe(1);
    expect(h.offsets).toEqual([]);
  });
});
