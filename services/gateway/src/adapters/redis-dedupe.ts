/**
 * (device stream, seq) dedupe in Redis as bitmaps (a stream is a device id and its declared boot id, so a replaced
 * T-Box or a declared sequence reset starts a fresh window): one key per stream and block of 4096 sequence numbers,
 * one bit per batch, expiring `windowS` after the block was last written. A fleet sending one batch per vehicle per
 * second costs about 2.6 KB per vehicle per day, where a key per batch would cost ~100 bytes per batch.
 *
 * A flush checks and marks all its batches with one script call each (not three commands per batch): at thousands of
 * batches per second the per-command cost in the client dominated. The keys of one call span many VINs, so this
 * needs a single Redis node (or Redis Cluster with one slot for the dedupe keys via REDIS_KEY_PREFIX `{dd}:`).
 */
import type { Redis } from 'ioredis';
import type { DedupeKey, DedupeStore } from '../pipeline/ingest.js';

const BLOCK_BITS = 12;
const BLOCK_MASK = (1 << BLOCK_BITS) - 1;

// One key per (VIN, block) and its bit offsets as one comma-separated argument: a flush of ~1000 batches from a few
// dozen vehicles is a few dozen arguments instead of two per batch (ioredis' per-argument cost dominated).
const CHECK = `
local out = {}
for i, key in ipairs(KEYS) do
  local bits = {}
  for offset in string.gmatch(ARGV[i], '%d+') do bits[#bits + 1] = redis.call('GETBIT', key, offset) end
  out[i] = table.concat(bits)
end
return out`;

const MARK = `
local ttl = ARGV[1]
for i, key in ipairs(KEYS) do
  for offset in string.gmatch(ARGV[i + 1], '%d+') do redis.call('SETBIT', key, offset, 1) end
  redis.call('EXPIRE', key, ttl)
end
return #KEYS`;

interface DedupeCommands {
  telltaleDedupeCheck(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
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

  /** The keys of a flush, each with its bit offsets (comma-separated) and the positions of its batches. */
  private group(keys: readonly DedupeKey[]): {
    keys: string[];
    offsets: string[];
    positions: number[][];
  } {
    const index = new Map<string, number>();
    const out = { keys: [] as string[], offsets: [] as string[], positions: [] as number[][] };
    for (let i = 0; i < keys.length; i++) {
      const { stream, seq } = keys[i]!;
      const key = `${this.keyPrefix}dd:${stream}:${seq >>> BLOCK_BITS}`;
      let k = index.get(key);
      if (k === undefined) {
        k = out.keys.length;
        index.set(key, k);
        out.keys.push(key);
        out.offsets.push(String(seq & BLOCK_MASK));
        out.positions.push([i]);
      } else {
        out.offsets[k] += `,${seq & BLOCK_MASK}`;
        out.positions[k]!.push(i);
      }
    }
    return out;
  }

  /** The groups of the last `seen` call: a flush usually marks exactly the batches it checked (the same array). */
  private checked: { keys: readonly DedupeKey[]; groups: ReturnType<RedisDedupe['group']> } | undefined;

  async seen(keys: readonly DedupeKey[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const groups = this.group(keys);
    this.checked = { keys, groups };
    const bits = await this.commands.telltaleDedupeCheck(groups.keys.length, ...groups.keys, ...groups.offsets);
    const seen = new Array<boolean>(keys.length).fill(false);
    for (let k = 0; k < groups.positions.length; k++) {
      const positions = groups.positions[k]!;
      const flags = bits[k] ?? '';
      for (let j = 0; j < positions.length; j++) if (flags.charCodeAt(j) === 49) seen[positions[j]!] = true; // '1'
    }
    return seen;
  }

  async markSeen(keys: readonly DedupeKey[]): Promise<void> {
    if (keys.length === 0) return;
    const groups = this.checked?.keys === keys ? this.checked.groups : this.group(keys);
    this.checked = undefined;
    await this.commands.telltaleDedupeMark(groups.keys.length, ...groups.keys, this.windowS, ...groups.offsets);
  }
}
