/**
 * Reads the online feature store the features service writes (contract in @telltale/feature-sets): the latest
 * FeatureVector of a vehicle, one HGET on a shared connection.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { onlineFeatureKey, ONLINE_VECTOR_FIELD, type OnlineFeatureVector } from '@telltale/feature-sets';

export interface FeatureReader {
  latest(vin: string): Promise<OnlineFeatureVector | undefined>;
  close(): void;
}

export class RedisFeatureReader implements FeatureReader {
  private readonly redis: Redis;

  constructor(
    redisUrl: string,
    private readonly keyPrefix: string,
    options: RedisOptions = {},
  ) {
    this.redis = new Redis(redisUrl, { ...options, maxRetriesPerRequest: 1, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  async latest(vin: string): Promise<OnlineFeatureVector | undefined> {
    const raw = await this.redis.hget(onlineFeatureKey(this.keyPrefix, vin), ONLINE_VECTOR_FIELD);
    return raw === null ? undefined : (JSON.parse(raw) as OnlineFeatureVector);
  }

  close(): void {
    this.redis.disconnect();
  }
}
