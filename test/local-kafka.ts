/**
 * A private Kafka broker for tests that stop and start Kafka (the shared one on 9092 must stay up for the other
 * tests running in parallel): deploy/local/kafka/kafka.sh on free ports with its own data directory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './local-mosquitto.js';

const run = promisify(execFile);
const script = join(dirname(fileURLToPath(import.meta.url)), '../deploy/local/kafka/kafka.sh');

export interface PrivateKafka {
  readonly brokers: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function privateKafka(): Promise<PrivateKafka> {
  const port = await freePort();
  const controllerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'telltale-kafka-'));
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
  };
  const call = (command: string) => run('bash', [script, command], { env, timeout: 180_000 }).then(() => undefined);
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => call('start'),
    stop: () => call('stop'),
    destroy: async () => {
      await call('stop').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
