import { describe, expect, it } from 'vitest';
import { formatCursor, parseCursor, streamFleets } from './alert-stream.js';

const key = (fleets: string[]) => ({ keyId: 'k', name: 'k', role: 'viewer' as const, fleets });

describe('alert stream cursor', () => {
  it('round-trips positions of several fleets', () => {
    const positions = new Map([
      ['fleet-a', '1763712000000-0'],
      ['fleet-b', '1763712000123-1'],
    ]);
    const cursor = formatCursor(positions);
    expect(cursor).toBe('fleet-a:1763712000000-0,fleet-b:1763712000123-1');
    expect(parseCursor(cursor, ['fleet-a', 'fleet-b'])).toEqual({ ok: true, positions });
  });

  it('ignores fleets the connection does not read and refuses malformed entries', () => {
    expect(parseCursor('fleet-a:1-0,fleet-x:2-0', ['fleet-a'])).toEqual({
      ok: true,
      positions: new Map([['fleet-a', '1-0']]),
    });
    expect(parseCursor('fleet-a:abc', ['fleet-a']).ok).toBe(false);
    expect(parseCursor('1-0', ['fleet-a']).ok).toBe(false);
  });
});

describe('stream fleets', () => {
  it("reads the key's own fleets, or the all-fleets stream for a * key", () => {
    expect(streamFleets(key(['fleet-a', 'fleet-b']), [])).toEqual({ ok: true, fleets: ['fleet-a', 'fleet-b'] });
    expect(streamFleets(key(['*']), [])).toEqual({ ok: true, fleets: ['*'] });
    expect(streamFleets(key(['*']), ['fleet-b'])).toEqual({ ok: true, fleets: ['fleet-b'] });
  });

  it("refuses fleets outside the key's scope", () => {
    expect(streamFleets(key(['fleet-a']), ['fleet-b'])).toEqual({ ok: false, fleet: 'fleet-b' });
    expect(streamFleets(key(['fleet-a']), ['*'])).toEqual({ ok: false, fleet: '*' });
  });
});
