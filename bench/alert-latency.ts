/**
 * MQTT publish → alert on vehicle.alerts.v1 under simulator load: gateway, decoder, diagnostics and store run as
 * separate processes (as deployed); the simulator drives N aurora-ev-2026 T-Boxes (with the example rules
 * installed, so the engine works for them too), and a probe T-Box alternates its speed between 150 and 20 km/h every
 * 250 ms against a probe rule (raise > 100, clear < 50). Each publish makes one transition; the benchmark consumes
 * vehicle.alerts.v1 and prints p50/p95/p99 of publish → alert readable by a consumer.
 *
 *   npx tsx bench/alert-latency.ts [--vehicles 4] [--seconds 30] [--no-store]
 *
 * Needs the local infrastructure (npm run infra:up).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createKafkaClient, ensureTopics, platformTopicSpecs, startCommittingConsumer } from '@telltale/platform/kafka';
import { Alert } from '@telltale/platform/proto';
import { PgRuleStore } from '@telltale/rules/pg';
import { LOCAL, testLogger } from '@telltale/platform/testing';
import { PROBE_VIN, ROOT, startPipeline, summary } from './pipeline.js';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    'no-store': { type: 'boolean', default: false },
  },
});
const VEHICLES = Number(values.vehicles);
const SECONDS = Number(values.seconds);

const pipeline = await startPipeline('alertlat');
const rules = new PgRuleStore(pipeline.pool);
await rules.create(
  {
    id: 'bench.probe-speed',
    scope: { vins: [PROBE_VIN] },
    condition: 'vehicleSpeed > 100',
    clear: { condition: 'vehicleSpeed < 50' },
    severity: 'info',
  },
  'bench',
);
const examples = join(ROOT, 'services/diagnostics/rules/examples');
for (const file of readdirSync(examples).filter((f) => f.endsWith('.json'))) {
  await rules.create(JSON.parse(readFileSync(join(examples, file), 'utf8')), 'bench');
}

// The alerts topic is read from its start by a consumer of our own; a transition's arrival time is when we see it.
const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: `${pipeline.run}-bench`, log: testLogger() });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(
  admin,
  platformTopicSpecs({ kafkaTopicPrefix: pipeline.prefix, kafkaPartitions: 6, kafkaReplicationFactor: 1 }),
);
await admin.disconnect();
const seen = new Map<number, number>(); // transition seq of the probe's alerts → when the consumer got it
let probeTransitions = 0;
let otherTransitions = 0;
const consumer = await startCommittingConsumer({
  kafka,
  groupId: `${pipeline.run}-bench`,
  topics: [`${pipeline.prefix}vehicle.alerts.v1`],
  fromBeginning: true,
  log: testLogger(),
  consumerConfig: { maxWaitTimeInMs: 10 },
  handleBatch: (batch) => {
    const at = Date.now();
    for (const m of batch.messages) {
      const alert = Alert.decode(new Uint8Array(m.value!));
      if (alert.ruleId !== 'bench.probe-speed') {
        otherTransitions += 1;
        continue;
      }
      probeTransitions += 1;
      seen.set(probeTransitions, at);
    }
    return Promise.resolve();
  },
});

pipeline.service('gateway');
pipeline.service('decoder');
pipeline.service('diagnostics');
if (!values['no-store']) pipeline.service('store');

const waitTransition = async (n: number, timeoutMs: number): Promise<number | undefined> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const at = seen.get(n);
    if (at !== undefined) return at;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return undefined;
};

process.stderr.write('Waiting for gateway, decoder and diagnostics ...\n');
let expected = 0;
let high = true;
for (let attempt = 0; ; attempt++) {
  await pipeline.publishSpeed(high ? 150 : 20);
  if (await waitTransition(expected + 1, 2000)) {
    expected += 1; // raised: the loop below publishes low first
    break;
  }
  if (attempt > 60) throw new Error('the pipeline did not come up within 2 minutes');
}
await pipeline.simulate(VEHICLES, SECONDS + 20, ['--fault', 'over-temperature:0.5', '--fault-after', '5']);

const latency: number[] = [];
let lost = 0;
const end = Date.now() + SECONDS * 1000;
while (Date.now() < end) {
  high = !high;
  const sent = await pipeline.publishSpeed(high ? 150 : 20);
  const at = await waitTransition(expected + 1, 5000);
  if (at === undefined) {
    lost += 1;
    // Resynchronise: whatever arrives late still counts as a transition of the probe.
    expected = probeTransitions;
    high = expected % 2 === 1; // odd count: the alert is raised
  } else {
    expected += 1;
    latency.push(at - sent);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

console.log(
  `load: ${VEHICLES} simulated premium EVs (aurora-ev-2026, full traffic, over-temperature fault on half) ` +
    `+ 1 probe; gateway, decoder, diagnostics${values['no-store'] ? '' : ', store'} as processes`,
);
console.log(
  `probe transitions: ${latency.length} measured, ${lost} not seen within 5 s; ` +
    `${otherTransitions} transitions of the example rules for the simulated fleet`,
);
console.log(`publish → alert on vehicle.alerts.v1: ${summary(latency)}`);
console.log(
  `command: npx tsx bench/alert-latency.ts --vehicles ${VEHICLES} --seconds ${SECONDS}` +
    (values['no-store'] ? ' --no-store' : ''),
);

await consumer.stop();
await pipeline.close();
