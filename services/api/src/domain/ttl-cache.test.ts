import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

const counting = (): { loads: number; loader: (v: string) => () => Promise<string> } => {
  const state = {
    loads: 0,
    loader: (v: string) => () => {
      state.loads++;
      return Promise.resolve(v);
    },
  };
  return state;
};

describe('TtlCache', () => {
  it('serves an entry for ttlMs after it was read, then reads again', async () => {
    const cache = new TtlCache<string, string>({ ttlMs: 1000 });
    const c = counting();
    expect(await cache.load('k', 0, c.loader('a'))).toBe('a');
    expect(await cache.load('k', 999, c.loader('b'))).toBe('a');
    expect(c.loads).toBe(1);
    expect(await cache.load('k', 1000, c.loader('b'))).toBe('b');
    expect(c.loads).toBe(2);
  });

  it('forgets a deleted entry at once', async () => {
    const cache = new TtlCache<string, string>({ ttlMs: 1000 });
    await cache.load('k', 0, () => Promise.resolve('old'));
    cache.delete('k');
    expect(await cache.load('k', 1, () => Promise.resolve('new'))).toBe('new');
  });

  it('does not store a read that started before a delete (it may have seen the old row)', async () => {
    const cache = new TtlCache<string, string>({ ttlMs: 1000 });
    let release: (v: string) => void = () => undefined;
    const slow = cache.load('k', 0, () => new Promise<string>((resolve) => (release = resolve)));
    cache.delete('k');
    release('stale');
    expect(await slow).toBe('stale');
    expect(await cache.load('k', 1, () => Promise.resolve('fresh'))).toBe('fresh');
  });

  it('is off with ttlMs 0, keeps only what `keep` accepts, and stays within maxEntries', async () => {
    const off = new TtlCache<string, string>({ ttlMs: 0 });
    const c = counting();
    await off.load('k', 0, c.loader('a'));
    await off.load('k', 0, c.loader('a'));
    expect(c.loads).toBe(2);
    expect(off.size).toBe(0);

    const known = new TtlCache<string, string | undefined>({ ttlMs: 1000, keep: (v) => v !== undefined });
    await known.load('unknown', 0, () => Promise.resolve(undefined));
    expect(known.size).toBe(0);

    const small = new TtlCache<number, number>({ ttlMs: 1000, maxEntries: 2 });
    for (const k of [1, 2, 3]) await small.load(k, 0, () => Promise.resolve(k));
    expect(small.size).toBe(2);
    expect(await small.load(1, 0, () => Promise.resolve(-1))).toBe(-1);
  });

  it('refuses a negative ttl', () => {
    expect(() => new TtlCache({ ttlMs: -1 })).toThrow(RangeError);
  });
});
