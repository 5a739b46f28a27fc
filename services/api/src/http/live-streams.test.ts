import { describe, expect, it } from 'vitest';
import { LiveStreams, type StreamEndReason } from './live-streams.js';

const store = (keys: Record<string, Date | undefined | 'missing' | 'down'>) => ({
  find: (keyId: string) => {
    const state = keys[keyId];
    if (state === 'down') return Promise.reject(new Error('connection refused'));
    return Promise.resolve(state === 'missing' ? undefined : { revokedAt: state });
  },
});

describe('LiveStreams', () => {
  it('caps the streams of one key and frees a slot on release', () => {
    const streams = new LiveStreams(2);
    const a = streams.open('k1', () => undefined);
    expect(streams.open('k1', () => undefined)).toBeDefined();
    expect(streams.hasRoom('k1')).toBe(false);
    expect(streams.open('k1', () => undefined)).toBeUndefined();
    expect(streams.open('k2', () => undefined)).toBeDefined();
    a!();
    expect(streams.count('k1')).toBe(1);
    expect(streams.hasRoom('k1')).toBe(true);
  });

  it('ends the streams of revoked and deleted keys on recheck, and keeps them when the store fails', async () => {
    const ended: string[] = [];
    const errors: string[] = [];
    const streams = new LiveStreams(5, { error: (_err, keyId) => errors.push(keyId) });
    const track = (keyId: string) => streams.open(keyId, (reason: StreamEndReason) => ended.push(`${keyId}:${reason}`));
    track('live');
    track('revoked');
    track('revoked');
    track('gone');
    track('down');
    const n = await streams.recheck(store({ live: undefined, revoked: new Date(0), gone: 'missing', down: 'down' }));
    expect(n).toBe(3);
    expect(ended.sort()).toEqual(['gone:API_KEY_REVOKED', 'revoked:API_KEY_REVOKED', 'revoked:API_KEY_REVOKED']);
    expect(errors).toEqual(['down']);
    expect(streams.count('live') + streams.count('down')).toBe(2);
  });

  it('ends every stream of a key at once on endKey', () => {
    const ended: StreamEndReason[] = [];
    const streams = new LiveStreams(5);
    // Like a real stream, each releases its slot as it ends.
    const release: (() => void)[] = [];
    for (let i = 0; i < 2; i++)
      release.push(
        streams.open('k', (r) => {
          ended.push(r);
          release[i]!();
        })!,
      );
    expect(streams.endKey('k', 'API_KEY_REVOKED')).toBe(2);
    expect(ended).toEqual(['API_KEY_REVOKED', 'API_KEY_REVOKED']);
    expect(streams.count('k')).toBe(0);
  });
});
