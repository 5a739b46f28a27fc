import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LOCAL, uniqueName, waitFor } from '@telltale/platform/testing';

describe('Redis round-trip (real server, key prefix per run)', () => {
  const prefix = uniqueName('t');
  const redis = new Redis(LOCAL.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(LOCAL.redisUrl);

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    subscriber.disconnect();
  });

  it('stores binary values and hashes', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 0x80]);
    await redis.set(`${prefix}:bytes`, bytes);
    expect(Buffer.compare((await redis.getBuffer(`${prefix}:bytes`))!, bytes)).toBe(0);
    await redis.hset(`${prefix}:features`, { soc_delta: '-1.5', cell_spread_mv: '42' });
    expect(await redis.hgetall(`${prefix}:features`)).toEqual({ soc_delta: '-1.5', cell_spread_mv: '42' });
  });

  it('fans a message out through pub/sub', async () => {
    const channel = `${prefix}:alerts`;
    const got: string[] = [];
    subscriber.on('message', (ch: string, message: string) => {
      if (ch === channel) got.push(message);
    });
    await subscriber.subscribe(channel);
    await redis.publish(channel, 'alert-1');
    await waitFor('the published message', () => (got.length > 0 ? got : undefined), 5000);
    expect(got).toEqual(['alert-1']);
  });
});
