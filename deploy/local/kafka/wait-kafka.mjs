#!/usr/bin/env node
// Waits until a Kafka broker answers a metadata request: node wait-kafka.mjs HOST:PORT [TIMEOUT_S]
import { Kafka, logLevel } from 'kafkajs';

const [broker = '127.0.0.1:9092', timeoutArg = '60'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const kafka = new Kafka({
  clientId: 'telltale-wait',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
});

for (;;) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    if (cluster.brokers.length > 0 && cluster.controller !== null) process.exit(0);
  } catch {
    await admin.disconnect().catch(() => {});
  }
  if (Date.now() > deadline) {
    console.error(`Kafka at ${broker} did not answer a metadata request within ${timeoutArg}s.`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
