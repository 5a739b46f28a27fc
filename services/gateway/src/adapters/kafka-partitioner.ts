/**
 * kafkajs' DefaultPartitioner with the partition of each string key remembered. The default hashes every record's
 * key (murmur2 over a fresh Buffer) and filters the partition list per record: a few % of the gateway's CPU at
 * thousands of records per second, for the same few thousand VINs over and over. Placement is unchanged (the
 * default computes each key's partition once), so per-VIN order and consumers' expectations hold.
 */
import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/** Keys remembered per partition count before the cache starts over (bounds memory for huge fleets). */
const MAX_KEYS = 200_000;

export const rememberingKeyPartitioner: ICustomPartitioner = () => {
  const place = Partitioners.DefaultPartitioner();
  const byCount = new Map<number, Map<string, number>>();
  return (args) => {
    const { key, partition } = args.message;
    if (typeof key !== 'string' || (partition !== undefined && partition !== null)) return place(args);
    const count = args.partitionMetadata.length;
    let known = byCount.get(count);
    if (known === undefined) {
      known = new Map<string, number>();
      byCount.set(count, known);
    }
    let placed = known.get(key);
    if (placed === undefined) {
      if (known.size >= MAX_KEYS) known.clear();
      placed = place(args);
      known.set(key, placed);
    }
    return placed;
  };
};
