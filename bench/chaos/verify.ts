/**
 * The chaos run's checks, each against a source independent of the service under test: the Kafka log itself
 * (tbox.frames.v1, vehicle.signals.v1, vehicle.alerts.v1, read_committed), the API (latest values), a webhook receiver
 * of our own and the archive's manifest.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssignerProtocol, type Kafka } from 'kafkajs';
import { TelemetryBatch, decodeSignalBatch } from '@telltale/platform/proto';
import { consumerGroupLag } from '../pipeline.js';
import type { ArrivedRecord } from './reference-engine.js';

/**
 * Reads a topic from the beginning (read_committed) up to the end offsets it has when the read starts, one callback
 * per record. A transactional topic ends with commit markers the consumer never returns, so a partition counts as
 * read within 2 offsets of its end (after at least its first record), or when nothing arrived for `idleMs` (an
 * aborted tail).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (
    key: Buffer | null,
    value: Buffer,
    headers: Record<string, string>,
    timestampMs: number,
    at: { partition: number; offset: number },
  ) => void,
  idleMs = 30_000,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const reached = new Map<number, number>();
  // A partition with records is read once one of them came back, also when it has only one or two (a short run's
  // alerts): `end - 2` alone counted those as read before the first fetch, and the alert checks saw an empty topic.
  const done = () =>
    [...ends].every(([partition, end]) => end === 0 || (reached.get(partition) ?? -1) >= Math.max(1, end - 2));
  const consumer = kafka.consumer({ groupId: `chaos-verify-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  let count = 0;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const offset = Number(m.offset);
        if (offset >= (ends.get(batch.partition) ?? 0)) continue; // written after the read started
        reached.set(batch.partition, offset + 1);
        if (!m.value) continue;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        onRecord(m.key, m.value, headers, Number(m.timestamp), { partition: batch.partition, offset });
        count += 1;
      }
      last = Date.now();
      await Promise.resolve();
    },
  });
  while (!done() && Date.now() - last < idleMs) await new Promise((resolve) => setTimeout(resolve, 250));
  await consumer.disconnect();
  return count;
}

/**
 * One copy of a batch on the topic: where it is and its record timestamp, the gateway's receive time of the MQTT
 * delivery it was written from (two copies with one receive time are one delivery written twice by one gateway; a
 * redelivery, to either instance, has a receive time of its own).
 */
export interface FrameCopy {
  readonly partition: number;
  readonly offset: number;
  readonly receivedMs: number;
}

/** Every (vin, seq) of tbox.frames.v1 with its count, the batch's base time and where each copy is. */
export async function readFrames(
  kafka: Kafka,
  topic: string,
): Promise<Map<string, { count: number; baseMs: number; copies: FrameCopy[] }>> {
  const frames = new Map<string, { count: number; baseMs: number; copies: FrameCopy[] }>();
  await readTopic(kafka, topic, (_key, value, _headers, timestampMs, at) => {
    const b = TelemetryBatch.decode(value);
    const id = `${b.vin}:${b.seq}`;
    const copy = { ...at, receivedMs: timestampMs };
    const seen = frames.get(id);
    if (seen) {
      seen.count += 1;
      seen.copies.push(copy);
    } else frames.set(id, { count: 1, baseMs: Number(b.baseTimeMsEpoch), copies: [copy] });
  });
  return frames;
}

export interface SignalLog {
  /** vin → signal id → newest event time and its value (the first of equal times, as the store keeps it). */
  readonly newest: Map<string, Map<number, { eventTimeMs: number; value: number }>>;
  /** Records per (batch id, part): more than one is a duplicate on the topic. */
  readonly records: Map<string, number>;
  samples: number;
  distinctSamples: number;
  /** Every record with its gateway arrival time, for the reference engine. */
  readonly arrived: ArrivedRecord[];
  /** The newest event time of any sample. */
  newestEventMs: number;
}

export async function readSignals(kafka: Kafka, topic: string): Promise<SignalLog> {
  const log: SignalLog = {
    newest: new Map(),
    records: new Map(),
    samples: 0,
    distinctSamples: 0,
    arrived: [],
    newestEventMs: 0,
  };
  await readTopic(kafka, topic, (_key, value, _headers, timestampMs, at) => {
    const { header, columns } = decodeSignalBatch(value);
    log.arrived.push({ arrivalMs: Number(header.source?.gatewayReceiveTimeMsEpoch ?? timestampMs), value, ...at });
    const id = `${header.batchId}/${header.part ?? 0}`;
    const copies = (log.records.get(id) ?? 0) + 1;
    log.records.set(id, copies);
    log.samples += columns.signalId.length;
    if (copies === 1) log.distinctSamples += columns.signalId.length;
    let perVin = log.newest.get(header.vin);
    if (!perVin) log.newest.set(header.vin, (perVin = new Map<number, { eventTimeMs: number; value: number }>()));
    const base = Number(header.baseTimeMsEpoch);
    for (let i = 0; i < columns.signalId.length; i++) {
      const t = base + columns.timeOffsetMs[i]!;
      if (t > log.newestEventMs) log.newestEventMs = t;
      const current = perVin.get(columns.signalId[i]!);
      if (!current || t > current.eventTimeMs)
        perVin.set(columns.signalId[i]!, { eventTimeMs: t, value: columns.value[i]! });
    }
  });
  return log;
}

/** Distinct (alert id, transition seq) on vehicle.alerts.v1 and how many records carried each. */
export async function readAlerts(kafka: Kafka, topic: string): Promise<Map<string, number>> {
  const transitions = new Map<string, number>();
  await readTopic(kafka, topic, (_key, _value, headers) => {
    const id = `${headers['telltale-alert-id']}#${headers['telltale-transition-seq']}`;
    transitions.set(id, (transitions.get(id) ?? 0) + 1);
  });
  return transitions;
}

/** A webhook receiver that answers 200 and counts deliveries by their delivery id. */
export class WebhookReceiver {
  /** delivery id → (alert id # transition seq, times received) */
  readonly deliveries = new Map<string, { transition: string; received: number }>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = String(req.headers['telltale-delivery-id'] ?? '');
        let transition = '?';
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          const alert = (body.alert ?? body) as { alertId?: string; transitionSeq?: number };
          transition = `${alert.alertId}#${alert.transitionSeq}`;
        } catch {
          // counted under '?': a body we cannot read is a finding of its own
        }
        const seen = this.deliveries.get(id);
        if (seen) seen.received += 1;
        else this.deliveries.set(id, { transition, received: 1 });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Compares the API's latest values of one vehicle with the newest event time of the Kafka log. */
export async function compareLatest(
  apiUrl: string,
  token: string,
  vin: string,
  expected: Map<number, { eventTimeMs: number; value: number }>,
): Promise<{ checked: number; wrong: string[] }> {
  const response = await fetch(`${apiUrl}/v1/vehicles/${vin}/signals`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) return { checked: 0, wrong: [`${vin}: API answered ${response.status}`] };
  const body = (await response.json()) as { signals: { id: number; value: number; eventTimeMs: number }[] };
  const got = new Map(body.signals.map((s) => [s.id, s]));
  const wrong: string[] = [];
  for (const [id, want] of expected) {
    const have = got.get(id);
    if (!have) wrong.push(`${vin}/${id}: missing (want ${want.value} @ ${want.eventTimeMs})`);
    else if (have.eventTimeMs !== want.eventTimeMs || have.value !== want.value)
      wrong.push(`${vin}/${id}: ${have.value} @ ${have.eventTimeMs}, want ${want.value} @ ${want.eventTimeMs}`);
  }
  return { checked: expected.size, wrong };
}

/** Consumer groups of the run: members and how many partitions each holds (scale-out: split between instances). */
export async function describeGroups(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const ids = groups.map((g) => g.groupId).filter((id) => id.startsWith('telltale'));
    const { groups: described } = await admin.describeGroups(ids);
    return described
      .sort((a, b) => a.groupId.localeCompare(b.groupId))
      .map((g) => {
        const shares = g.members.map((m) => {
          const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          return Object.values(assignment?.assignment ?? {}).reduce((n, partitions) => n + partitions.length, 0);
        });
        return `${g.groupId}: ${g.members.length} member(s), partitions ${shares.join(' + ') || '-'}`;
      });
  } finally {
    await admin.disconnect();
  }
}

/** Total lag (end offset − committed offset) of every telltale consumer group on the topics it reads. */
export function consumerLag(kafka: Kafka): Promise<Map<string, number>> {
  return consumerGroupLag('telltale', kafka);
}
