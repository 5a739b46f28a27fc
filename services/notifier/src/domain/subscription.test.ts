import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertFilter } from '@telltale/rules/alerts';
import { deliveryIdOf, webhookDeliveriesFor, type Subscription } from './subscription.js';

const alert = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  alertId: 'a1',
  transitionSeq: 1,
  vin: 'LRW3E7FS1RC000001',
  fleetId: 'fleet-a',
  modelId: 'aurora-ev-2026',
  catalogVersion: '1.0.0',
  ruleId: 'battery-hot',
  ruleVersion: 2,
  ruleName: 'Battery hot',
  origin: 'rule',
  state: 'raised',
  severity: 'major',
  previousSeverity: null,
  message: 'hot',
  eventTimeMs: 1,
  episodeStartMs: 1,
  emitTimeMs: 2,
  backfill: false,
  timer: false,
  reason: 'condition',
  evidence: [],
  ...over,
});
const filter = (over: Partial<AlertFilter> = {}): AlertFilter => ({
  fleets: ['fleet-a'],
  models: [],
  vins: [],
  rules: [],
  minSeverity: 'info',
  states: [],
  includeBackfill: false,
  ...over,
});
const sub = (id: string, f: Partial<AlertFilter>, webhook = true): Subscription => ({
  subscriptionId: id,
  filter: filter(f),
  webhook: webhook ? { url: `http://r/${id}` } : null,
});

describe('subscription matching', () => {
  it('matches on fleet, model, vehicle, rule, least severity and state', () => {
    const subs = [
      sub('fleet-b', { fleets: ['fleet-b'] }),
      sub('all', { fleets: ['*'] }),
      sub('model', { models: ['other-model'] }),
      sub('vin', { vins: ['LRW3E7FS1RC000001'] }),
      sub('rule', { rules: ['battery-cold'] }),
      sub('critical', { minSeverity: 'critical' }),
      sub('major', { minSeverity: 'major' }),
      sub('cleared', { states: ['cleared'] }),
      sub('no-webhook', {}, false),
    ];
    expect(webhookDeliveriesFor(subs, alert()).map((d) => d.subscriptionId)).toEqual(['all', 'vin', 'major']);
    expect(
      webhookDeliveriesFor(subs, alert({ state: 'cleared', severity: 'info' })).map((d) => d.subscriptionId),
    ).toEqual(['all', 'vin', 'cleared']);
  });

  it('leaves backfill alerts out unless asked for', () => {
    expect(webhookDeliveriesFor([sub('x', {})], alert({ backfill: true }))).toHaveLength(0);
    expect(webhookDeliveriesFor([sub('x', { includeBackfill: true })], alert({ backfill: true }))).toHaveLength(1);
  });

  it('derives one delivery id per (subscription, alert, transition), also the idempotency key', () => {
    const [d] = webhookDeliveriesFor([sub('s1', {})], alert());
    expect(d!.deliveryId).toBe(createHash('sha256').update('s1\na1\n1').digest('hex').slice(0, 32));
    expect(deliveryIdOf('s1', 'a1', 2)).not.toBe(d!.deliveryId);
    expect(deliveryIdOf('s2', 'a1', 1)).not.toBe(d!.deliveryId);
    expect(JSON.parse(d!.body)).toEqual({
      type: 'alert.transition',
      deliveryId: d!.deliveryId,
      subscriptionId: 's1',
      alert: alert(),
    });
  });
});
