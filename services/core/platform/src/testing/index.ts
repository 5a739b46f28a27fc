/**
 * Helpers for tests against the real infrastructure. Every run uses unique topic names, consumer groups, schemas
 * and key prefixes, so parallel runs and leftovers from earlier runs never collide.
 */
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../logging.js';

/** e.g. uniqueName('t') → "t_m3x9k2_4f1a9c": lowercase, safe as a topic, group, schema or key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function testLogger(service = 'test'): Logger {
  return createLogger({
    service,
    level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent',
    destination: 2,
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const LOCAL = {
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  postgresUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  mqttUrl: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
} as const;

/**
 * How many cases a property-based (fast-check) suite runs: `fallback` in `npm test` (kept small so the fuzz suites
 * together stay under about a minute), TELLTALE_FUZZ_RUNS for the long local run (`npm run fuzz`).
 */
export function fuzzRuns(fallback: number): number {
  const fromEnv = Number(process.env.TELLTALE_FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}
