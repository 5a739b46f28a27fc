/**
 * The online feature store's contract in Redis (written by the features service, read by the API): one hash per
 * vehicle at `<prefix>features:latest:<VIN>` with `windowEndMs` (compared before every write, so an older window —
 * a replay — never replaces a newer one) and `vector`, the JSON below.
 */
export interface OnlineFeatureVector {
  readonly vin: string;
  readonly fleetId: string;
  readonly modelId: string;
  readonly featureSetId: string;
  readonly featureSetVersion: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly sampleCount: number;
  /** Feature name → value; null: no value in the window. */
  readonly features: Readonly<Record<string, number | null>>;
  readonly scores: readonly {
    readonly modelId: string;
    readonly modelVersion: number;
    readonly fault: string;
    readonly probability: number;
  }[];
  /** When the features service wrote it (ms since the Unix epoch). */
  readonly writtenMs: number;
}

export function onlineFeatureKey(redisKeyPrefix: string, vin: string): string {
  const prefix = redisKeyPrefix === '-' ? '' : redisKeyPrefix;
  return `${prefix}features:latest:${vin}`;
}

export const ONLINE_VECTOR_FIELD = 'vector';
export const ONLINE_WINDOW_END_FIELD = 'windowEndMs';
