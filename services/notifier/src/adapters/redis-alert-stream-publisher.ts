/** Appends alerts to the Redis streams the API's live endpoints read: one per fleet, and one of every fleet. */
import type { Redis } from 'ioredis';
import { ALERT_STREAM_FIELD, ANY_FLEET, alertStreamKey, type AlertEvent } from '@telltale/rules/alerts';
import type { AlertStreamSink } from '../pipeline/alert-intake.js';

export class RedisAlertStreamPublisher implements AlertStreamSink {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly maxLen: number,
  ) {}

  async publish(alerts: readonly AlertEvent[]): Promise<void> {
    if (alerts.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const alert of alerts) {
      const json = JSON.stringify(alert);
      for (const fleet of [alert.fleetId, ANY_FLEET]) {
        pipeline.xadd(
          alertStreamKey(this.keyPrefix, fleet),
          'MAXLEN',
          '~',
          String(this.maxLen),
          '*',
          ALERT_STREAM_FIELD,
          json,
        );
      }
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed?.[0]) throw failed[0];
  }
}
