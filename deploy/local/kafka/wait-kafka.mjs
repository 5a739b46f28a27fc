#!/usr/bin/env node
// Waits until Kafka answers a metadata request listing at least MIN_BROKERS brokers (default 1):
//   node wait-kafka.mjs HOST:PORT[,HOST:PORT...] [TIMEOUT_S] [MIN_BROKERS]
import { Kafka, logLevel } from 'kafkajs';

const [broker = '127.0.0.1:9092', timeoutArg = '60', minBrokersArg = '1'] = process.argv.slice(2);
const minBrokers = Number(minBrokersArg);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const kafka = new Kafka({
  clientId: 'telltale-wait',
  brokers: broker.split(','),
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
});

for (;;) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    if (cluster.brokers.length >= minBrokers && cluster.controller !== null) process.exit(0);
  } catch {
    await admin.disconnect().catch(() => {});
  }
  if (Date.now() > deadline) {
    console.error(`Kafka at ${broker} did not list ${minBrokers} broker(s) within ${timeoutArg}s.`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
