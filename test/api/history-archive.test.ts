// Signal history across the hot window (real PostgreSQL) and the archive (real Parquet files written by the archive's
// own writer and listed in its manifest): a range across the boundary returns every sample exactly once, samples
// inside one millisecond stay apart, pages join up, downsampling gives the right min/max/avg per bucket, and the
// archive is as fleet-scoped as the rest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveSamples, type ArchivedSample as Sample } from './archive-files.js';
import { auroraSignal, seedHistory, startApiHarness, VIN_A, type ApiHarness } from './harness.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

interface HistoryBody {
  hotWindowStartMs: number;
  count: number;
  points: { eventTimeMs: number; eventTimeUs: number; value: number; receiveTimeMs: number | null }[];
  bucketMs: number | null;
  buckets: { fromMs: number; toMs: number; count: number; min: number; max: number; avg: number }[] | null;
  next: { fromMs: number; toMs: number | null } | null;
}

describe('signal history: hot window (PostgreSQL) + archive (Parquet)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-api-archive-'));
  const now = Date.now();
  // One sample per second from 2 h ago to 10 min ago. The archive has all of them (it keeps every sample, the hot
  // window's too) plus two more inside one millisecond; PostgreSQL has the last 70 minutes of them (more than its
  // one-hour window: the store drops whole days, so rows older than the window are still there and must be ignored).
  const first = Math.floor((now - 2 * HOUR) / 1000) * 1000;
  const last = Math.floor((now - 10 * MINUTE) / 1000) * 1000;
  const everySecond: Sample[] = [];
  for (let t = first; t <= last; t += 1000)
    everySecond.push({ us: t * 1000, value: Math.round(Math.sin(t / 7e5) * 1e4) / 100 });
  const pairMs = first + 1500; // between two seconds, in the archive only
  const pair: Sample[] = [
    { us: pairMs * 1000 + 100, value: -1 },
    { us: pairMs * 1000 + 600, value: -2 },
  ];
  const archived = [...everySecond, ...pair].sort((a, b) => a.us - b.us);
  const hot = everySecond.filter((s) => s.us >= (now - 70 * MINUTE) * 1000);
  let h: ApiHarness;
  let viewer: string;
  let outsider: string;
  let signalId: number;
  const path = '/v1/vehicles/' + VIN_A + '/signals/vehicleSpeed/history';

  beforeAll(async () => {
    h = await startApiHarness({ STORE_HISTORY_HOT_HOURS: '1', ARCHIVE_DIR: dir });
    signalId = (await auroraSignal('powertrain/VCU_VehicleStatus/VCU_VehicleSpeed')).id;
    await archiveSamples(h.pool, dir, 0, signalId, archived);
    await seedHistory(
      h.pool,
      VIN_A,
      hot.map((s) => ({ signalId, value: s.value, eventTimeMs: s.us / 1000 })),
    );
    viewer = (await h.key('viewer', ['fleet-a'])).token;
    outsider = (await h.key('viewer', ['fleet-b'])).token;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (query: string, token = viewer) => h.call<HistoryBody>('GET', `${path}?${query}`, { token });

  it('returns every sample of a range across the boundary exactly once, to the µs', async () => {
    const from = first;
    const to = now;
    const r = await get(`from=${from}&to=${to}&limit=10000`);
    expect(r.status).toBe(200);
    expect(r.body.hotWindowStartMs).toBeGreaterThanOrEqual(now - HOUR);
    expect(r.body.points.map((p) => p.eventTimeUs)).toEqual(archived.map((s) => s.us));
    expect(r.body.points.map((p) => p.value)).toEqual(archived.map((s) => s.value));
    // Both sources answered: archive samples carry no receive time, PostgreSQL's do.
    const boundary = r.body.hotWindowStartMs;
    for (const p of r.body.points) expect(p.receiveTimeMs === null).toBe(p.eventTimeMs < boundary);
    expect(r.body.points.filter((p) => p.receiveTimeMs !== null).length).toBeGreaterThan(1000);
    const inPair = r.body.points.filter((p) => p.eventTimeMs === pairMs);
    expect(inPair.map((p) => p.eventTimeUs - pairMs * 1000)).toEqual([100, 600]);
  });

  it('pages across the boundary in both orders without a gap or a repeat', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const seen: number[] = [];
      let query = `from=${first}&to=${now}&limit=997&order=${order}`;
      for (let page = 0; page < 20; page++) {
        const r = await get(query);
        expect(r.status).toBe(200);
        seen.push(...r.body.points.map((p) => p.eventTimeUs));
        if (!r.body.next) break;
        query = `from=${r.body.next.fromMs}&to=${r.body.next.toMs}&limit=997&order=${order}`;
      }
      const want = archived.map((s) => s.us);
      expect(seen).toEqual(order === 'asc' ? want : [...want].reverse());
    }
  });

  it('downsamples on the server: min, max and avg per bucket over both sources', async () => {
    const from = first;
    const to = last + 1000;
    const r = await get(`from=${from}&to=${to}&points=50`);
    expect(r.status).toBe(200);
    expect(r.body.points).toEqual([]);
    const width = r.body.bucketMs!;
    // Buckets of a second or more are whole seconds (from is one here), never more than asked for.
    expect(width).toBe(Math.ceil((to - from) / 50_000) * 1000);
    const want = new Map<number, number[]>();
    for (const s of archived) {
      const b = Math.floor((Math.floor(s.us / 1000) - from) / width);
      want.set(b, [...(want.get(b) ?? []), s.value]);
    }
    expect(r.body.buckets).toHaveLength(want.size);
    for (const bucket of r.body.buckets!) {
      const values = want.get((bucket.fromMs - from) / width)!;
      expect(bucket.count).toBe(values.length);
      expect(bucket.min).toBe(Math.min(...values));
      expect(bucket.max).toBe(Math.max(...values));
      expect(bucket.avg).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    }
    expect(r.body.buckets!.reduce((n, b) => n + b.count, 0)).toBe(archived.length);
  });

  it('keeps the archive fleet-scoped and explains bad ranges', async () => {
    expect((await get(`from=${first}&to=${now}`, outsider)).status).toBe(404);
    const backwards = await h.call('GET', `${path}?from=${now}&to=${first}`, { token: viewer });
    expect(backwards.status).toBe(400);
    expect(JSON.stringify(backwards.body)).toMatch(/must be before to/);
    const descBuckets = await h.call('GET', `${path}?from=${first}&to=${now}&points=10&order=desc`, { token: viewer });
    expect(descBuckets.status).toBe(400);
    expect(JSON.stringify(descBuckets.body)).toMatch(/oldest first/);
    expect((await h.call('GET', `${path}?points=0`, { token: viewer })).status).toBe(400);
    expect((await h.call('GET', `${path}?points=10001`, { token: viewer })).status).toBe(400);
  });
});
