// Downsampled history from the archive's per-second rollups gives exactly what the raw samples give: the same data
// (Parquet files written by the archive's own writer and compacted by its own compactor, listed in its manifest in
// real PostgreSQL, plus the hot window in PostgreSQL) read through the real API as flushed (raw), compacted (from
// rollups) and with the rollups hidden from the manifest, bucket for bucket, bit for bit: hours with rollups, an
// hour whose late file has none, partial seconds at the range's ends, and a bucket holding both the archive's and the
// hot window's samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveSamples, compactArchive, type ArchivedSample as Sample } from './archive-files.js';
import { auroraSignal, seedHistory, startApiHarness, VIN_A, type ApiHarness } from './harness.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

interface Bucket {
  fromMs: number;
  toMs: number;
  count: number;
  min: number;
  max: number;
  avg: number;
}

interface BucketsBody {
  bucketMs: number;
  archiveHours: { rollup: number; raw: number };
  buckets: Bucket[];
}

/** Values whose float sums depend on the order of their terms (many significant bits, mixed magnitudes). */
function valueAt(us: number): number {
  return Math.sin(us / 7.3e8) * 1234.5678 + ((us / 1000) % 997) * 1.1e-7 + ((us * 7919) % 13) / 3;
}

describe('downsampled history: per-second rollups equal the raw samples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-api-rollups-'));
  const now = Date.now();
  // The archive: every 50 ms (plus a second sample inside some milliseconds) from 4-5 h ago to 63 min ago. The hot
  // window (the last hour, PostgreSQL): every 250 ms from 57 min ago. The gap keeps the answer independent of the
  // second the API reads its clock (the window's start moves with it), while a wide bucket still holds both sources.
  const first = Math.floor((now - 4 * HOUR) / HOUR) * HOUR;
  const samples: Sample[] = [];
  for (let t = first; t <= now - 63 * MINUTE; t += 50) {
    samples.push({ us: t * 1000 + ((t / 50) % 7) * 11, value: valueAt(t * 1000) });
    if (t % 3250 === 0) samples.push({ us: t * 1000 + 900, value: -valueAt(t * 1000 + 900) });
  }
  const hot: Sample[] = [];
  for (let t = now - 57 * MINUTE; t < now - MINUTE; t += 250) hot.push({ us: t * 1000, value: valueAt(t * 1000) });
  // A late sample of the second hour, flushed after that hour was compacted: its hour has a file without a rollup.
  const late: Sample[] = [{ us: (first + HOUR + 1_234_567) * 1000 + 1, value: 98_765.4321 }];
  let h: ApiHarness;
  let viewer: string;
  const path = '/v1/vehicles/' + VIN_A + '/signals/vehicleSpeed/history';

  beforeAll(async () => {
    h = await startApiHarness({ STORE_HISTORY_HOT_HOURS: '1', ARCHIVE_DIR: dir });
    const signalId = (await auroraSignal('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')).id;
    // Two flushes, interleaved in time (so every hour has two files, as a live archive writes them).
    await archiveSamples(
      h.pool,
      dir,
      1,
      signalId,
      samples.filter((_, i) => i % 2 === 0),
    );
    await archiveSamples(
      h.pool,
      dir,
      2,
      signalId,
      samples.filter((_, i) => i % 2 === 1),
    );
    await seedHistory(
      h.pool,
      VIN_A,
      hot.map((s) => ({ signalId, value: s.value, eventTimeMs: s.us / 1000 })),
    );
    viewer = (await h.key('viewer', ['fleet-a'])).token;
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const buckets = async (query: string): Promise<BucketsBody> => {
    const r = await h.call<BucketsBody>('GET', `${path}?${query}`, { token: viewer });
    expect(r.status).toBe(200);
    return r.body;
  };
  /** The same request with the rollups hidden from the manifest (raw samples only), then restored. */
  const withoutRollups = async (query: string): Promise<BucketsBody> => {
    const saved = await h.pool.query<{ path: string; rollup_path: string | null }>(
      'SELECT path, rollup_path FROM archive_files WHERE rollup_path IS NOT NULL',
    );
    await h.pool.query('UPDATE archive_files SET rollup_path = NULL');
    try {
      return await buckets(query);
    } finally {
      for (const r of saved.rows)
        await h.pool.query('UPDATE archive_files SET rollup_path = $2 WHERE path = $1', [r.path, r.rollup_path]);
    }
  };

  /** count, min, max and the exact-enough average of every non-empty bucket, computed here from the samples. */
  const expected = (fromMs: number, toMs: number, widthMs: number, origin = Math.floor(fromMs / 1000) * 1000) => {
    const want = new Map<number, number[]>();
    for (const s of [...samples, ...late, ...hot]) {
      const ms = Math.floor(s.us / 1000);
      if (ms < fromMs || ms >= toMs) continue;
      const b = Math.floor((ms - origin) / widthMs);
      const values = want.get(b);
      if (values) values.push(s.value);
      else want.set(b, [s.value]);
    }
    return [...want.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, values]) => ({
        fromMs: Math.max(fromMs, origin + b * widthMs),
        count: values.length,
        min: values.reduce((a, b) => Math.min(a, b)),
        max: values.reduce((a, b) => Math.max(a, b)),
        avg: values.reduce((x, y) => x + y, 0) / values.length,
      }));
  };
  const checkAgainstSamples = (body: BucketsBody, fromMs: number, toMs: number): void => {
    const want = expected(fromMs, toMs, body.bucketMs);
    expect(body.buckets.map((b) => [b.fromMs, b.count, b.min, b.max])).toEqual(
      want.map((b) => [b.fromMs, b.count, b.min, b.max]),
    );
    body.buckets.forEach((b, i) => expect(b.avg).toBeCloseTo(want[i]!.avg, 8));
  };

  it('gives the same buckets from rollups as from raw samples, with and without rollups per hour', async () => {
    // Ranges that start inside a second and end inside one, across the hot window's boundary: 1,000 buckets of a few
    // seconds, and one bucket of it all (its partials from both sources added up).
    const from = first + 250;
    const to = now - 30_017;
    const queries = [1000, 1].map((points) => `from=${from}&to=${to}&points=${points}`);
    // As flushed: two files per hour, read raw (their samples of one second interleave across the files).
    const flushed = new Map<string, BucketsBody>();
    for (const query of queries) flushed.set(query, await buckets(query));
    for (const body of flushed.values()) expect(body.archiveHours.rollup).toBe(0);
    // Compacted: one merged file and its rollup per hour, read from the rollups; the same answer, bit for bit.
    expect(await compactArchive(h.pool, dir)).toBeGreaterThanOrEqual(3);
    for (const query of queries) {
      const compacted = await buckets(query);
      expect(compacted.archiveHours).toEqual({ rollup: flushed.get(query)!.archiveHours.raw, raw: 0 });
      expect(compacted.buckets).toEqual(flushed.get(query)!.buckets);
    }
    const signalId = (await auroraSignal('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')).id;
    await archiveSamples(h.pool, dir, 3, signalId, late);

    for (const query of queries) {
      const rolled = await buckets(query);
      // The compacted hours from rollups; the late file's hour raw (its rollup misses that file).
      expect(rolled.archiveHours.rollup).toBeGreaterThanOrEqual(2);
      expect(rolled.archiveHours.raw).toBe(1);
      const raw = await withoutRollups(query);
      expect(raw.archiveHours.rollup).toBe(0);
      expect(rolled.bucketMs).toBe(raw.bucketMs);
      expect(rolled.bucketMs % 1000).toBe(0);
      // Every field of every bucket, bit for bit (toEqual compares numbers with Object.is).
      expect(rolled.buckets).toEqual(raw.buckets);
      checkAgainstSamples(rolled, from, to);
    }
    const whole = await buckets(queries[1]!);
    expect(whole.buckets).toHaveLength(1);
    expect(whole.buckets[0]!.count).toBe(samples.filter((s) => s.us >= from * 1000).length + late.length + hot.length);

    // The late file's hour compacted too: every hour from rollups now, still the same answer.
    expect(await compactArchive(h.pool, dir)).toBe(1);
    for (const query of queries) {
      const all = await buckets(query);
      expect(all.archiveHours.raw).toBe(0);
      expect(all.buckets).toEqual((await withoutRollups(query)).buckets);
      checkAgainstSamples(all, from, to);
    }
  }, 120_000);

  it('reads buckets under a second from raw samples, as before', async () => {
    const from = first + HOUR + 10_003;
    const body = await buckets(`from=${from}&to=${from + 60_000}&points=1000`);
    expect(body.bucketMs).toBe(60);
    expect(body.archiveHours).toEqual({ rollup: 0, raw: 1 });
    expect(body.buckets[0]!.fromMs).toBe(from);
    const want = expected(from, from + 60_000, 60, from);
    expect(body.buckets.map((b) => [b.fromMs, b.count, b.min, b.max])).toEqual(
      want.map((b) => [b.fromMs, b.count, b.min, b.max]),
    );
  });
});
