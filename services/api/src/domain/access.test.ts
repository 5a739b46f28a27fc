import { describe, expect, it } from 'vitest';
import {
  canSeeFleet,
  checkKeyGrant,
  fleetScope,
  isRole,
  keyFleetProblems,
  roleAtLeast,
  scopeCovers,
} from './access.js';

describe('roles', () => {
  it('orders viewer < engineer < admin', () => {
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    expect(roleAtLeast('viewer', 'engineer')).toBe(false);
    expect(roleAtLeast('engineer', 'viewer')).toBe(true);
    expect(roleAtLeast('engineer', 'admin')).toBe(false);
    expect(roleAtLeast('admin', 'engineer')).toBe(true);
    expect(isRole('admin')).toBe(true);
    expect(isRole('root')).toBe(false);
  });
});

describe('fleet scopes', () => {
  it('sees nothing without fleets, its fleets when listed, everything with *', () => {
    expect(canSeeFleet(fleetScope([]), 'fleet-a')).toBe(false);
    expect(canSeeFleet(fleetScope(['fleet-a']), 'fleet-a')).toBe(true);
    expect(canSeeFleet(fleetScope(['fleet-a']), 'fleet-b')).toBe(false);
    expect(canSeeFleet(fleetScope(['*']), 'fleet-b')).toBe(true);
  });

  it('covers a set of fleets only if it includes each; * only within an all-fleets scope', () => {
    expect(scopeCovers(fleetScope(['a', 'b']), ['a'])).toBe(true);
    expect(scopeCovers(fleetScope(['a', 'b']), ['a', 'c'])).toBe(false);
    expect(scopeCovers(fleetScope(['a', 'b']), ['*'])).toBe(false);
    expect(scopeCovers(fleetScope(['a']), [])).toBe(true);
    expect(scopeCovers(fleetScope(['*']), ['*'])).toBe(true);
    expect(scopeCovers(fleetScope(['*']), ['z'])).toBe(true);
  });

  it('names every problem of a requested key scope by index', () => {
    expect(keyFleetProblems('viewer', ['fleet-a', 'fleet-b'])).toEqual([]);
    expect(keyFleetProblems('admin', ['*'])).toEqual([]);
    expect(keyFleetProblems('viewer', [])).toEqual([]);
    expect(keyFleetProblems('engineer', ['*'])).toEqual([
      { index: 0, message: expect.stringContaining('only allowed for admin') as string },
    ]);
    expect(keyFleetProblems('admin', ['fleet-a', '*'])).toEqual([
      { index: 1, message: expect.stringContaining('already means every fleet') as string },
    ]);
    expect(keyFleetProblems('viewer', ['a', 'Bad Fleet', 'a'])).toEqual([
      { index: 1, message: expect.stringContaining('must be a fleet id') as string },
      { index: 2, message: expect.stringContaining('listed twice') as string },
    ]);
  });

  it('never lets a key grant more than it has', () => {
    const scopedAdmin = { role: 'admin' as const, fleets: ['fleet-a'] };
    expect(checkKeyGrant(scopedAdmin, { role: 'viewer', fleets: ['fleet-a'] })).toEqual({ ok: true });
    expect(checkKeyGrant(scopedAdmin, { role: 'admin', fleets: [] })).toEqual({ ok: true });
    expect(checkKeyGrant(scopedAdmin, { role: 'viewer', fleets: ['fleet-b'] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('fleet-b') as string,
    });
    expect(checkKeyGrant(scopedAdmin, { role: 'admin', fleets: ['*'] })).toMatchObject({ ok: false });
    expect(checkKeyGrant({ role: 'engineer', fleets: ['*'] }, { role: 'admin', fleets: [] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('role admin') as string,
    });
    expect(checkKeyGrant({ role: 'admin', fleets: ['*'] }, { role: 'admin', fleets: ['*'] })).toEqual({ ok: true });
  });
});
