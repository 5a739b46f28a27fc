// The gateway killed with SIGKILL exactly between the Kafka write and the dedupe mark. A TCP proxy in front of Redis
// holds the gateway's mark script call (recognised by the distinctive DEDUPE_WINDOW_S argument it carries), so the
// flush's records are in Kafka, unmarked and unacknowledged when the process dies. The broker redelivers them to the
// restarted gateway (same client ids, persistent sessions), which finds them unmarked and writes them again.
//
// What this shows: nothing acknowledged is lost, and the window does let a duplicate into tbox.frames.v1 — the same
// key, partition and payload bytes (only the record timestamp, the gateway receive time, differs), so everything
// decoded from it is identical to the first copy. Downstream that is harmless where writes are idempotent on
// (vin, signal, event time): the store (test/store/kill-restart.test.ts), the rule engine (an identical sample at
// the same event time changes nothing) and the diagnostics outbox (alert id + transition seq). See docs/chaos.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createKafkaClient, ensureTopics } from '@telltale/platform/kafka';
import { TelemetryBatch } from '@telltale/platform/proto';
import { LOCAL, testLogger, uniqueName, waitFor } from '@telltale/platform/testing';
import type { Pool } from '@telltale/platform/db';
import {
  VIN_A,
  VIN_B,
  collectTopic,
  deleteTopics,
  dropSchema,
  gatewayTestEnv,
  registryWithTwoVehicles,
  uplink,
  type Collected,
} from '../helpers.js';
import { freePort } from '../local-mosquitto.js';

const run = uniqueName('gwkill');
const root = join(import.meta.dirname, '../..');
const TOTAL = 200;
// The mark script's first argument is the dedupe TTL: a value no other command of the gateway carries.
const MARK_TTL_S = '171717';
const MARK_ARGUMENT = Buffer.from(`$${MARK_TTL_S.length}\r\n${MARK_TTL_S}\r\n`);

/** A pass-through TCP proxy to Redis that, once armed, stops forwarding a connection at the first mark call. */
function redisProxy(
  target: URL,
): Promise<{ port: number; arm(): void; held(): boolean; close(): void; server: Server }> {
  let armed = false;
  let holding = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    let blocked = false;
    client.on('data', (chunk) => {
      if (blocked) return;
      if (armed && !holding && chunk.includes(MARK_ARGUMENT)) {
        holding = true;
        blocked = true; // this command and everything after it on this connection never reach Redis
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        arm: () => (armed = true),
        held: () => holding,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
        server,
      });
    }),
  );
}

describe('gateway killed between the Kafka write and the dedupe mark', () => {
  const kafka = createKafkaClient({ brokers: LOCAL.kafkaBrokers, clientId: run, log: testLogger() });
  let pool: Pool;
  let frames: Collected | undefined;
  let child: ChildProcess | undefined;
  let proxy: Awaited<ReturnType<typeof redisProxy>>;

  /** Starts a gateway process and resolves once its /healthz answers (connected to MQTT, subscribed). */
  const startChild = async (redisUrl: string): Promise<ChildProcess> => {
    const opsPort = await freePort();
    const proc = spawn(process.execPath, [join(root, 'services/cli/bin/telltale.js'), 'gateway'], {
      env: gatewayTestEnv(run, {
        GATEWAY_ALLOW_ANONYMOUS: 'true',
        REDIS_URL: redisUrl,
        DEDUPE_WINDOW_S: MARK_TTL_S,
        MQTT_CONNECTIONS: '2',
        LOG_LEVEL: 'warn',
        OPS_PORT: String(opsPort),
      }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor(
      'the gateway healthy',
      async () => ((await fetch(`http://127.0.0.1:${opsPort}/healthz`).catch(() => undefined))?.ok ? true : undefined),
      60_000,
      100,
    );
    return proc;
  };

  beforeAll(async () => {
    ({ pool } = await registryWithTwoVehicles(run));
    proxy = await redisProxy(new URL(LOCAL.redisUrl));
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: `${run}.tbox.frames.v1`, numPartitions: 1, replicationFactor: 1 },
      { topic: `${run}.tbox.frames.dlq.v1`, numPartitions: 1, replicationFactor: 1 },
    ]);
    await admin.disconnect();
    frames = await collectTopic(kafka, `${run}.tbox.frames.v1`, `${run}-check`);
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    proxy?.close();
    await frames?.stop();
    await deleteTopics(kafka, [`${run}.tbox.frames.v1`, `${run}.tbox.frames.dlq.v1`]);
    if (pool) await dropSchema(pool, run);
  });

  it('loses nothing; the unmarked flush is written again, byte for byte', async () => {
    const device = await mqtt.connectAsync(LOCAL.mqttUrl, { clientId: `${run}-device`, clean: false });
    const seqsInKafka = () => frames!.messages.map((m) => TelemetryBatch.decode(m.value!).seq);
    let published = 0;
    const publish = async (upTo: number) => {
      for (; published < upTo; published++) {
        const seq = published + 1;
        const vin = seq % 2 === 0 ? VIN_A : VIN_B;
        await device.publishAsync(`${run}/tbox/${vin}/telemetry`, uplink(vin, seq), { qos: 1 });
      }
    };

    child = await startChild(`redis://127.0.0.1:${proxy.port}`);
    await publish(60);
    await waitFor('60 batches in Kafka', () => (new Set(seqsInKafka()).size >= 60 ? true : undefined), 60_000, 50);

    // Hold the next mark: the flush after it is in Kafka but never marked nor acknowledged.
    proxy.arm();
    const before = frames!.messages.length;
    await publish(100);
    await waitFor('a held mark', () => (proxy.held() ? true : undefined), 30_000, 10);
    const inKafkaBeforeKill = await waitFor(
      'the held flush in Kafka',
      () => (frames!.messages.length > before ? frames!.messages.length : undefined),
      30_000,
      10,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // the rest of that flush's records, if any
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    const unmarked = new Set(seqsInKafka().slice(before));
    expect(inKafkaBeforeKill).toBeGreaterThan(before);

    child = await startChild(LOCAL.redisUrl);
    await publish(TOTAL);
    await device.endAsync();
    await waitFor(`${TOTAL} batches in Kafka`, () => (new Set(seqsInKafka()).size >= TOTAL ? true : undefined), 90_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a late duplicate would show up here

    // Nothing acknowledged is lost.
    const seqs = seqsInKafka();
    expect(new Set(seqs).size).toBe(TOTAL);
    // The duplicates are exactly batches of the flush whose mark never happened — each written twice.
    const counts = new Map<number, number>();
    for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
    expect(duplicated.length).toBeGreaterThan(0);
    for (const s of duplicated) {
      expect(unmarked.has(s), `seq ${s} duplicated but was not in the unmarked flush`).toBe(true);
      expect(counts.get(s)).toBe(2);
      const copies = frames!.messages.filter((m) => TelemetryBatch.decode(m.value!).seq === s);
      expect(copies[1]!.key!.equals(copies[0]!.key!)).toBe(true);
      expect(copies[1]!.value!.equals(copies[0]!.value!)).toBe(true);
    }
    // Batches after the restart were marked as usual: no duplicate outside the unmarked flush.
    expect(duplicated.every((s) => unmarked.has(s))).toBe(true);
  }, 180_000);
});
