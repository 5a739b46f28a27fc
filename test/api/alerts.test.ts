// Alerts through the API against a real server and PostgreSQL, with rows shaped as diagnostics writes them:
// filters, keyset pagination, fleet isolation, transitions and idempotent acknowledgement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertIdFor, insertAlert } from './alert-rows.js';
import { startApiHarness, VIN_A, VIN_B, type ApiHarness } from './harness.js';

interface Alert {
  alertId: string;
  vin: string;
  fleetId: string;
  modelId: string;
  ruleId: string;
  ruleVersion: number;
  state: string;
  severity: string;
  open: boolean;
  raisedMs: number;
  raised: string;
  clearedMs: number | null;
  lastSeq: number;
  acknowledgement: { atMs: number; at: string; by: string; note: string | null } | null;
}
interface AlertList {
  alerts: Alert[];
  nextCursor: string | null;
}
interface AlertDetail extends Alert {
  transitions: {
    seq: number;
    state: string;
    ruleId: string;
    ruleVersion: number;
    eventTimeMs: number;
    eventTime: string;
    message: string;
    evidence: { signal: string; value: number | null; unit: string }[];
  }[];
}

const T0 = 1_763_700_000_000;
const VIN_VAN = 'LRW3E7FS1RC000009';

describe('alerts', () => {
  let h: ApiHarness;
  let viewerA: string;
  let engineerA: string;
  let engineerAId: string;
  let viewerAll: string;
  const id: Record<string, string> = {};

  beforeAll(async () => {
    h = await startApiHarness();
    viewerA = (await h.key('viewer', ['fleet-a'])).token;
    ({ token: engineerA, keyId: engineerAId } = await h.key('engineer', ['fleet-a'], 'night-shift'));
    viewerAll = (await h.key('admin', ['*'])).token;
    id.van = await insertAlert(h.pool, {
      vin: VIN_VAN,
      fleetId: 'fleet-a',
      ruleId: 'van.cargo-warm',
      modelId: 'cargo-van-e-2025',
      raisedMs: T0 + 500,
      severity: 'info',
    });
    id.temp = await insertAlert(h.pool, {
      vin: VIN_A,
      fleetId: 'fleet-a',
      ruleId: 'bms.over-temp',
      raisedMs: T0 + 1000,
      severity: 'warning',
    });
    id.imbalance = await insertAlert(h.pool, {
      vin: VIN_A,
      fleetId: 'fleet-a',
      ruleId: 'bms.imbalance',
      raisedMs: T0 + 2000,
      severity: 'critical',
      state: 'escalated',
      ruleVersion: 3,
    });
    id.b = await insertAlert(h.pool, {
      vin: VIN_B,
      fleetId: 'fleet-b',
      ruleId: 'bms.over-temp',
      raisedMs: T0 + 2500,
      severity: 'critical',
    });
    id.cleared = await insertAlert(h.pool, {
      vin: VIN_A,
      fleetId: 'fleet-a',
      ruleId: 'bms.over-temp',
      raisedMs: T0 + 3000,
      severity: 'major',
      state: 'cleared',
    });
    // Two raises at the same millisecond: the page order breaks the tie by alert id.
    id.tieX = await insertAlert(h.pool, {
      vin: VIN_A,
      fleetId: 'fleet-a',
      ruleId: 'tie.x',
      raisedMs: T0 + 4000,
      severity: 'info',
    });
    id.tieY = await insertAlert(h.pool, {
      vin: VIN_A,
      fleetId: 'fleet-a',
      ruleId: 'tie.y',
      raisedMs: T0 + 4000,
      severity: 'info',
    });
  });
  afterAll(() => h?.close());

  const list = async (query: string, token = viewerA): Promise<AlertList> => {
    const r = await h.call<AlertList>('GET', `/v1/alerts${query}`, { token });
    expect(r.status, query).toBe(200);
    return r.body;
  };
  const rules = (l: AlertList): string[] => l.alerts.map((a) => a.ruleId);
  const ties = (): string[] => [id.tieX!, id.tieY!].sort().map((x) => (x === id.tieX ? 'tie.x' : 'tie.y'));

  it("lists the key's fleets' alerts, newest raise first, ties by alert id", async () => {
    const all = await list('');
    expect(rules(all)).toEqual([...ties(), 'bms.over-temp', 'bms.imbalance', 'bms.over-temp', 'van.cargo-warm']);
    expect(all.alerts.every((a) => a.fleetId === 'fleet-a')).toBe(true);
    expect(all.nextCursor).toBeNull();
    expect(all.alerts[2]).toMatchObject({
      alertId: id.cleared,
      state: 'cleared',
      open: false,
      clearedMs: T0 + 63_000,
      lastSeq: 2,
      raised: new Date(T0 + 3000).toISOString(),
      acknowledgement: null,
    });
    expect(rules(await list('', viewerAll))).toContain('bms.over-temp');
    expect((await list('', viewerAll)).alerts.map((a) => a.alertId)).toContain(id.b);
  });

  it('pages with a keyset cursor: every alert once, in order, whatever the page size', async () => {
    const all = (await list('')).alerts.map((a) => a.alertId);
    for (const limit of [1, 2, 4]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: AlertList = await list(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.alerts.length).toBeLessThanOrEqual(limit);
        seen.push(...page.alerts.map((a) => a.alertId));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen, `limit ${limit}`).toEqual(all);
    }
    const filtered = await list('?rule=bms.over-temp&limit=1');
    expect(filtered.alerts.map((a) => a.alertId)).toEqual([id.cleared]);
    expect(
      (await list(`?rule=bms.over-temp&limit=1&cursor=${filtered.nextCursor}`)).alerts.map((a) => a.alertId),
    ).toEqual([id.temp]);
    const bad = await h.call('GET', '/v1/alerts?cursor=bm9uc2Vuc2U', { token: viewerA });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toMatchObject({ problems: [{ path: '/querystring/cursor' }] });
  });

  it('filters by vehicle, fleet, model, rule, severity, state, open, and raise time', async () => {
    expect(rules(await list(`?vin=${VIN_VAN}`))).toEqual(['van.cargo-warm']);
    expect(rules(await list(`?vin=${VIN_VAN.toLowerCase()}`))).toEqual(['van.cargo-warm']);
    expect(rules(await list('?model=cargo-van-e-2025'))).toEqual(['van.cargo-warm']);
    expect(rules(await list('?rule=bms.imbalance'))).toEqual(['bms.imbalance']);
    expect(rules(await list('?severity=critical'))).toEqual(['bms.imbalance']);
    expect(rules(await list('?severity=critical&severity=major'))).toEqual(['bms.over-temp', 'bms.imbalance']);
    expect(rules(await list('?minSeverity=warning'))).toEqual(['bms.over-temp', 'bms.imbalance', 'bms.over-temp']);
    expect(rules(await list('?minSeverity=major&severity=warning'))).toEqual([]);
    expect(rules(await list('?state=escalated'))).toEqual(['bms.imbalance']);
    expect(rules(await list('?open=false'))).toEqual(['bms.over-temp']);
    expect((await list('?open=true')).alerts.every((a) => a.open)).toBe(true);
    expect((await list('?open=true')).alerts).toHaveLength(5);
    expect(rules(await list(`?from=${T0 + 1000}&to=${T0 + 3000}`))).toEqual(['bms.imbalance', 'bms.over-temp']);
    expect(rules(await list(`?from=${new Date(T0 + 3000).toISOString()}`))).toEqual([...ties(), 'bms.over-temp']);
    expect((await list('?fleet=fleet-a')).alerts).toHaveLength(6);
    const bad = await h.call('GET', '/v1/alerts?severity=severe', { token: viewerA });
    expect(bad.status).toBe(400);
    expect((await h.call('GET', `/v1/alerts?from=${T0 + 5}&to=${T0}`, { token: viewerA })).status).toBe(400);
    expect((await h.call('GET', '/v1/alerts?colour=red', { token: viewerA })).status).toBe(400);
  });

  it("never shows another fleet's alert: not in lists, 404 like an id that does not exist", async () => {
    expect((await list('?fleet=fleet-b')).alerts).toEqual([]);
    expect((await list(`?vin=${VIN_B}`)).alerts).toEqual([]);
    const other = await h.call('GET', `/v1/alerts/${id.b}`, { token: viewerA });
    const missing = await h.call('GET', `/v1/alerts/${alertIdFor('nothing')}`, { token: viewerA });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'ALERT_NOT_FOUND', message: `Alert ${id.b} not found.` });
    expect(missing.body.error.message).toBe(`Alert ${alertIdFor('nothing')} not found.`);
    const ack = await h.call('POST', `/v1/alerts/${id.b}/acknowledge`, {
      token: engineerA,
      body: { note: 'not mine' },
    });
    expect(ack.status).toBe(404);
    const { rows } = await h.pool.query<{ acknowledged_ms: string | null }>(
      'SELECT acknowledged_ms FROM alerts WHERE alert_id = $1',
      [id.b],
    );
    expect(rows[0]!.acknowledged_ms).toBeNull();
    expect((await h.call('GET', '/v1/alerts/not-a-uuid', { token: viewerA })).status).toBe(400);
  });

  it('shows an alert with its transitions: state, rule version, evidence, message', async () => {
    const r = await h.call<AlertDetail>('GET', `/v1/alerts/${id.imbalance}`, { token: viewerA });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      alertId: id.imbalance,
      vin: VIN_A,
      ruleId: 'bms.imbalance',
      ruleVersion: 3,
      state: 'escalated',
      severity: 'critical',
      open: true,
    });
    expect(r.body.transitions.map((t) => [t.seq, t.state, t.ruleVersion])).toEqual([
      [1, 'raised', 3],
      [2, 'escalated', 3],
    ]);
    expect(r.body.transitions[0]).toMatchObject({
      eventTimeMs: T0 + 2000,
      eventTime: new Date(T0 + 2000).toISOString(),
      message: 'Cell temperature 57.5 °C (raised)',
    });
    expect(r.body.transitions[0]!.evidence).toEqual([
      {
        signal: 'cellTemperatureMax',
        qualifiedName: 'bms/BMS_CellStats/BMS_CellTemperatureMax',
        value: 57.5,
        eventTimeMs: T0 + 2000,
        unit: '°C',
      },
    ]);
  });

  it('acknowledges once, with a note; a repeat answers 200 with the first acknowledgement', async () => {
    expect((await h.call('POST', `/v1/alerts/${id.temp}/acknowledge`, { token: viewerA, body: {} })).status).toBe(403);
    const first = await h.call<Alert>('POST', `/v1/alerts/${id.temp}/acknowledge`, {
      token: engineerA,
      body: { note: 'driver informed' },
    });
    expect(first.status).toBe(200);
    expect(first.body.acknowledgement).toMatchObject({
      by: `key:${engineerAId} (night-shift)`,
      note: 'driver informed',
    });
    expect(first.body.state).toBe('raised');
    const again = await h.call<Alert>('POST', `/v1/alerts/${id.temp}/acknowledge`, {
      token: viewerAll,
      body: { note: 'second look' },
    });
    expect(again.status).toBe(200);
    expect(again.body.acknowledgement).toEqual(first.body.acknowledgement);
    // No body at all is an acknowledgement without a note.
    const bare = await h.call<Alert>('POST', `/v1/alerts/${id.cleared}/acknowledge`, { token: engineerA });
    expect(bare.status).toBe(200);
    expect(bare.body.acknowledgement).toMatchObject({ note: null });
    expect(rules(await list('?acknowledged=true'))).toEqual(['bms.over-temp', 'bms.over-temp']);
    expect((await list('?acknowledged=false')).alerts.map((a) => a.alertId)).not.toContain(id.temp);
    const detail = await h.call<AlertDetail>('GET', `/v1/alerts/${id.temp}`, { token: viewerA });
    expect(detail.body.acknowledgement).toEqual(first.body.acknowledgement);
    // The acknowledgement is also an alert event, once, in the outbox diagnostics publishes to vehicle.alerts.v1.
    const { rows: events } = await h.pool.query<{
      transition_seq: number;
      state: string;
      origin: string;
      message: string;
      published_ms: string | null;
    }>(
      'SELECT transition_seq, state, origin, message, published_ms FROM alert_transitions ' +
        'WHERE alert_id = $1 AND state = $2',
      [id.temp, 'acknowledged'],
    );
    expect(events).toEqual([
      {
        transition_seq: 0,
        state: 'acknowledged',
        origin: 'operator',
        message: `Acknowledged by key:${engineerAId} (night-shift): driver informed`,
        published_ms: null,
      },
    ]);
  });

  it("lists one vehicle's alerts under /v1/vehicles/{vin}/alerts, 404 outside the key's fleets", async () => {
    const r = await h.call<AlertList>('GET', `/v1/vehicles/${VIN_A}/alerts?open=true&limit=2`, { token: viewerA });
    expect(r.status).toBe(200);
    expect(r.body.alerts.map((a) => a.ruleId)).toEqual(ties());
    const next = await h.call<AlertList>(
      'GET',
      `/v1/vehicles/${VIN_A}/alerts?open=true&limit=2&cursor=${r.body.nextCursor}`,
      { token: viewerA },
    );
    expect(next.body.alerts.map((a) => a.ruleId)).toEqual(['bms.imbalance', 'bms.over-temp']);
    const other = await h.call('GET', `/v1/vehicles/${VIN_B}/alerts`, { token: viewerA });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('VEHICLE_NOT_FOUND');
  });
});
