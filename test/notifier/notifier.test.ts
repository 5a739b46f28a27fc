// The notifier on real Kafka, PostgreSQL and Redis, with the API in process and a real HTTP receiver: signed
// webhooks the receiver verifies, retries after 500s, dead letters after NOTIFIER_WEBHOOK_MAX_ATTEMPTS, fleet
// isolation for webhooks and live streams (SSE and WebSocket), resumption, bad records, and a kill -9 that loses
// no delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LOCAL, waitFor } from '@telltale/platform/testing';
import { alertStreamKey, type AlertEvent } from '@telltale/rules/alerts';
import { alertOf, expectedDeliveryId, startRun, verifyAsReceiver, VIN_A, VIN_B, type Run } from './harness.js';
import { openSse, openWebSocket, type LiveClient } from './sse.js';

interface Created {
  subscription: { subscriptionId: string; webhook: { url: string } | null };
  webhookSecret: string | null;
}
interface DeliveryLog {
  deliveries: {
    deliveryId: string;
    status: string;
    attempts: number;
    alertId: string | null;
    log: { attempt: number; outcome: string; statusCode: number | null }[];
  }[];
}

const bodyOf = (body: string) =>
  JSON.parse(body) as { type: string; deliveryId: string; subscriptionId: string; alert: AlertEvent };

describe('notifier: webhooks and live streams', () => {
  let t: Run;
  let engineerA: string;
  let engineerB: string;
  const open: LiveClient[] = [];

  const subscribe = async (token: string, body: Record<string, unknown>): Promise<Created> => {
    const reply = await t.call<Created>('POST', '/v1/subscriptions', token, body);
    expect(reply.status).toBe(201);
    return reply.body;
  };

  beforeAll(async () => {
    t = await startRun();
    engineerA = await t.key('engineer', ['fleet-a']);
    engineerB = await t.key('engineer', ['fleet-b']);
    await t.startNotifier();
  }, 120_000);

  afterAll(async () => {
    for (const client of open) client.close();
    const redis = new Redis(LOCAL.redisUrl);
    await redis.del(...['fleet-a', 'fleet-b', '*'].map((f) => alertStreamKey(`${t.run}:`, f)));
    redis.disconnect();
    await t?.close();
  });

  it("delivers signed webhooks per fleet: A's subscriber never gets B's alerts; a replay is sent once", async () => {
    const a = await subscribe(engineerA, {
      name: 'fleet A ops',
      fleets: ['fleet-a'],
      webhook: { url: t.receiver.url('/a') },
    });
    const b = await subscribe(engineerB, {
      name: 'fleet B ops',
      fleets: ['fleet-b'],
      webhook: { url: t.receiver.url('/b') },
    });
    expect(a.webhookSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    // The secret is write-only.
    const read = await t.call<Record<string, unknown>>(
      'GET',
      `/v1/subscriptions/${a.subscription.subscriptionId}`,
      engineerA,
    );
    expect(JSON.stringify(read.body)).not.toContain(a.webhookSecret);
    // A key subscribes only within its fleets, and sees only its own fleets' subscriptions.
    expect(
      (
        await t.call('POST', '/v1/subscriptions', engineerA, {
          name: 'x',
          fleets: ['fleet-b'],
          webhook: { url: t.receiver.url('/x') },
        })
      ).status,
    ).toBe(403);
    expect((await t.call('GET', `/v1/subscriptions/${b.subscription.subscriptionId}`, engineerA)).status).toBe(404);

    const alertB = alertOf(VIN_B);
    const alertA = alertOf(VIN_A);
    await t.produce(alertB, alertA, alertA);
    const sentinel = alertOf(VIN_A);
    await t.produce(sentinel);
    await waitFor("B's alert at /b", () => (t.receiver.at('/b').length >= 1 ? true : undefined), 30_000);
    await waitFor(
      'the sentinel at /a',
      () => (t.receiver.at('/a').some((r) => bodyOf(r.body).alert.alertId === sentinel.alertId) ? true : undefined),
      30_000,
    );

    const atA = t.receiver.at('/a').map((r) => ({ ...r, parsed: bodyOf(r.body) }));
    expect(atA.every((r) => r.parsed.alert.fleetId === 'fleet-a')).toBe(true);
    expect(atA.filter((r) => r.parsed.alert.alertId === alertA.alertId)).toHaveLength(1);
    expect(t.receiver.at('/b').map((r) => bodyOf(r.body).alert.alertId)).toEqual([alertB.alertId]);

    const first = atA.find((r) => r.parsed.alert.alertId === alertA.alertId)!;
    expect(verifyAsReceiver(a.webhookSecret!, first.headers['telltale-signature'] as string, first.body)).toBe(true);
    expect(verifyAsReceiver(b.webhookSecret!, first.headers['telltale-signature'] as string, first.body)).toBe(false);
    expect(
      verifyAsReceiver(
        a.webhookSecret!,
        first.headers['telltale-signature'] as string,
        first.body.replace('fleet-a', 'fleet-b'),
      ),
    ).toBe(false);
    const id = expectedDeliveryId(a.subscription.subscriptionId, alertA.alertId!, 1);
    expect(first.headers['telltale-delivery-id']).toBe(id);
    expect(first.headers['idempotency-key']).toBe(id);
    expect(first.parsed).toMatchObject({
      type: 'alert.transition',
      deliveryId: id,
      subscriptionId: a.subscription.subscriptionId,
    });
    expect(first.parsed.alert).toMatchObject({
      vin: VIN_A,
      severity: 'major',
      state: 'raised',
      ruleId: 'battery-hot',
      transitionSeq: 1,
      evidence: [{ signal: 'packTemp', value: 61.5 }],
    });

    const log = await t.call<DeliveryLog>(
      'GET',
      `/v1/subscriptions/${a.subscription.subscriptionId}/deliveries`,
      engineerA,
    );
    expect(log.status).toBe(200);
    expect(log.body.deliveries.find((d) => d.deliveryId === id)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      log: [{ attempt: 1, outcome: 'delivered', statusCode: 200 }],
    });
  });

  it('retries after 500 responses with the same delivery id and body, then succeeds', async () => {
    t.receiver.on('/flaky', (_r, count) => (count <= 2 ? 500 : 204));
    const s = await subscribe(engineerA, {
      name: 'flaky receiver',
      fleets: ['fleet-a'],
      webhook: { url: t.receiver.url('/flaky') },
    });
    const alert = alertOf(VIN_A);
    await t.produce(alert);
    const log = await waitFor(
      'a delivered flaky delivery',
      async () => {
        const reply = await t.call<DeliveryLog>(
          'GET',
          `/v1/subscriptions/${s.subscription.subscriptionId}/deliveries`,
          engineerA,
        );
        const d = reply.body.deliveries[0];
        return d?.status === 'delivered' ? d : undefined;
      },
      30_000,
    );
    expect(log.log.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'rejected', 500],
      [2, 'rejected', 500],
      [3, 'delivered', 204],
    ]);
    const requests = t.receiver.at('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['telltale-delivery-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    expect(requests.map((r) => r.headers['telltale-attempt'])).toEqual(['1', '2', '3']);
    expect(
      requests.every((r) => verifyAsReceiver(s.webhookSecret!, r.headers['telltale-signature'] as string, r.body)),
    ).toBe(true);
  });

  it('dead-letters a delivery after NOTIFIER_WEBHOOK_MAX_ATTEMPTS (3) failures, not holding up others', async () => {
    t.receiver.on('/down', () => 503);
    const dead = await subscribe(engineerA, {
      name: 'down receiver',
      fleets: ['fleet-a'],
      webhook: { url: t.receiver.url('/down') },
    });
    const alert = alertOf(VIN_A, { severity: 4 });
    await t.produce(alert);
    const log = await waitFor(
      'a dead delivery',
      async () => {
        const reply = await t.call<DeliveryLog>(
          'GET',
          `/v1/subscriptions/${dead.subscription.subscriptionId}/deliveries?status=dead`,
          engineerA,
        );
        return reply.body.deliveries[0];
      },
      30_000,
    );
    expect(log).toMatchObject({ status: 'dead', attempts: 3, alertId: alert.alertId });
    expect(log.log.map((a) => a.statusCode)).toEqual([503, 503, 503]);
    expect(t.receiver.at('/down')).toHaveLength(3);
    // The healthy subscriber of the same fleet got the same alert.
    expect(t.receiver.at('/a').some((r) => bodyOf(r.body).alert.alertId === alert.alertId)).toBe(true);
  });

  it('dead-letters undecodable and incomplete records and keeps going', async () => {
    await t.produceRaw(VIN_A, Buffer.from([0x0a, 0x10, 0x42]));
    await t.produce({ ...alertOf(VIN_A), fleetId: '' });
    const after = alertOf(VIN_A);
    await t.produce(after);
    await waitFor(
      'the alert after the bad records',
      () => (t.receiver.at('/a').some((r) => bodyOf(r.body).alert.alertId === after.alertId) ? true : undefined),
      30_000,
    );
    const { rows } = await t.pool.query<{ reason: string }>('SELECT reason FROM notifier_dead_letters ORDER BY id');
    expect(rows.map((r) => r.reason)).toEqual(['ALERT_UNDECODABLE', 'ALERT_INVALID']);
  });

  it("streams fleet A's alerts to SSE and WebSocket clients of fleet A only, resumable (Last-Event-ID)", async () => {
    const viewerA = await t.key('viewer', ['fleet-a']);
    const admin = await t.key('admin', ['*']);
    const base = t.api.url.replace(/^http/, 'ws');
    const sse = await openSse(`${t.api.url}/v1/alerts/stream`, { authorization: `Bearer ${viewerA}` });
    const sseByToken = await openSse(`${t.api.url}/v1/alerts/stream?token=${viewerA}&minSeverity=critical`, {});
    const ws = await openWebSocket(`${base}/v1/alerts/stream`, { authorization: `Bearer ${viewerA}` });
    const all = await openSse(`${t.api.url}/v1/alerts/stream`, { authorization: `Bearer ${admin}` });
    open.push(sse, sseByToken, ws, all);
    expect(sse.status).toBe(200);
    for (const client of [sse, sseByToken, ws, all])
      await waitFor('ready', () => client.events.find((e) => e.event === 'ready'), 15_000);
    const ready = sse.events.find((e) => e.event === 'ready')!;

    const fromB = alertOf(VIN_B);
    const fromA = alertOf(VIN_A);
    await t.produce(fromB);
    await t.produce(fromA);
    const alertsOf = (client: LiveClient) =>
      client.events
        .filter((e) => e.event === 'alert')
        .map((e) => JSON.parse(e.data) as { alert?: AlertEvent } & AlertEvent);
    const idOf = (e: { alert?: AlertEvent } & AlertEvent) => (e.alert ?? e).alertId;
    await waitFor(
      'both alerts on the all-fleets stream',
      () =>
        alertsOf(all).map(idOf).includes(fromA.alertId!) && alertsOf(all).map(idOf).includes(fromB.alertId!)
          ? true
          : undefined,
      30_000,
    );
    await waitFor(
      "fleet A's alert on SSE",
      () => (alertsOf(sse).map(idOf).includes(fromA.alertId!) ? true : undefined),
      30_000,
    );
    await waitFor(
      "fleet A's alert on the WebSocket",
      () => (alertsOf(ws).map(idOf).includes(fromA.alertId!) ? true : undefined),
      30_000,
    );
    expect(alertsOf(sse).map(idOf)).not.toContain(fromB.alertId);
    expect(alertsOf(ws).map(idOf)).not.toContain(fromB.alertId);
    expect(alertsOf(ws).every((e) => e.alert?.fleetId === 'fleet-a')).toBe(true);
    expect(alertsOf(sseByToken)).toEqual([]); // severity major < critical

    // Resume after the ready event: the alert comes again.
    const resumed = await openSse(`${t.api.url}/v1/alerts/stream`, {
      authorization: `Bearer ${viewerA}`,
      'last-event-id': ready.id!,
    });
    open.push(resumed);
    await waitFor(
      'the replayed alert',
      () => (alertsOf(resumed).map(idOf).includes(fromA.alertId!) ? true : undefined),
      15_000,
    );
    expect(alertsOf(resumed).map(idOf)).not.toContain(fromB.alertId);

    // Heartbeats on idle streams; other fleets and bad keys refused.
    await waitFor('a heartbeat', () => sse.events.find((e) => e.event === 'comment'), 15_000);
    expect(
      (await openSse(`${t.api.url}/v1/alerts/stream?fleet=fleet-b`, { authorization: `Bearer ${viewerA}` })).status,
    ).toBe(403);
    expect((await openSse(`${t.api.url}/v1/alerts/stream`, {})).status).toBe(401);
    await expect(openWebSocket(`${base}/v1/alerts/stream`, {})).rejects.toThrow(/401/);
  });

  it('loses no delivery when the notifier is killed -9 with deliveries in flight, alerts still on Kafka', async () => {
    let receiving = false;
    t.receiver.on('/restart', () => (receiving ? 200 : 'hang'));
    await subscribe(engineerA, {
      name: 'restart receiver',
      fleets: ['fleet-a'],
      webhook: { url: t.receiver.url('/restart') },
    });
    const before = Array.from({ length: 5 }, () => alertOf(VIN_A));
    await t.produce(...before);
    await waitFor('deliveries in flight', () => (t.receiver.at('/restart').length >= 5 ? true : undefined), 30_000);
    await t.killNotifier();
    const during = Array.from({ length: 5 }, () => alertOf(VIN_A));
    await t.produce(...during);
    receiving = true;
    await t.startNotifier();
    const wanted = [...before, ...during].map((a) => a.alertId!);
    await waitFor(
      'every alert delivered after the restart',
      () => {
        const got = new Set(t.receiver.at('/restart').map((r) => bodyOf(r.body).alert.alertId));
        return wanted.every((id) => got.has(id)) ? true : undefined;
      },
      60_000,
    );
  });
});
