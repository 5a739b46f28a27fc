/**
 * (vin, seq) dedupe in Redis as bitmaps: one key per VIN and block of 4096 sequence numbers, one bit per batch,
 * expiring `windowS` after the block was last written. A fleet sending one batch per vehicle per second costs about
 * 2.6 KB per vehicle per day, where a key per batch would cost ~100 bytes per batch.
 *
 * A flush checks and marks all its batches with one script call each (not three commands per batch): at thousands of
 * batches per second the per-command cost in the client dominated. The keys of one call span many VINs, so this
 * needs a single Redis node (or Redis Cluster with one slot for the dedupe keys via REDIS_KEY_PREFIX `{dd}:`).
 */
import type { Redis } from 'ioredis';
import type { DedupeStore } from '../ingest.js';

const BLOCK_BITS = 12;
const BLOCK_MASK = (1 << BLOCK_BITS) - 1;

const CHECK = `
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('GETBIT', key, ARGV[i]) end
return out`;

const MARK = `
local ttl = ARGV[1]
local seen = {}
for i, key in ipairs(KEYS) do
  redis.call('SETBIT', key, ARGV[i + 1], 1)
  if not seen[key] then redis.call('EXPIRE', key, ttl); seen[key] = true end
end
return #KEYS`;

interface DedupeCommands {
  telltaleDedupeCheck(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  telltaleDedupeMark(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

export class RedisDedupe implements DedupeStore {
  private readonly commands: DedupeCommands;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    private readonly windowS: number,
  ) {
    // defineCommand runs scripts by SHA (EVALSHA), loading them on first use.
    redis.defineCommand('telltaleDedupeCheck', { lua: CHECK });
    redis.defineCommand('telltaleDedupeMark', { lua: MARK });
    this.commands = redis as unknown as DedupeCommands;
  }

  private key(vin: string, seq: number): string {
    return `${this.keyPrefix}dd:${vin}:${seq >>> BLOCK_BITS}`;
  }

  async seen(keys: readonly { vin: string; seq: number }[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const args: (string | number)[] = keys.map((k) => this.key(k.vin, k.seq));
    for (const k of keys) args.push(k.seq & BLOCK_MASK);
    const bits = await this.commands.telltaleDedupeCheck(keys.length, ...args);
    return bits.map((bit) => bit === 1);
  }

  async markSeen(keys: readonly { vin: string; seq: number }[]): Promise<void> {
    if (keys.length === 0) return;
    const args: (string | number)[] = keys.map((k) => this.key(k.vin, k.seq));
    args.push(this.windowS);
    for (const k of keys) args.push(k.seq & BLOCK_MASK);
    await this.commands.telltaleDedupeMark(keys.length, ...args);
  }
}
