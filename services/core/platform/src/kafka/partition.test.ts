import { describe, expect, it } from 'vitest';
import { partitionOfKey } from './partition.js';

describe('partitionOfKey', () => {
  it('places keys like the Java client and kafkajs (murmur2), stable per count, spread over partitions', () => {
    // Kafka's Java client: partition = Utils.toPositive(Utils.murmur2(key bytes)) % n, with murmur2 values from
    // Kafka's UtilsTest.
    const javaMurmur2: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['abc', 479470107],
    ];
    for (const [key, hash] of javaMurmur2) {
      for (const n of [1, 2, 6, 7, 12]) expect(partitionOfKey('t', key, n)).toBe((hash & 0x7fffffff) % n);
    }
    const vins = Array.from({ length: 600 }, (_, i) => `LRW3E7FS1RC${String(i).padStart(6, '0')}`);
    const counts = new Array<number>(6).fill(0);
    for (const vin of vins) {
      const p = partitionOfKey('t', vin, 6);
      expect(p).toBe(partitionOfKey('other', vin, 6));
      counts[p]! += 1;
    }
    for (const c of counts) expect(c).toBeGreaterThan(50);
  });
});
