/**
 * A small in-process cache with a time to live, for lookups every request makes (the API key, the vehicle's fleet):
 * an entry is served for at most `ttlMs` after it was read, so a change made elsewhere (another API instance, the
 * CLI, SQL) is seen within `ttlMs`; a change made through this instance calls `delete`, and is seen at once. Bounded:
 * beyond `maxEntries` the oldest entry goes. Pure: the clock is passed in.
 *
 *   const cache = new TtlCache<string, Key>({ ttlMs: 1000, maxEntries: 10_000 });
 *   const key = await cache.load(keyId, now(), () => store.find(keyId));
 *
 * A read that started before a `delete`/`clear` of the same cache does not store its (possibly stale) result.
 */
export interface TtlCacheOptions {
  /** How long an entry is served after it was read; 0 turns the cache off. */
  readonly ttlMs: number;
  readonly maxEntries?: number;
  /** Whether a loaded value is kept (e.g. not "unknown key", so random ids cannot fill the cache). Default: all. */
  readonly keep?: (value: unknown) => boolean;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresMs: number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly maxEntries: number;
  /** Bumped by every delete/clear: a load that started before one does not store its result. */
  private generation = 0;

  constructor(private readonly options: TtlCacheOptions) {
    if (!(options.ttlMs >= 0)) throw new RangeError('ttlMs must be ≥ 0');
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value if still fresh, else the loader's (stored unless a delete happened meanwhile). */
  async load(key: K, nowMs: number, loader: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (nowMs < entry.expiresMs) return entry.value;
      this.entries.delete(key);
    }
    const generation = this.generation;
    const value = await loader();
    if (this.options.ttlMs > 0 && generation === this.generation && (this.options.keep?.(value) ?? true)) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      this.entries.set(key, { value, expiresMs: nowMs + this.options.ttlMs });
    }
    return value;
  }

  delete(key: K): void {
    this.generation++;
    this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
