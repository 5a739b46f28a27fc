/**
 * Who the simulated T-Boxes are: VINs, device ids and device secrets derived from the seed (so `--provision` and a
 * later run with the same seed agree without storing anything), or read from a CSV of existing registrations.
 * Whoever knows the seed can derive the secrets: provisioning without --seed therefore draws a random one
 * (randomSeed), printed so the run can be repeated, instead of a public default.
 *
 * Simulated VINs are valid ISO 3779 VINs: WMI "TLT", a model code, the North-American check digit (position 9), the
 * model year, plant "S" (simulator) and a 6-digit serial offset by the seed.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { TelltaleError } from '@telltale/platform';
import { hash32 } from './rng.js';

export interface DeviceIdentity {
  readonly vin: string;
  readonly deviceId: string;
  /** Undefined when connecting anonymously with registrations that did not include secrets. */
  readonly deviceSecret: string | undefined;
}

const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
const TRANSLITERATION: Readonly<Record<string, number>> = {
  A: 1,
  B: 2,
  C: 3,
  D: 4,
  E: 5,
  F: 6,
  G: 7,
  H: 8,
  J: 1,
  K: 2,
  L: 3,
  M: 4,
  N: 5,
  P: 7,
  R: 9,
  S: 2,
  T: 3,
  U: 4,
  V: 5,
  W: 6,
  X: 7,
  Y: 8,
  Z: 9,
};
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
/** Model-year codes from 2010 (A) on; I, O, Q, U, Z and 0 are never used. */
const YEAR_CODES = 'ABCDEFGHJKLMNPRSTVWXY';

/** The check digit (position 9) of a 17-character VIN; the character at position 9 is ignored. */
export function vinCheckDigit(vin: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i]!;
    const value = c >= '0' && c <= '9' ? Number(c) : (TRANSLITERATION[c] ?? 0);
    sum += value * WEIGHTS[i]!;
  }
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}

function modelCode(modelId: string): string {
  let h = hash32(modelId);
  let code = '';
  for (let i = 0; i < 5; i++) {
    code += VIN_CHARS[h % VIN_CHARS.length];
    h = (Math.floor(h / VIN_CHARS.length) ^ hash32(`${modelId}/${i}`)) >>> 0;
  }
  return code;
}

function yearCode(modelId: string): string {
  const year = Number(/(20\d\d)/.exec(modelId)?.[1] ?? 2026);
  return YEAR_CODES[(((year - 2010) % YEAR_CODES.length) + YEAR_CODES.length) % YEAR_CODES.length]!;
}

export function simulatedVin(seed: number | string, modelId: string, index: number): string {
  const serial = ((hash32(`vin/${seed}`) % 1_000_000) + index) % 1_000_000;
  const draft = `TLT${modelCode(modelId)}0${yearCode(modelId)}S${String(serial).padStart(6, '0')}`;
  return draft.slice(0, 8) + vinCheckDigit(draft) + draft.slice(9);
}

/** A fresh 128-bit seed (22 base64url characters) for provisioning: its secrets are as strong as a random token. */
export function randomSeed(): string {
  return randomBytes(16).toString('base64url');
}

/** Seeds shorter than this make guessable device secrets (`--seed 1`): fine for tests, warned about otherwise. */
export const MIN_SECRET_SEED_LENGTH = 16;

/** A device secret only someone who knows the seed can derive (≥ 16 characters, as the registry requires). */
export function simulatedSecret(seed: number | string, vin: string): string {
  return createHmac('sha256', `telltale-simulator:${seed}`).update(vin).digest('base64url').slice(0, 24);
}

export function simulatedIdentities(seed: number | string, modelId: string, count: number): DeviceIdentity[] {
  return Array.from({ length: count }, (_, i) => {
    const vin = simulatedVin(seed, modelId, i);
    return { vin, deviceId: `sim-${vin.toLowerCase()}`, deviceSecret: simulatedSecret(seed, vin) };
  });
}

/** A fleet id for simulated vehicles (registry format: lowercase letters, digits, _ . -). */
export function simulatedFleetId(seed: number | string): string {
  return `sim-${String(seed)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '-')}`.slice(0, 64);
}

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;

/** `vin,device_id,device_secret` CSV (header row; device_secret may be empty). Every problem names its line. */
export function parseCredentialsCsv(text: string): DeviceIdentity[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  const problems: string[] = [];
  if (col('vin') < 0 || col('device_id') < 0)
    problems.push('line 1: the header must name vin and device_id (and optionally device_secret)');
  const out: DeviceIdentity[] = [];
  const seen = new Map<string, number>();
  if (problems.length === 0) {
    lines.slice(1).forEach((line, i) => {
      const lineNo = i + 2;
      if (line.trim() === '') return;
      const cells = line.split(',').map((c) => c.trim());
      const vin = (cells[col('vin')] ?? '').toUpperCase();
      const deviceId = cells[col('device_id')] ?? '';
      const secret = col('device_secret') >= 0 ? cells[col('device_secret')] : undefined;
      if (!VIN.test(vin)) problems.push(`line ${lineNo}: vin "${vin}" must be 17 characters A-Z/0-9 without I, O, Q`);
      if (deviceId === '') problems.push(`line ${lineNo}: device_id is empty`);
      const previous = seen.get(vin);
      if (previous !== undefined) problems.push(`line ${lineNo}: vin ${vin} repeats line ${previous}`);
      seen.set(vin, lineNo);
      out.push({ vin, deviceId, deviceSecret: secret === undefined || secret === '' ? undefined : secret });
    });
    if (out.length === 0 && problems.length === 0) problems.push('the file lists no vehicles');
  }
  if (problems.length > 0) {
    throw new TelltaleError(
      'VEHICLES_FILE_INVALID',
      `${problems.length} problem(s) in the vehicles file: ${problems.slice(0, 10).join('; ')}`,
      { details: { problems } },
    );
  }
  return out;
}
