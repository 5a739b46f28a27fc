/**
 * Who may do what. A key has one role (viewer < engineer < admin) and a fleet scope: the fleets whose vehicles it
 * sees. No fleet means nothing; '*' means every fleet and is reserved for admin keys. A key never grants more than
 * it has: a new key's role and fleets must be within its creator's.
 */
export const ROLES = ['viewer', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ALL_FLEETS = '*';
const FLEET_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** The caller of a request, from its API key. */
export interface Principal {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  readonly fleets: readonly string[];
}

export type FleetScope = { readonly all: true } | { readonly all: false; readonly fleets: ReadonlySet<string> };

const RANK: Readonly<Record<Role, number>> = { viewer: 0, engineer: 1, admin: 2 };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function fleetScope(fleets: readonly string[]): FleetScope {
  return fleets.includes(ALL_FLEETS) ? { all: true } : { all: false, fleets: new Set(fleets) };
}

export function canSeeFleet(scope: FleetScope, fleetId: string): boolean {
  return scope.all || scope.fleets.has(fleetId);
}

/** Whether `scope` includes every fleet of `fleets` ('*' only within an all-fleets scope). */
export function scopeCovers(scope: FleetScope, fleets: readonly string[]): boolean {
  if (scope.all) return true;
  return fleets.every((f) => f !== ALL_FLEETS && scope.fleets.has(f));
}

export interface FleetProblem {
  /** Index into the requested fleets. */
  readonly index: number;
  readonly message: string;
}

/** Problems with a key's requested fleets, each naming the offending entry; empty when valid. */
export function keyFleetProblems(role: Role, fleets: readonly string[]): FleetProblem[] {
  const problems: FleetProblem[] = [];
  const seen = new Set<string>();
  fleets.forEach((fleet, index) => {
    if (seen.has(fleet)) problems.push({ index, message: `("${fleet}") is listed twice` });
    seen.add(fleet);
    if (fleet === ALL_FLEETS) {
      if (role !== 'admin') problems.push({ index, message: '"*" (every fleet) is only allowed for admin keys' });
      else if (fleets.length > 1)
        problems.push({ index, message: '"*" already means every fleet; list no other fleet with it' });
    } else if (!FLEET_ID.test(fleet)) {
      problems.push({ index, message: `("${fleet}") must be a fleet id (lowercase letters, digits, _ . -) or "*"` });
    }
  });
  return problems;
}

export type GrantCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whether `creator` may create (or manage) a key with `role` and `fleets`. */
export function checkKeyGrant(
  creator: Pick<Principal, 'role' | 'fleets'>,
  key: { readonly role: Role; readonly fleets: readonly string[] },
): GrantCheck {
  if (!roleAtLeast(creator.role, key.role))
    return { ok: false, reason: `a ${creator.role} key cannot grant the role ${key.role}` };
  if (!scopeCovers(fleetScope(creator.fleets), key.fleets)) {
    return {
      ok: false,
      reason:
        `this key's fleets (${describeFleets(creator.fleets)}) ` +
        `do not include all of ${describeFleets(key.fleets)}`,
    };
  }
  return { ok: true };
}

export function describeFleets(fleets: readonly string[]): string {
  return fleets.length === 0 ? 'none' : fleets.join(', ');
}
