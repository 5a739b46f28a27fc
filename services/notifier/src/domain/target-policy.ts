/**
 * Which webhook targets the notifier may call. A subscriber chooses the URL, so without a policy a webhook is a
 * way to make the platform send requests into its own network (SSRF). Rules, in order:
 *   1. http and https only; the URL has no user:password.
 *   2. An entry of the allow list (host name, *.suffix, IP or CIDR) that matches the host name or the resolved
 *      address allows it.
 *   3. An entry of the deny list that matches denies it; so do, by default, private, loopback, link-local,
 *      carrier-grade NAT, multicast and reserved addresses.
 *   4. Anything else is allowed.
 * The address is checked after DNS resolution and the connection goes to that checked address (no rebinding).
 * "Only these receivers": deny 0.0.0.0/0 and ::/0, allow the receivers.
 */
import { BlockList, isIP } from 'node:net';

export interface TargetPolicy {
  readonly allow: PatternSet;
  readonly deny: PatternSet;
}

interface PatternSet {
  readonly hosts: ReadonlySet<string>;
  readonly suffixes: readonly string[];
  readonly addresses: BlockList;
  readonly empty: boolean;
}

const DEFAULT_DENIED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const DEFAULT_DENIED_V6 = ['::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8', '64:ff9b::/96', '2001:db8::/32'];

const privateRanges = (() => {
  const list = new BlockList();
  for (const cidr of DEFAULT_DENIED_V4) addCidr(list, cidr);
  for (const cidr of DEFAULT_DENIED_V6) addCidr(list, cidr);
  return list;
})();

function addCidr(list: BlockList, entry: string): boolean {
  const [address, bits] = entry.split('/');
  const family = address === undefined ? 0 : isIP(address);
  if (family === 0 || address === undefined) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) {
    list.addAddress(address, type);
    return true;
  }
  const prefix = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return false;
  list.addSubnet(address, prefix, type);
  return true;
}

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Parses a list of entries (host, *.suffix, IP, CIDR); returns the problems, each naming its entry. */
export function parsePatterns(
  entries: readonly string[],
): { ok: true; set: PatternSet } | { ok: false; problems: string[] } {
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  const addresses = new BlockList();
  const problems: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (addCidr(addresses, entry)) continue;
    if (entry.includes('/') || isIP(entry) !== 0 || !HOST.test(entry)) {
      problems.push(`"${raw}" is not a host name, *.suffix, IP address or CIDR`);
    } else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else hosts.add(entry);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, set: { hosts, suffixes, addresses, empty: entries.every((e) => e.trim() === '') } };
}

export function targetPolicy(allow: readonly string[], deny: readonly string[]): TargetPolicy {
  const a = parsePatterns(allow);
  const d = parsePatterns(deny);
  if (!a.ok || !d.ok) throw new Error([...(a.ok ? [] : a.problems), ...(d.ok ? [] : d.problems)].join('; '));
  return { allow: a.set, deny: d.set };
}

export interface WebhookTarget {
  readonly protocol: 'http:' | 'https:';
  /** Lowercase, without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
}

export type TargetCheck<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Checks the URL's form (rule 1) and the host name against the lists (rules 2–3 by name). */
export function checkWebhookUrl(policy: TargetPolicy, url: string): TargetCheck<WebhookTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { ok: false, reason: `protocol ${parsed.protocol} is not allowed (http or https only)` };
  if (parsed.username !== '' || parsed.password !== '')
    return { ok: false, reason: 'credentials in the URL are not allowed; the signature authenticates the notifier' };
  const hostname = parsed.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const target: WebhookTarget = { protocol: parsed.protocol, hostname, port };
  if (matchesName(policy.allow, hostname)) return { ok: true, value: target };
  if (matchesName(policy.deny, hostname)) return { ok: false, reason: `host ${hostname} is on the deny list` };
  if (isIP(hostname) !== 0) {
    const address = checkAddress(policy, hostname, hostname);
    if (!address.ok) return address;
  }
  return { ok: true, value: target };
}

/** Checks one resolved address of `hostname` (rules 2–4). */
export function checkAddress(policy: TargetPolicy, hostname: string, address: string): TargetCheck<string> {
  const normalised = unmapIpv4(address.toLowerCase());
  const family = isIP(normalised);
  if (family === 0) return { ok: false, reason: `${address} is not an IP address` };
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (matchesName(policy.allow, hostname) || policy.allow.addresses.check(normalised, type))
    return { ok: true, value: normalised };
  if (policy.deny.addresses.check(normalised, type))
    return { ok: false, reason: `address ${normalised} is on the deny list` };
  if (privateRanges.check(normalised, type))
    return {
      ok: false,
      reason: `address ${normalised} is private, loopback, link-local or reserved (allow it explicitly to use it)`,
    };
  return { ok: true, value: normalised };
}

function matchesName(set: PatternSet, hostname: string): boolean {
  return set.hosts.has(hostname) || set.suffixes.some((suffix) => hostname.endsWith(suffix));
}

function unmapIpv4(address: string): string {
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(address);
  return mapped?.[1] ?? address;
}
