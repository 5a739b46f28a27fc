/** The vehicle's latest feature vector (GET /v1/vehicles/{vin}/features) as the vehicle page shows it. */

export interface FeatureScore {
  readonly modelId: string;
  readonly modelVersion: number;
  readonly fault: string;
  readonly probability: number;
}

export interface VehicleFeaturesJson {
  readonly vin: string;
  readonly modelId: string;
  readonly featureSetId: string;
  readonly featureSetVersion: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly sampleCount: number;
  readonly features: Readonly<Record<string, number | null>>;
  readonly scores: readonly FeatureScore[];
  readonly writtenMs: number;
}

export interface FeatureRow {
  readonly name: string;
  /** The value as shown: up to 4 significant digits, '–' when the window had none. */
  readonly text: string;
  readonly missing: boolean;
}

/** A feature value to at most 4 significant digits (integers as they are), '–' for no value. */
export function formatFeature(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return value.toLocaleString('en');
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** Feature rows sorted by name (missing values last), filtered by a case-insensitive substring. */
export function featureRows(features: Readonly<Record<string, number | null>>, query = ''): FeatureRow[] {
  const q = query.trim().toLowerCase();
  return Object.entries(features)
    .filter(([name]) => q === '' || name.toLowerCase().includes(q))
    .map(([name, value]) => ({ name, text: formatFeature(value), missing: value === null || !Number.isFinite(value) }))
    .sort((a, b) => Number(a.missing) - Number(b.missing) || a.name.localeCompare(b.name));
}

export type RiskLevel = 'low' | 'elevated' | 'high';

/** How a fault probability is labelled: ≥ 0.7 high, ≥ 0.3 elevated, else low. */
export function riskLevel(probability: number): RiskLevel {
  if (probability >= 0.7) return 'high';
  if (probability >= 0.3) return 'elevated';
  return 'low';
}

/** Scores, most probable first, as a percentage with one decimal. */
export function rankedScores(
  scores: readonly FeatureScore[],
): (FeatureScore & { percent: string; level: RiskLevel })[] {
  return [...scores]
    .sort((a, b) => b.probability - a.probability || a.fault.localeCompare(b.fault))
    .map((s) => ({ ...s, percent: `${(s.probability * 100).toFixed(1)} %`, level: riskLevel(s.probability) }));
}
