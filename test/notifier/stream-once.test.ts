// The live alert streams get each transition once, whichever notifier appends it and however often: a record
// consumed again after a crash, or by two instances while a rebalance moves its partition, appends nothing more.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisAlertStreamPublisher } from '@telltale/notifier';
import { alertStreamKey, ANY_FLEET, type AlertEvent } from '@telltale/rules/alerts';
import { LOCAL, uniqueName } from '@telltale/platform/testing';

const prefix = `${uniqueName('streamonce')}:`;

function transition(alertId: string, transitionSeq: number, fleetId: string): AlertEvent {
  return { alertId, transitionSeq, fleetId, vin: 'LRW3E7FS1RC000001', state: 'raised' } as unknown as AlertEvent;
}

describe('alert stream appends', () => {
  const redis = [new Redis(LOCAL.redisUrl), new Redis(LOCAL.redisUrl)];

  afterAll(async () => {
    const keys = await redis[0]!.keys(`${prefix}*`);
    if (keys.length > 0) await redis[0]!.del(...keys);
    for (const r of redis) r.disconnect();
  });

  it('appends each (alert id, transition seq) once across instances and replays', async () => {
    const [one, two] = redis.map((r) => new RedisAlertStreamPublisher(r, prefix, 1000));
    const raised = transition('alert-1', 1, 'fleet-a');
    const cleared = transition('alert-1', 2, 'fleet-a');
    const other = transition('alert-2', 1, 'fleet-b');

    await Promise.all([one!.publish([raised, other]), two!.publish([raised, other])]); // two owners, same batch
    await one!.publish([raised, cleared]); // a replay, and a new transition

    const entries = async (fleet: string) =>
      (await redis[0]!.xrange(alertStreamKey(prefix, fleet), '-', '+')).map(([, fields]) => {
        const alert = JSON.parse(fields[1]!) as AlertEvent;
        return `${alert.alertId}#${alert.transitionSeq}`;
      });
    expect(await entries('fleet-a')).toEqual(['alert-1#1', 'alert-1#2']);
    expect(await entries('fleet-b')).toEqual(['alert-2#1']);
    expect((await entries(ANY_FLEET)).sort()).toEqual(['alert-1#1', 'alert-1#2', 'alert-2#1']);
    expect(await redis[0]!.ttl(`${prefix}alerts:streamed:alert-1:1`)).toBeGreaterThan(24 * 3600);
  });
});
