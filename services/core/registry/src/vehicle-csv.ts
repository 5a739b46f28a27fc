/**
 * The vehicle import file: CSV with a header row. Columns: vin, fleet_id, model_id, catalog_version (required);
 * fleet_name, device_id, device_secret (optional; a device without a secret gets a generated one).
 * Every row is checked; all problems are reported with their line numbers, and nothing is imported if any exists.
 */
import { parse } from 'csv-parse/sync';
import { TelltaleError } from '@telltale/platform/errors';
import { isValidVin } from './vin.js';

export interface VehicleImportRow {
  readonly line: number;
  readonly vin: string;
  readonly fleetId: string;
  readonly fleetName: string | undefined;
  readonly modelId: string;
  readonly catalogVersion: string;
  readonly deviceId: string | undefined;
  readonly deviceSecret: string | undefined;
}

const REQUIRED = ['vin', 'fleet_id', 'model_id', 'catalog_version'] as const;
const KNOWN = new Set<string>([...REQUIRED, 'fleet_name', 'device_id', 'device_secret']);
const FLEET_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function parseVehicleCsv(text: string): VehicleImportRow[] {
  let records: string[][];
  try {
    const parsed: unknown = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: false });
    records = parsed as string[][];
  } catch (cause) {
    throw new TelltaleError('VEHICLE_IMPORT_INVALID', `Not a valid CSV file: ${(cause as Error).message}`, { cause });
  }
  const [header, ...rows] = records;
  if (!header) throw new TelltaleError('VEHICLE_IMPORT_INVALID', 'The file is empty; expected a header row.');
  const columns = header.map((h) => h.toLowerCase());
  const problems: string[] = [];
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) problems.push(`header: missing column(s) ${missing.join(', ')}`);
  const unknown = columns.filter((c) => !KNOWN.has(c));
  if (unknown.length > 0) problems.push(`header: unknown column(s) ${unknown.join(', ')}`);
  if (problems.length > 0)
    throw new TelltaleError('VEHICLE_IMPORT_INVALID', problems.join('; '), { details: { problems } });

  const seenVins = new Map<string, number>();
  const seenDevices = new Map<string, number>();
  const out: VehicleImportRow[] = [];
  rows.forEach((cells, index) => {
    const line = index + 2;
    const get = (name: string): string | undefined => {
      const i = columns.indexOf(name);
      const value = i >= 0 ? cells[i] : undefined;
      return value === undefined || value === '' ? undefined : value;
    };
    const vin = (get('vin') ?? '').toUpperCase();
    const fleetId = get('fleet_id') ?? '';
    const deviceId = get('device_id');
    if (!isValidVin(vin)) problems.push(`line ${line}: vin "${vin}" must be 17 characters A-Z/0-9 without I, O, Q`);
    if (!FLEET_ID.test(fleetId))
      problems.push(`line ${line}: fleet_id "${fleetId}" must be lowercase letters, digits, _ . -`);
    if (!get('model_id')) problems.push(`line ${line}: model_id is required`);
    if (!get('catalog_version')) problems.push(`line ${line}: catalog_version is required`);
    if (deviceId !== undefined && !DEVICE_ID.test(deviceId))
      problems.push(`line ${line}: device_id "${deviceId}" has invalid characters`);
    if (get('device_secret') !== undefined && deviceId === undefined)
      problems.push(`line ${line}: device_secret given without device_id`);
    const secret = get('device_secret');
    if (secret !== undefined && secret.length < 16)
      problems.push(`line ${line}: device_secret must be at least 16 characters`);
    const previous = seenVins.get(vin);
    if (previous !== undefined) problems.push(`line ${line}: vin ${vin} repeats line ${previous}`);
    seenVins.set(vin, line);
    if (deviceId !== undefined) {
      const prevDevice = seenDevices.get(deviceId);
      if (prevDevice !== undefined) problems.push(`line ${line}: device_id ${deviceId} repeats line ${prevDevice}`);
      seenDevices.set(deviceId, line);
    }
    out.push({
      line,
      vin,
      fleetId,
      fleetName: get('fleet_name'),
      modelId: get('model_id') ?? '',
      catalogVersion: get('catalog_version') ?? '',
      deviceId,
      deviceSecret: secret,
    });
  });
  if (problems.length > 0) {
    throw new TelltaleError(
      'VEHICLE_IMPORT_INVALID',
      `${problems.length} problem(s): ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? '; …' : ''}`,
      {
        details: { problems },
      },
    );
  }
  return out;
}
