/**
 * Reads the Redis alert streams the notifier writes (one per fleet, '*' for every fleet). Each live client gets
 * its own connection for its blocking XREAD, so a slow client never delays another; the cost is one Redis
 * connection per open stream (bounded by ALERT_STREAM_MAX_CLIENTS).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ALERT_STREAM_FIELD, alertStreamKey, type AlertEvent } from '@telltale/rules/alerts';

export interface StreamEntry {
  readonly fleet: string;
  readonly id: string;
  readonly alert: AlertEvent;
}

export interface AlertStreamReader {
  /** The newest id of each fleet's stream ('0-0' when empty): where a client without a cursor starts. */
  heads(fleets: readonly string[]): Promise<Map<string, string>>;
  /** Waits up to `blockMs` for entries after `positions` (fleet → id); [] on timeout. */
  read(positions: ReadonlyMap<string, string>, blockMs: number, count: number): Promise<StreamEntry[]>;
  close(): void;
}

export class RedisAlertStreamReader {
  private open = 0;

  constructor(
    private readonly redisUrl: string,
    private readonly keyPrefix: string,
    readonly maxClients: number,
    /** Connection options such as TLS (redisTlsOptions of the service's config). */
    private readonly redisOptions: RedisOptions = {},
  ) {}

  get clients(): number {
    return this.open;
  }

  /** A reader with its own connection, or undefined when ALERT_STREAM_MAX_CLIENTS are open. */
  async openReader(): Promise<AlertStreamReader | undefined> {
    if (this.open >= this.maxClients) return undefined;
    this.open += 1;
    const redis = new Redis(this.redisUrl, {
      ...this.redisOptions,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    redis.on('error', () => undefined);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.open -= 1;
      redis.disconnect();
    };
    try {
      await redis.connect();
    } catch (error) {
      close();
      throw error;
    }
    const key = (fleet: string): string => alertStreamKey(this.keyPrefix, fleet);
    return {
      heads: async (fleets) => {
        const heads = new Map<string, string>();
        for (const fleet of fleets) {
          const last = await redis.xrevrange(key(fleet), '+', '-', 'COUNT', 1);
          heads.set(fleet, last[0]?.[0] ?? '0-0');
        }
        return heads;
      },
      read: async (positions, blockMs, count) => {
        const fleets = [...positions.keys()];
        const reply = await redis.xread(
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...fleets.map(key),
          ...fleets.map((f) => positions.get(f)!),
        );
        if (reply === null) return [];
        const entries: StreamEntry[] = [];
        for (const [streamKey, items] of reply) {
          const fleet = fleets.find((f) => key(f) === streamKey);
          if (fleet === undefined) continue;
          for (const [id, fields] of items) {
            const at = fields.indexOf(ALERT_STREAM_FIELD);
            const json = at >= 0 ? fields[at + 1] : undefined;
            if (json === undefined) continue;
            entries.push({ fleet, id, alert: JSON.parse(json) as AlertEvent });
          }
        }
        return entries;
      },
      close,
    };
  }
}
