// Shadow mode against the real services: diagnostics (in process) evaluates a rule's shadow version beside its active
// version on real Kafka and PostgreSQL; the notifier (a child process) delivers to a real webhook receiver. Shadow
// transitions land in shadow_transitions and never reach the subscriber; after promotion through the API the promoted
// version's alerts are delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '@telltale/catalog';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { LOCAL, testLogger, waitFor } from '@telltale/platform/testing';
import type { AlertEvent } from '@telltale/rules/alerts';
import { startDiagnostics, type RunningDiagnostics } from '@telltale/diagnostics';
import { startRun, VIN_A, type Run } from '../notifier/harness.js';
import { auroraCatalog, signalRecord } from './signal-feed.js';

const RULE = {
  id: 'shadow.overspeed',
  condition: 'vehicleSpeed > 100',
  clear: { condition: 'vehicleSpeed < 90' },
  message: 'Speed {{ vehicleSpeed | int }} km/h',
};

describe('shadow versions against the real services', () => {
  let t: Run;
  let diagnostics: RunningDiagnostics | undefined;
  let catalog: Catalog;
  let engineer: string;
  let admin: string;
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: 'shadow-test', log: testLogger() });
  const producer = createReliableProducer(kafka);
  let seq = 0;

  const speed = async (value: number): Promise<void> => {
    const now = Date.now();
    await producer.send(`${t.run}.vehicle.signals.v1`, [
      signalRecord(catalog, {
        vin: VIN_A,
        seq: ++seq,
        baseTimeMs: now,
        arrivalTimeMs: now,
        samples: [{ alias: 'vehicleSpeed', value }],
      }),
    ]);
  };
  const delivered = (): AlertEvent[] =>
    t.receiver
      .at('/ops')
      .map((r) => (JSON.parse(r.body) as { alert: AlertEvent }).alert)
      .filter((a) => a.ruleId === RULE.id);
  const shadowRows = async () =>
    (
      await t.pool.query<{ rule_version: number; state: string; transition_seq: number }>(
        `SELECT rule_version, state, transition_seq FROM shadow_transitions WHERE rule_id = $1
         ORDER BY event_time_ms, transition_seq`,
        [RULE.id],
      )
    ).rows;

  beforeAll(async () => {
    t = await startRun();
    catalog = await auroraCatalog();
    engineer = await t.key('engineer', ['fleet-a', 'fleet-b']);
    admin = await t.key('admin', ['*']); // a rule for every fleet is changed by a key for every fleet
    expect((await t.call('POST', '/v1/rules', admin, { rule: RULE })).status).toBe(201);
    // The shadow: a lower threshold, as version 2.
    const shadow = await t.call<{ rule: { shadowVersion: number } }>('POST', `/v1/rules/${RULE.id}/shadow`, admin, {
      rule: { ...RULE, condition: 'vehicleSpeed > 60', clear: { condition: 'vehicleSpeed < 55' } },
    });
    expect(shadow.body.rule.shadowVersion).toBe(2);
    const subscribed = await t.call('POST', '/v1/subscriptions', engineer, {
      name: 'ops',
      fleets: ['fleet-a'],
      webhook: { url: t.receiver.url('/ops') },
    });
    expect(subscribed.status).toBe(201);
    const admin2 = kafka.admin();
    await admin2.connect();
    await ensureTopics(admin2, [{ topic: `${t.run}.vehicle.signals.v1`, numPartitions: 2, replicationFactor: 1 }]);
    await admin2.disconnect();
    await producer.connect();
    await t.startNotifier();
    diagnostics = await startDiagnostics({
      ...process.env,
      DATABASE_SCHEMA: t.run,
      KAFKA_TOPIC_PREFIX: `${t.run}.`,
      KAFKA_PARTITIONS: '2',
      LOG_LEVEL: 'warn',
      OPS_PORT: '0',
      SILENCE_GRACE_MS: '500',
      ADVANCE_INTERVAL_MS: '100',
      CHECKPOINT_INTERVAL_MS: '200',
      RULE_CHECK_INTERVAL_MS: '1000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
  }, 120_000);

  afterAll(async () => {
    await diagnostics?.stop();
    await producer.disconnect();
    await t?.close();
  }, 60_000);

  it('shadow transitions never reach a subscriber; after promotion the promoted version is delivered', async () => {
    // 80 km/h: only the shadow (> 60) raises; 50: it clears. 120: both raise; 40: both clear.
    for (const value of [80, 50, 120, 40]) {
      await speed(value);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitFor('the active version raised and cleared at the webhook', () =>
      delivered().length >= 2 ? true : undefined,
    );
    await waitFor('4 shadow transitions recorded', async () => ((await shadowRows()).length >= 4 ? true : undefined));
    expect((await shadowRows()).map((r) => [r.rule_version, r.state, r.transition_seq])).toEqual([
      [2, 'raised', 1],
      [2, 'cleared', 2],
      [2, 'raised', 1],
      [2, 'cleared', 2],
    ]);
    // A sentinel through the same path: once it is delivered, anything the shadow had sent would have been too.
    await speed(130);
    await waitFor('the sentinel raise at the webhook', () => (delivered().length >= 3 ? true : undefined));
    expect(delivered().map((a) => [a.ruleVersion, a.state])).toEqual([
      [1, 'raised'],
      [1, 'cleared'],
      [1, 'raised'],
    ]);
    const { rows: live } = await t.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM alert_transitions WHERE rule_id = $1 AND rule_version = 2',
      [RULE.id],
    );
    expect(live[0]!.n).toBe('0');
    await speed(40); // clear the sentinel

    // Side by side through the API: the shadow raised an episode the active version did not.
    const compared = await t.call<{ diff: { matched: number; onlyShadow: { count: number } } }>(
      'GET',
      `/v1/rules/${RULE.id}/shadow`,
      engineer,
    );
    expect(compared.status).toBe(200);
    expect(compared.body.diff.onlyShadow.count).toBeGreaterThanOrEqual(2);

    const promoted = await t.call<{ rule: { currentVersion: number } }>('POST', `/v1/rules/${RULE.id}/promote`, admin, {
      shadowVersion: 2,
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body.rule.currentVersion).toBe(2);
    // Active on every instance within a second: from then on 70 km/h raises a live alert of version 2.
    const raisedV2 = await waitFor(
      'a delivered alert of the promoted version',
      async () => {
        await speed(70);
        await speed(50);
        return delivered().find((a) => a.ruleVersion === 2 && a.state === 'raised');
      },
      30_000,
      500,
    );
    expect(raisedV2).toMatchObject({ vin: VIN_A, fleetId: 'fleet-a', message: 'Speed 70 km/h' });
  });
});
