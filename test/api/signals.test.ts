// Latest values and history read from the real-time store's tables, joined with the aurora-ev-2026 catalog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogSignal } from '@telltale/catalog';
import { auroraSignal, seedHistory, seedLatest, startApiHarness, VIN_A, VIN_B, type ApiHarness } from './harness.js';

interface SignalValue {
  id: number;
  name: string;
  qualifiedName: string;
  unit: string;
  value: number;
  label: string | null;
  eventTimeMs: number;
  eventTime: string;
  receiveTimeMs: number;
  receiveTime: string;
  ageMs: number;
  staleAfterMs: number | null;
  stale: boolean;
}
interface Latest {
  vin: string;
  modelId: string;
  catalogVersion: string;
  nowMs: number;
  count: number;
  signals: SignalValue[];
  missing: string[];
  unresolvedSignalIds: number[];
}
interface History {
  signal: { id: number; qualifiedName: string; unit: string; choices: Record<string, string> | null };
  fromMs: number;
  toMs: number | null;
  order: string;
  count: number;
  points: { eventTimeMs: number; eventTime: string; value: number; label: string | null; receiveTimeMs: number }[];
  next: { fromMs: number; toMs: number | null } | null;
}

const SPEED = 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed';
const GEAR = 'powertrain/VCU_VehicleStatus/VCU_GearActual';
const LATITUDE = 'body/TCU_Position/TCU_Latitude';
const KEY_COMMAND = 'body/PEPS_KeyEvent/PEPS_KeyCommand'; // event-driven: never stale
const T0 = Date.UTC(2025, 10, 21, 8); // 2025-11-21T08:00:00Z

describe('vehicle signals', () => {
  let h: ApiHarness;
  let token: string;
  let speed: CatalogSignal;
  let gear: CatalogSignal;
  let latitude: CatalogSignal;
  let keyCommand: CatalogSignal;
  let seededAt: number;
  const signals = (query = ''): Promise<{ status: number; body: Latest }> =>
    h.call<Latest>('GET', `/v1/vehicles/${VIN_A}/signals${query}`, { token });
  const history = (name: string, query = ''): Promise<{ status: number; body: History }> =>
    h.call<History>('GET', `/v1/vehicles/${VIN_A}/signals/${name}/history${query}`, { token });

  beforeAll(async () => {
    h = await startApiHarness();
    token = (await h.key('viewer', ['fleet-a'])).token;
    speed = await auroraSignal(SPEED);
    gear = await auroraSignal(GEAR);
    latitude = await auroraSignal(LATITUDE);
    keyCommand = await auroraSignal(KEY_COMMAND);
    await seedHistory(
      h.pool,
      VIN_A,
      Array.from({ length: 10 }, (_, i) => ({ signalId: speed.id, value: i * 10, eventTimeMs: T0 + i * 1000 })),
    );
    await seedHistory(
      h.pool,
      VIN_A,
      [0, 3, 4].map((value, i) => ({ signalId: gear.id, value, eventTimeMs: T0 + i * 1000 })),
    );
    await seedHistory(h.pool, VIN_B, [{ signalId: speed.id, value: 999, eventTimeMs: T0 + 2500 }]);
    // Latest values last: staleness (2 s for the speed) counts from here.
    const now = Date.now();
    seededAt = now;
    await seedLatest(h.pool, VIN_A, [
      { signalId: speed.id, value: 87.5, eventTimeMs: now - 500, receiveTimeMs: now - 300 }, // fresh (stale after 2 s)
      { signalId: gear.id, value: 3, eventTimeMs: now - 10_000 }, // stale
      { signalId: latitude.id, value: 48.137, eventTimeMs: now - 10_000 }, // fresh: 30 s override
      { signalId: keyCommand.id, value: 1, eventTimeMs: now - 86_400_000 }, // event-driven: never stale
    ]);
    await seedLatest(h.pool, VIN_B, [{ signalId: speed.id, value: 12, eventTimeMs: now }]);
  });
  afterAll(() => h?.close());

  describe('latest values', () => {
    it("reports the newest event and receive time of any signal as the vehicle's lastSeen", async () => {
      const r = await h.call<{ lastSeen: { eventTimeMs: number; receiveTimeMs: number } | null }>(
        'GET',
        `/v1/vehicles/${VIN_A}`,
        { token },
      );
      expect(r.status).toBe(200);
      expect(r.body.lastSeen).toMatchObject({ eventTimeMs: seededAt - 500, receiveTimeMs: seededAt - 300 });
    });

    it('joins every stored value with its name, unit, label, times and staleness', async () => {
      const r = await signals();
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        vin: VIN_A,
        modelId: 'aurora-ev-2026',
        catalogVersion: '1.0.0',
        count: 4,
        missing: [],
        unresolvedSignalIds: [],
      });
      const byName = new Map(r.body.signals.map((s) => [s.qualifiedName, s]));
      const s = byName.get(SPEED)!;
      expect(s).toMatchObject({
        id: speed.id,
        name: 'VCU_VehicleSpeed',
        unit: 'km/h',
        value: 87.5,
        label: null,
        staleAfterMs: 2000,
        stale: false,
      });
      expect(new Date(s.eventTime).getTime()).toBe(s.eventTimeMs);
      expect(s.receiveTimeMs - s.eventTimeMs).toBe(200);
      expect(s.ageMs).toBe(r.body.nowMs - s.eventTimeMs);
      expect(byName.get(GEAR)).toMatchObject({ value: 3, label: 'D', stale: true, staleAfterMs: 2000 });
      expect(byName.get(LATITUDE)).toMatchObject({ unit: 'deg', staleAfterMs: 30_000, stale: false });
      expect(byName.get(KEY_COMMAND)).toMatchObject({ staleAfterMs: null, stale: false });
      expect(r.body.signals.map((x) => x.id)).toEqual([...r.body.signals.map((x) => x.id)].sort((a, b) => a - b));
    });

    it('filters by alias, qualified or plain name, comma-separated or repeated; lists what has no value', async () => {
      const r = await signals(`?names=vehicleSpeed,${encodeURIComponent(LATITUDE)}&names=VCU_GearActual&names=soc`);
      expect(r.status).toBe(200);
      expect(r.body.signals.map((s) => s.qualifiedName).sort()).toEqual([GEAR, SPEED, LATITUDE].sort());
      expect(r.body.missing).toEqual(['soc']);
    });

    it('answers an ambiguous name with 400 listing the qualified candidates', async () => {
      const r = await h.call('GET', `/v1/vehicles/${VIN_A}/signals?names=OBC_State`, { token });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('SIGNAL_NAME_AMBIGUOUS');
      expect(r.body.error.message).toContain('powertrain/OBC_DcOutput/OBC_State');
      expect(r.body.error.details).toMatchObject({
        candidates: ['powertrain/OBC_DcOutput/OBC_State', 'powertrain/OBC_Health/OBC_State'],
      });
    });

    it('answers an unknown name with 404 and a hint', async () => {
      const r = await h.call('GET', `/v1/vehicles/${VIN_A}/signals?names=VehicleSpeed`, { token });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('SIGNAL_NOT_FOUND');
      expect(r.body.error.message).toContain('Similar: vehicleSpeed');
    });

    it('reads what the store committed, at once (no cache in between)', async () => {
      const soc = await auroraSignal('bms/BMS_Soc/BMS_SocDisplayed');
      expect((await signals('?names=soc')).body.missing).toEqual(['soc']);
      await seedLatest(h.pool, VIN_A, [{ signalId: soc.id, value: 81, eventTimeMs: Date.now() }]);
      const after = await signals('?names=soc');
      expect(after.body.signals).toMatchObject([
        { qualifiedName: 'bms/BMS_Soc/BMS_SocDisplayed', unit: '%', value: 81, stale: false },
      ]);
      await seedLatest(h.pool, VIN_A, [{ signalId: soc.id, value: 80, eventTimeMs: Date.now() }]);
      expect((await signals('?names=soc')).body.signals[0]?.value).toBe(80);
    });

    it('reports stored ids the catalog does not know instead of inventing names', async () => {
      await seedLatest(h.pool, VIN_A, [{ signalId: 999_999, value: 1, eventTimeMs: Date.now() }]);
      const r = await signals();
      expect(r.body.unresolvedSignalIds).toEqual([999_999]);
      expect(r.body.signals.some((s) => s.id === 999_999)).toBe(false);
      await h.pool.query('DELETE FROM signal_latest_block WHERE block = 999999 / 128');
    });

    it('describes values decoded with another catalog version by their stable ids', async () => {
      const odometer = await auroraSignal('powertrain/VCU_Odometer/VCU_Odometer');
      await seedLatest(h.pool, VIN_A, [{ signalId: odometer.id, value: 12_345, eventTimeMs: Date.now() }], '0.9.0');
      const r = await signals('?names=odometer');
      expect(r.body.signals).toMatchObject([{ qualifiedName: odometer.qualifiedName, value: 12_345 }]);
    });
  });

  describe('history', () => {
    it('returns the samples in [from, to) by event time, with ms or ISO bounds', async () => {
      const ms = await history('vehicleSpeed', `?from=${T0 + 2000}&to=${T0 + 5000}`);
      expect(ms.status).toBe(200);
      expect(ms.body.points.map((p) => p.value)).toEqual([20, 30, 40]);
      expect(ms.body.points[0]).toMatchObject({
        eventTimeMs: T0 + 2000,
        eventTime: '2025-11-21T08:00:02.000Z',
        receiveTimeMs: T0 + 2150,
      });
      expect(ms.body).toMatchObject({ fromMs: T0 + 2000, toMs: T0 + 5000, order: 'asc', count: 3, next: null });
      expect(ms.body.signal).toMatchObject({ id: speed.id, qualifiedName: SPEED, unit: 'km/h' });
      const iso = await history(
        'vehicleSpeed',
        `?from=2025-11-21T08:00:02Z&to=${encodeURIComponent('2025-11-21T09:00:05+01:00')}`,
      );
      expect(iso.body.points.map((p) => p.value)).toEqual([20, 30, 40]);
    });

    it("never mixes in another vehicle's samples", async () => {
      const r = await history('vehicleSpeed', `?from=${T0}&to=${T0 + 10_000}`);
      expect(r.body.points.map((p) => p.value)).not.toContain(999);
      expect(r.body.count).toBe(10);
    });

    it('pages with limit and next, forwards and backwards', async () => {
      const seen: number[] = [];
      let query = `?from=${T0}&limit=4`;
      for (let page = 0; page < 5; page += 1) {
        const r = await history('vehicleSpeed', query);
        seen.push(...r.body.points.map((p) => p.value));
        if (!r.body.next) break;
        query = `?from=${r.body.next.fromMs}&limit=4${r.body.next.toMs === null ? '' : `&to=${r.body.next.toMs}`}`;
      }
      expect(seen).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
      const desc = await history('vehicleSpeed', `?from=${T0}&order=desc&limit=3`);
      expect(desc.body.points.map((p) => p.value)).toEqual([90, 80, 70]);
      expect(desc.body.next).toEqual({ fromMs: T0, toMs: T0 + 7000 });
    });

    it('defaults to the last 24 hours', async () => {
      const r = await history('vehicleSpeed');
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(0);
      expect(r.body.toMs).toBeNull();
      expect(Date.now() - r.body.fromMs).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    });

    it('labels enumerated values', async () => {
      const r = await history('gear', `?from=${T0}`);
      expect(r.body.points.map((p) => p.label)).toEqual(['P', 'D', 'B']);
      expect(r.body.signal.choices).toMatchObject({ '3': 'D' });
    });

    it('resolves the name as alias, plain name, message/signal or qualified name, slashes encoded or not', async () => {
      const paths = [
        'vehicleSpeed',
        'VCU_VehicleSpeed',
        encodeURIComponent('VCU_VehicleStatus/VCU_VehicleSpeed'),
        encodeURIComponent(SPEED),
        SPEED,
      ];
      for (const name of paths) {
        const r = await history(name, `?from=${T0}&limit=1`);
        expect(r.status, name).toBe(200);
        expect(r.body.signal.qualifiedName, name).toBe(SPEED);
      }
    });

    it('answers an ambiguous name with 400 listing the candidates and an unknown one with 404 and a hint', async () => {
      const ambiguous = await h.call('GET', `/v1/vehicles/${VIN_A}/signals/DCDC_State/history`, { token });
      expect(ambiguous.status).toBe(400);
      expect(ambiguous.body.error.code).toBe('SIGNAL_NAME_AMBIGUOUS');
      expect(ambiguous.body.error.message).toContain(
        'powertrain/DCDC_Health/DCDC_State, powertrain/DCDC_Status/DCDC_State',
      );
      const unknown = await h.call('GET', `/v1/vehicles/${VIN_A}/signals/vehicle_speed/history`, { token });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({ code: 'SIGNAL_NOT_FOUND', details: { path: '/params/name' } });
      expect(unknown.body.error.message).toContain('alias');
    });

    it('answers bad parameters with 400 naming the parameter', async () => {
      const cases: [string, string][] = [
        ['?from=yesterday', '/querystring/from'],
        ['?to=2025-11-21T08:00:00', '/querystring/to'],
        [`?from=${T0 + 5000}&to=${T0}`, '/querystring/from'],
        ['?limit=0', '/querystring/limit'],
        ['?limit=10001', '/querystring/limit'],
        ['?limit=ten', '/querystring/limit'],
        ['?order=sideways', '/querystring/order'],
        ['?since=1', '/querystring/since'],
      ];
      for (const [query, path] of cases) {
        const r = await h.call('GET', `/v1/vehicles/${VIN_A}/signals/vehicleSpeed/history${query}`, { token });
        expect(r.status, query).toBe(400);
        expect(r.body.error.code, query).toBe('INVALID_REQUEST');
        expect(r.body.error.message, query).toContain(path);
        expect(r.body.error.details, query).toMatchObject({ problems: [{ path }] });
      }
      const badVin = await h.call('GET', '/v1/vehicles/NOT-A-VIN/signals', { token });
      expect(badVin.status).toBe(400);
      expect(badVin.body.error.message).toContain('/params/vin');
    });
  });
});
