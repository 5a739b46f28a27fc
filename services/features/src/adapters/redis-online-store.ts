/**
 * The online feature store in Redis: the latest FeatureVector per vehicle (contract in @telltale/feature-sets:
 * onlineFeatureKey, OnlineFeatureVector). One Lua call per vector writes only when its window ends after the stored
 * one, so a replay never moves a vehicle back; all vectors of a batch go in one pipeline.
 */
import type { Redis } from 'ioredis';
import {
  onlineFeatureKey,
  ONLINE_VECTOR_FIELD,
  ONLINE_WINDOW_END_FIELD,
  type OnlineFeatureVector,
} from '@telltale/feature-sets';
import type { FeatureVectorRecord, OnlineStore } from '../pipeline/ports.js';

const WRITE_IF_NEWER = `
local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if stored >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1`;

export function onlineVectorOf(v: FeatureVectorRecord, writtenMs: number): OnlineFeatureVector {
  return {
    vin: v.vin,
    fleetId: v.fleetId,
    modelId: v.modelId,
    featureSetId: v.setId,
    featureSetVersion: v.setVersion,
    windowStartMs: v.windowStartMs,
    windowEndMs: v.windowEndMs,
    sampleCount: v.sampleCount,
    features: Object.fromEntries(
      v.featureNames.map((name, i) => {
        const x = v.values[i]!;
        return [name, Number.isFinite(x) ? x : null];
      }),
    ),
    scores: v.scores,
    writtenMs,
  };
}

export class RedisOnlineStore implements OnlineStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async writeLatest(vectors: readonly FeatureVectorRecord[]): Promise<void> {
    // Only the newest window of each vehicle in the batch matters.
    const newest = new Map<string, FeatureVectorRecord>();
    for (const v of vectors) {
      const seen = newest.get(v.vin);
      if (seen === undefined || v.windowEndMs > seen.windowEndMs) newest.set(v.vin, v);
    }
    const pipeline = this.redis.pipeline();
    const now = Date.now();
    for (const v of newest.values()) {
      pipeline.eval(
        WRITE_IF_NEWER,
        1,
        onlineFeatureKey(this.keyPrefix, v.vin),
        ONLINE_WINDOW_END_FIELD,
        String(v.windowEndMs),
        ONLINE_VECTOR_FIELD,
        JSON.stringify(onlineVectorOf(v, now)),
      );
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0]!;
  }
}
