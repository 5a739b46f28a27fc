import { describe, expect, it } from 'vitest';
import {
  compactedFileName,
  hourEndMs,
  hourOf,
  hourPartition,
  isCompactedFileName,
  isRollupFileName,
  parsePartitionDir,
  parseSegmentFileName,
  partitionDir,
  rollupFileName,
  segmentFileName,
  temporaryName,
} from './layout.js';

describe('archive layout', () => {
  it('puts an event time into its UTC model/date/hour partition', () => {
    const t = Date.parse('2026-03-01T23:59:59.999Z');
    const p = hourPartition('aurora-ev-2026', hourOf(t));
    expect(p).toEqual({ modelId: 'aurora-ev-2026', date: '2026-03-01', hour: 23 });
    expect(partitionDir(p)).toBe('model=aurora-ev-2026/date=2026-03-01/hour=23');
    expect(hourEndMs(p)).toBe(Date.parse('2026-03-02T00:00:00Z'));
    expect(hourPartition('m', hourOf(t + 1))).toEqual({ modelId: 'm', date: '2026-03-02', hour: 0 });
    expect(parsePartitionDir(partitionDir(p))).toEqual(p);
    expect(parsePartitionDir('model=../date=2026-03-01/hour=23')).toBeUndefined();
    expect(parsePartitionDir('model=m/date=2026-03-01/hour=24')).toBeUndefined();
  });

  it('names segment files by partition, offset range and epoch, and reads the names back', () => {
    const s = { partition: 3, firstOffset: 120n, lastOffset: 9_007_199_254_740_993n, epoch: 7n };
    const name = segmentFileName(s);
    expect(name).toBe('p3-120-9007199254740993-e7.parquet');
    expect(parseSegmentFileName(name)).toEqual(s);
    expect(parseSegmentFileName(temporaryName(name))).toEqual(s);
    expect(parseSegmentFileName('c-0123456789abcdef.parquet')).toBeUndefined();
    expect(parseSegmentFileName('p3-1-2.parquet')).toBeUndefined();
    expect(isCompactedFileName(compactedFileName('0123456789abcdef0123'))).toBe(true);
    expect(isCompactedFileName(temporaryName(compactedFileName('0123456789abcdef')))).toBe(true);
    expect(isCompactedFileName(name)).toBe(false);
    const rollup = rollupFileName(compactedFileName('0123456789abcdef'));
    expect(rollup).toBe('c-0123456789abcdef.rollup');
    expect(isRollupFileName(rollup) && isRollupFileName(temporaryName(rollup))).toBe(true);
    expect(isCompactedFileName(rollup) || isRollupFileName(name)).toBe(false);
  });
});
