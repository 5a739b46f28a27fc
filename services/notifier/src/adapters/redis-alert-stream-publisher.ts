/**
 * Appends alerts to the Redis streams the API's live endpoints read: one per fleet, and one of every fleet. Once
 * per transition: a record consumed again (after a crash, or by two instances while a rebalance moves its
 * partition) would otherwise be appended again. One script marks (alert id, transition seq) and appends to both
 * streams atomically, so a crash can neither append without marking nor mark without appending. The mark lives
 * STREAMED_MARK_TTL_S; needs a single Redis node (the gateway's dedupe scripts do too).
 */
import type { Redis } from 'ioredis';
import { ALERT_STREAM_FIELD, ANY_FLEET, alertStreamKey, type AlertEvent } from '@telltale/rules/alerts';
import type { AlertStreamSink } from '../pipeline/alert-intake.js';

/** How long a transition is remembered as streamed: far longer than any redelivery of its Kafka record. */
const STREAMED_MARK_TTL_S = 7 * 24 * 3600;

// KEYS: mark, fleet stream, all-fleets stream. ARGV: mark TTL (s), MAXLEN, field, alert JSON. 1 = appended.
const APPEND_ONCE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
return 1`;

interface StreamCommands {
  /** KEYS: mark, fleet stream, all-fleets stream; ARGV: TTL (s), MAXLEN, field, JSON. Resolves 1 when appended. */
  telltaleStreamAlertOnce(...args: [string, string, string, number, number, string, string]): Promise<number>;
}

export class RedisAlertStreamPublisher implements AlertStreamSink {
  private readonly commands: StreamCommands;
  private readonly prefix: string;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly maxLen: number,
  ) {
    this.prefix = keyPrefix === '-' ? '' : keyPrefix;
    // defineCommand runs the script by SHA (EVALSHA), loading it on first use.
    redis.defineCommand('telltaleStreamAlertOnce', { numberOfKeys: 3, lua: APPEND_ONCE });
    this.commands = redis as unknown as StreamCommands;
  }

  /** Appends each transition not streamed before (commands on one connection: sent back to back). */
  async publish(alerts: readonly AlertEvent[]): Promise<void> {
    await Promise.all(
      alerts.map((alert) =>
        this.commands.telltaleStreamAlertOnce(
          `${this.prefix}alerts:streamed:${alert.alertId}:${alert.transitionSeq}`,
          alertStreamKey(this.keyPrefix, alert.fleetId),
          alertStreamKey(this.keyPrefix, ANY_FLEET),
          STREAMED_MARK_TTL_S,
          this.maxLen,
          ALERT_STREAM_FIELD,
          JSON.stringify(alert),
        ),
      ),
    );
  }
}
