import { describe, expect, it } from 'vitest';
import { Alert, type IAlert } from '@telltale/platform/proto';
import type { AlertEvent, AlertFilter } from '@telltale/rules/alerts';
import type { Subscription } from '../domain/subscription.js';
import {
  AlertIntake,
  type ConsumedRecord,
  type DeadLetter,
  type DeliveryInbox,
  type IntakeEvents,
  type NewDelivery,
} from './alert-intake.js';

const VIN = 'LRW3E7FS1RC000001';
const ANY: AlertFilter = {
  fleets: ['fleet-a'],
  models: [],
  vins: [],
  rules: [],
  minSeverity: 'info',
  states: [],
  includeBackfill: false,
};

const alert = (over: Partial<IAlert> = {}): IAlert => ({
  alertId: '00000000-0000-4000-8000-000000000001',
  vin: VIN,
  fleetId: 'fleet-a',
  modelId: 'aurora-ev-2026',
  catalogVersion: '1.0.0',
  ruleId: 'battery-hot',
  ruleVersion: 1,
  ruleName: 'Battery hot',
  severity: 3,
  state: 1,
  transitionSeq: 1,
  eventTimeMsEpoch: 1000,
  episodeStartMsEpoch: 1000,
  emitTimeMsEpoch: 1010,
  message: 'hot',
  origin: 'rule',
  reason: 'condition',
  ...over,
});

let offset = 0;
const recordOf = (value: Buffer | null): ConsumedRecord => ({
  topic: 'vehicle.alerts.v1',
  partition: 1,
  offset: String(offset++),
  key: VIN,
  value,
});
const encoded = (a: IAlert): Buffer => Buffer.from(Alert.encode(a).finish());

/** In-memory fakes: the inbox keys deliveries by id like the queue's primary key; dead letters by offset. */
function harness(subscriptions: Subscription[]) {
  const queued = new Map<string, NewDelivery>();
  const dead = new Map<string, DeadLetter>();
  const published: AlertEvent[] = [];
  const counts = { consumed: 0, enqueued: 0, rejected: [] as string[], loads: 0, nudges: 0 };
  let version = 1;
  const inbox: DeliveryInbox = {
    enqueue: (deliveries) => {
      let inserted = 0;
      for (const d of deliveries) {
        if (queued.has(d.deliveryId)) continue;
        queued.set(d.deliveryId, d);
        inserted += 1;
      }
      return Promise.resolve(inserted);
    },
    deadLetter: (records) => {
      for (const r of records) dead.set(`${r.topic}/${r.partition}/${r.offset}`, r);
      return Promise.resolve();
    },
  };
  const events: IntakeEvents = {
    consumed: (n) => (counts.consumed += n),
    rejected: (reason) => counts.rejected.push(reason),
    enqueued: (n) => (counts.enqueued += n),
    published: () => undefined,
    subscriptionsLoaded: () => (counts.loads += 1),
  };
  const intake = new AlertIntake(
    {
      version: () => Promise.resolve(String(version)),
      loadActive: () => Promise.resolve([...subscriptions]),
    },
    inbox,
    { publish: (alerts) => Promise.resolve(void published.push(...alerts)) },
    events,
    () => (counts.nudges += 1),
    () => 5000,
  );
  return {
    intake,
    queued,
    dead,
    published,
    counts,
    subscriptions,
    bump: () => (version += 1),
  };
}

const webhookSub = (id: string, filter: Partial<AlertFilter> = {}): Subscription => ({
  subscriptionId: id,
  filter: { ...ANY, ...filter },
  webhook: { url: `https://hooks.example.com/${id}` },
});

describe('AlertIntake', () => {
  it('queues one delivery per matching webhook subscription, and a replay inserts no second one', async () => {
    const h = harness([webhookSub('11111111-1111-4111-8111-111111111111')]);
    const record = recordOf(encoded(alert()));
    await h.intake.handle([record]);
    expect(h.queued.size).toBe(1);
    expect(h.counts.nudges).toBe(1);
    const [delivery] = [...h.queued.values()];
    expect(delivery).toMatchObject({ vin: VIN, targetHost: 'hooks.example.com', emitTimeMs: 1010, transitionSeq: 1 });

    await h.intake.handle([{ ...record, offset: String(offset++) }]); // the same alert consumed again
    expect(h.queued.size).toBe(1);
    expect(h.counts.enqueued).toBe(1);
    expect(h.counts.nudges).toBe(1);
    expect(h.published).toHaveLength(2); // live streams are at least once; clients dedupe by (alertId, seq)
  });

  it('gives a subscription whose filter does not match nothing, and a stream-only one no webhook', async () => {
    const h = harness([
      webhookSub('22222222-2222-4222-8222-222222222222', { rules: ['brake-wear'] }),
      webhookSub('33333333-3333-4333-8333-333333333333', { fleets: ['fleet-b'] }),
      webhookSub('44444444-4444-4444-8444-444444444444', { minSeverity: 'critical' }),
      { subscriptionId: '55555555-5555-4555-8555-555555555555', filter: ANY, webhook: null },
    ]);
    await h.intake.handle([recordOf(encoded(alert()))]);
    expect(h.queued.size).toBe(0);
    expect(h.counts.nudges).toBe(0);
    expect(h.counts.consumed).toBe(1);
  });

  it('dead-letters empty, undecodable and incomplete records with their offsets, and handles the rest', async () => {
    const h = harness([webhookSub('11111111-1111-4111-8111-111111111111')]);
    const empty = recordOf(null);
    const garbage = recordOf(Buffer.from([0x0a, 0xff]));
    const noFleet = recordOf(encoded(alert({ fleetId: '' })));
    const good = recordOf(encoded(alert()));
    await h.intake.handle([empty, garbage, noFleet, good]);
    expect(h.counts.rejected).toHaveLength(3);
    expect(h.counts.rejected.slice(0, 2)).toEqual(['ALERT_EMPTY', 'ALERT_UNDECODABLE']);
    expect([...h.dead.values()].map((d) => d.offset)).toEqual([empty.offset, garbage.offset, noFleet.offset]);
    expect(h.dead.get(`vehicle.alerts.v1/1/${garbage.offset}`)?.payload).toEqual(garbage.value);
    expect(h.queued.size).toBe(1);
  });

  it('reloads subscriptions only when their version moved', async () => {
    const h = harness([]);
    await h.intake.handle([recordOf(encoded(alert()))]);
    expect(h.queued.size).toBe(0);
    h.subscriptions.push(webhookSub('66666666-6666-4666-8666-666666666666'));
    await h.intake.handle([recordOf(encoded(alert({ alertId: 'a2' })))]);
    expect(h.queued.size).toBe(0); // version unchanged: the cached list is used
    h.bump();
    await h.intake.handle([recordOf(encoded(alert({ alertId: 'a3' })))]);
    expect(h.queued.size).toBe(1);
    expect(h.counts.loads).toBe(2);
  });
});
