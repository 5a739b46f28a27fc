/**
 * A notifier test run: its own schema, topic prefix and Redis key prefix; the API in process; the notifier as a
 * `telltale notifier` child process (so it can be killed -9); a real HTTP receiver that verifies signatures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startApi, PgApiKeyStore, type RunningApi, type Role } from '@telltale/api';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';
import { createKafkaClient, createReliableProducer, ensureTopics } from '@telltale/platform/kafka';
import { Alert, type IAlert } from '@telltale/platform/proto';
import type { Pool } from '@telltale/platform/db';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import { dropSchema, registryWithTwoVehicles, VIN_A, VIN_B } from '../helpers.js';

export { VIN_A, VIN_B };
const root = join(import.meta.dirname, '../..');

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the receiver does with a request: status to answer, or 'hang' (never answer). */
export type Behaviour = (request: Received, countForDelivery: number) => number | 'hang';

export class Receiver {
  readonly requests: Received[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = {
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(received);
        const id = req.headers['telltale-delivery-id'];
        const count = this.requests.filter((r) => r.headers['telltale-delivery-id'] === id).length;
        const answer = (this.behaviours.get(received.path) ?? (() => 200))(received, count);
        if (answer === 'hang') this.hanging.add(res);
        else res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, behaviour: Behaviour): void {
    this.behaviours.set(path, behaviour);
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/**
 * An engineer key of fleets a and b (straight from the store) and, through the API, its webhook subscription to
 * `webhookUrl` for both fleets: the token and the webhook secret the receiver verifies signatures with.
 */
export async function subscribeFleetsAB(
  apiUrl: string,
  pool: Pool,
  webhookUrl: string,
): Promise<{ token: string; webhookSecret: string }> {
  const fleets = ['fleet-a', 'fleet-b'];
  const { token } = await new PgApiKeyStore(pool).create({ name: 'op', role: 'engineer', fleets, createdBy: 'cli' });
  const created = await fetch(`${apiUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'predictions', fleets, webhook: { url: webhookUrl } }),
  });
  if (created.status !== 201) throw new Error(`subscription: ${created.status} ${await created.text()}`);
  const { webhookSecret } = (await created.json()) as { webhookSecret: string };
  return { token, webhookSecret };
}

/** The receiver's side of the contract, written from the README with node:crypto only (not the notifier's code). */
export function verifyAsReceiver(
  secret: string,
  header: string | undefined,
  body: string,
  toleranceMs = 300_000,
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || parts.v1 === undefined || Math.abs(Date.now() - t) > toleranceMs) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const expectedDeliveryId = (subscriptionId: string, alertId: string, seq: number): string =>
  createHash('sha256').update(`${subscriptionId}\n${alertId}\n${seq}`).digest('hex').slice(0, 32);

export interface Run {
  readonly run: string;
  readonly pool: Pool;
  readonly api: RunningApi;
  readonly receiver: Receiver;
  key(role: Role, fleets: readonly string[]): Promise<string>;
  call<T = unknown>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Produces Alert records (key VIN) to the run's alerts topic. */
  produce(...alerts: IAlert[]): Promise<void>;
  produceRaw(key: string, value: Buffer): Promise<void>;
  startNotifier(): Promise<void>;
  /** Runs another notifier of this run with `env` added, expecting it to exit by itself (killed after 30 s). */
  runNotifierUntilItStops(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }>;
  killNotifier(): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
/** An alert of vehicle A (fleet-a) or B (fleet-b) with a unique id, emitted now. */
export function alertOf(vin: string, over: Partial<IAlert> = {}): IAlert {
  seq += 1;
  const now = Date.now();
  return {
    alertId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    vin,
    fleetId: vin === VIN_A ? 'fleet-a' : 'fleet-b',
    modelId: 'aurora-ev-2026',
    catalogVersion: '1.0.0',
    ruleId: 'battery-hot',
    ruleVersion: 1,
    ruleName: 'Battery hot',
    severity: 3,
    state: 1,
    transitionSeq: 1,
    eventTimeMsEpoch: now - 100,
    episodeStartMsEpoch: now - 100,
    emitTimeMsEpoch: now,
    message: `Battery hot on ${vin}`,
    origin: 'rule',
    reason: 'condition',
    evidence: [
      {
        signal: 'packTemp',
        value: 61.5,
        eventTimeMsEpoch: now - 100,
        unit: 'degC',
        qualifiedName: 'powertrain/BMS_Status/BMS_PackTemp',
      },
    ],
    ...over,
  };
}

export async function startRun(notifierEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const run = uniqueName('notif');
  const prefix = `${run}.`;
  const topic = `${prefix}vehicle.alerts.v1`;
  const { pool } = await registryWithTwoVehicles(run);
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
  await admin.disconnect();
  const producer = createReliableProducer(kafka);
  await producer.connect();
  const receiver = new Receiver();
  await receiver.start();
  const shared = {
    DATABASE_URL: LOCAL.postgresUrl,
    DATABASE_SCHEMA: run,
    REDIS_URL: LOCAL.redisUrl,
    REDIS_KEY_PREFIX: `${run}:`,
  };
  const api = await startApi({
    ...process.env,
    ...shared,
    API_PORT: '0',
    OPS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CATALOG_DIR: BUNDLED_CATALOG_DIR,
    ALERT_STREAM_HEARTBEAT_MS: '1000',
  });
  const keys = new PgApiKeyStore(pool);
  let child: ChildProcess | undefined;
  let opsPort = 0;

  const notifierEnvironment = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...process.env,
    ...shared,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '2',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    NOTIFIER_WEBHOOK_ALLOW: '127.0.0.1',
    NOTIFIER_WEBHOOK_MAX_ATTEMPTS: '3',
    NOTIFIER_RETRY_BASE_MS: '100',
    NOTIFIER_RETRY_MAX_MS: '300',
    NOTIFIER_POLL_MS: '50',
    NOTIFIER_WEBHOOK_TIMEOUT_MS: '2000',
    NOTIFIER_LEASE_MS: '3000',
    NOTIFIER_PER_TARGET_CONCURRENCY: '8',
    ...notifierEnv,
    ...extra,
  });
  const cli = join(root, 'services/cli/bin/telltale.js');

  const startNotifier = async (): Promise<void> => {
    opsPort = await freePort();
    const proc = spawn(process.execPath, [cli, 'notifier'], {
      env: notifierEnvironment({ OPS_PORT: String(opsPort) }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child = proc;
    await waitFor(
      "the notifier's /healthz",
      async () => {
        if (proc.exitCode !== null) throw new Error(`notifier exited with ${proc.exitCode}`);
        const ok = await fetch(`http://127.0.0.1:${opsPort}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        return ok ? true : undefined;
      },
      60_000,
      200,
    );
  };

  const runNotifierUntilItStops = async (env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> => {
    const proc = spawn(process.execPath, [cli, 'notifier'], {
      env: notifierEnvironment({ OPS_PORT: '0', LOG_LEVEL: 'info', ...env }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    clearTimeout(timer);
    return { code, stderr };
  };

  const killNotifier = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };

  return {
    run,
    pool,
    api,
    receiver,
    key: async (role, fleets) =>
      (await keys.create({ name: `${role}-${fleets.join('-')}`, role, fleets, createdBy: 'cli' })).token,
    call: async <T>(method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    },
    produce: async (...alerts) => {
      await producer.send(
        topic,
        alerts.map((a) => ({ key: a.vin ?? '', value: Buffer.from(Alert.encode(a).finish()) })),
      );
    },
    produceRaw: async (key, value) => {
      await producer.send(topic, [{ key, value }]);
    },
    startNotifier,
    runNotifierUntilItStops,
    killNotifier,
    close: async () => {
      await killNotifier();
      await api.stop();
      await receiver.close();
      await producer.disconnect();
      const admin2 = kafka.admin();
      await admin2.connect();
      await admin2.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin2.disconnect();
      await dropSchema(pool, run);
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
