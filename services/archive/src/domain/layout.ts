/**
 * Where a sample lives in the archive: hive partitions `model=<id>/date=YYYY-MM-DD/hour=HH` of the UTC event time,
 * so DuckDB, Spark and Trino prune by model, day and hour from the path alone. File names:
 *
 *   p<partition>-<first offset>-<last offset>-e<epoch>.parquet   one flush of one vehicle.signals.v1 partition
 *   c-<16 hex>.parquet                                          a compaction of an hour's files (hash of inputs)
 *   c-<16 hex>.rollup                                           its per-second rollup (Parquet; not "*.parquet", so
 *                                                               a glob of the samples never reads it)
 *
 * Names are deterministic: a segment's name follows from its Kafka partition, offset range and the claim epoch
 * of the instance that wrote it (so a fenced former owner never writes a path the new owner uses); a compacted
 * file's from the set of files it replaces. Temporary files start with "." and end in ".tmp": readers skip both.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface HourPartition {
  readonly modelId: string;
  /** YYYY-MM-DD, UTC. */
  readonly date: string;
  /** 0–23, UTC. */
  readonly hour: number;
}

/** Model ids become directory names: letters, digits, '.', '_' and '-' only, not starting with '.'. */
export const MODEL_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Epoch hour number (hours since 1970-01-01T00:00Z) of an event time. */
export function hourOf(eventTimeMs: number): number {
  return Math.floor(eventTimeMs / HOUR_MS);
}

export function hourPartition(modelId: string, epochHour: number): HourPartition {
  const iso = new Date(epochHour * HOUR_MS).toISOString();
  return { modelId, date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) };
}

export function partitionDir(p: HourPartition): string {
  return `model=${p.modelId}/date=${p.date}/hour=${String(p.hour).padStart(2, '0')}`;
}

/** First ms after the hour ends. */
export function hourEndMs(p: Pick<HourPartition, 'date' | 'hour'>): number {
  return Date.parse(`${p.date}T00:00:00Z`) + (p.hour + 1) * HOUR_MS;
}

export interface SegmentName {
  readonly partition: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly epoch: bigint;
}

export function segmentFileName(s: SegmentName): string {
  return `p${s.partition}-${s.firstOffset}-${s.lastOffset}-e${s.epoch}.parquet`;
}

const SEGMENT_FILE = /^\.?p(\d+)-(\d+)-(\d+)-e(\d+)\.parquet(?:\.tmp)?$/;

/** The segment a file name (final or temporary) belongs to, or undefined for any other file. */
export function parseSegmentFileName(name: string): SegmentName | undefined {
  const m = SEGMENT_FILE.exec(name);
  if (!m) return undefined;
  return { partition: Number(m[1]), firstOffset: BigInt(m[2]!), lastOffset: BigInt(m[3]!), epoch: BigInt(m[4]!) };
}

export function compactedFileName(inputHash: string): string {
  return `c-${inputHash.slice(0, 16)}.parquet`;
}

export function isCompactedFileName(name: string): boolean {
  return /^\.?c-[0-9a-f]{16}\.parquet(?:\.tmp)?$/.test(name);
}

/** The rollup file beside a compacted file: c-<16 hex>.parquet → c-<16 hex>.rollup. */
export function rollupFileName(compactedName: string): string {
  return compactedName.replace(/\.parquet$/, '.rollup');
}

export function isRollupFileName(name: string): boolean {
  return /^\.?c-[0-9a-f]{16}\.rollup(?:\.tmp)?$/.test(name);
}

/** The temporary name a file is written under before its rename. */
export function temporaryName(name: string): string {
  return `.${name}.tmp`;
}

/** Parses `model=…/date=…/hour=…` (relative); undefined when the path is not an hour partition. */
export function parsePartitionDir(relative: string): HourPartition | undefined {
  const m = /^model=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})$/.exec(relative);
  if (!m || !MODEL_ID.test(m[1]!)) return undefined;
  const hour = Number(m[3]);
  return hour < 24 ? { modelId: m[1]!, date: m[2]!, hour } : undefined;
}
