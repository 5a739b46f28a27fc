/**
 * The probe vehicle: a registered T-Box of the aurora model that publishes one VCU_VehicleStatus frame at a time
 * beside the simulated fleet and follows it through the pipeline: readable on the signals topic (decoded), committed
 * in signal_latest (stored: the row's own write_time_ms), and, through a probe rule (speed > 100 raises, < 50
 * clears; each probe alternates 150 / 20 km/h), readable on the alerts topic. The same method as
 * bench/e2e-latency.ts and bench/alert-latency.ts, against any deployment.
 *
 * The consumers read only the probe's partition of each topic (the others are paused), so following the probe
 * does not mean reading the whole fleet's signals.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Catalog } from '@telltale/catalog';
import { encodeMessage } from '@telltale/catalog';
import type { Logger } from '@telltale/platform';
import type { Pool } from '@telltale/platform/db';
import { partitionOfKey, startCommittingConsumer, type CommittingConsumer } from '@telltale/platform/kafka';
import type { createKafkaClient } from '@telltale/platform/kafka';
import { Alert, SignalBatch, TelemetryBatch } from '@telltale/platform/proto';
import { PgRuleStore } from '@telltale/rules/pg';

export const PROBE_RULE_ID = 'loadtest.probe-speed';
const SPEED = 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed';

export interface ProbeSent {
  readonly seq: number;
  readonly eventTimeMs: number;
  readonly sentMs: number;
}

export interface ProbeTimes {
  readonly decodedMs: number | undefined;
  readonly storedMs: number | undefined;
  readonly alertMs: number | undefined;
}

export interface ProbeOptions {
  readonly kafka: ReturnType<typeof createKafkaClient>;
  readonly pool: Pool;
  readonly catalog: Catalog;
  readonly vin: string;
  readonly deviceId: string;
  readonly mqttUrl: string;
  readonly uplinkTopic: string;
  readonly signalsTopic: string;
  readonly alertsTopic: string;
  readonly partitions: number;
  readonly groupId: string;
  readonly seqStart: number;
  readonly log: Logger;
}

/** Creates the probe rule (or re-enables it) in the deployment's rule store; diagnostics loads it within a second. */
export async function ensureProbeRule(pool: Pool, vin: string): Promise<void> {
  const rules = new PgRuleStore(pool);
  const definition = {
    id: PROBE_RULE_ID,
    name: 'Load-test probe: speed above 100 km/h',
    scope: { vins: [vin] },
    condition: 'vehicleSpeed > 100',
    clear: { condition: 'vehicleSpeed < 50' },
    severity: 'info',
  };
  try {
    await rules.create(definition, 'telltale-loadtest');
  } catch (error) {
    if ((error as { code?: string }).code !== 'RULE_EXISTS') throw error;
    await rules.setEnabled(PROBE_RULE_ID, true, 'telltale-loadtest');
  }
}

export class Probe {
  private seq: number;
  private high = false;
  private readonly speedId: number;
  private readonly status: Catalog['buses'][number]['database']['messages'][number];

  private constructor(
    private readonly options: ProbeOptions,
    private readonly client: MqttClient,
    private readonly consumer: CommittingConsumer,
    /** device seq → when the decoded record was read; alert event time → when the transition was read. */
    private readonly decoded: ReadonlyMap<number, number>,
    private readonly alerts: ReadonlyMap<number, number>,
  ) {
    this.seq = options.seqStart;
    const signal = options.catalog.byQualifiedName.get(SPEED);
    const status = options.catalog.buses[0]?.database.messages.find((m) => m.name === 'VCU_VehicleStatus');
    if (!signal || !status) throw new Error(`${options.catalog.modelId} has no ${SPEED}`);
    this.speedId = signal.id;
    this.status = status;
  }

  static async start(options: ProbeOptions): Promise<Probe> {
    const decoded = new Map<number, number>();
    const alerts = new Map<number, number>();
    const mine = {
      [options.signalsTopic]: partitionOfKey(options.signalsTopic, options.vin, options.partitions),
      [options.alertsTopic]: partitionOfKey(options.alertsTopic, options.vin, options.partitions),
    };
    let assigned: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (assigned = resolve));
    // onAssignment may run before startCommittingConsumer resolves: the pause is applied by whichever comes last.
    const held: { consumer?: CommittingConsumer; others?: { topic: string; partitions: number[] }[] } = {};
    const consumer = await startCommittingConsumer({
      kafka: options.kafka,
      groupId: options.groupId,
      topics: [options.signalsTopic, options.alertsTopic],
      fromBeginning: false,
      log: options.log,
      consumerConfig: { maxWaitTimeInMs: 20 },
      onAssignment: (assignment) => {
        held.others = Object.entries(assignment)
          .map(([topic, partitions]) => ({ topic, partitions: partitions.filter((p) => p !== mine[topic]) }))
          .filter((o) => o.partitions.length > 0);
        held.consumer?.raw.pause(held.others);
        assigned();
      },
      handleBatch: (batch) => {
        const at = Date.now();
        for (const m of batch.messages) {
          if (m.key?.toString() !== options.vin || !m.value) continue;
          if (batch.topic === options.signalsTopic) {
            const seq = SignalBatch.decode(new Uint8Array(m.value)).source?.deviceSeq;
            if (typeof seq === 'number' && !decoded.has(seq)) decoded.set(seq, at);
          } else {
            const alert = Alert.decode(new Uint8Array(m.value));
            if (alert.ruleId === PROBE_RULE_ID && !alerts.has(Number(alert.eventTimeMsEpoch)))
              alerts.set(Number(alert.eventTimeMsEpoch), at);
          }
        }
        return Promise.resolve();
      },
    });
    held.consumer = consumer;
    if (held.others) consumer.raw.pause(held.others);
    const client = await mqtt.connectAsync(options.mqttUrl, {
      clientId: `${options.groupId}-probe`,
      clean: true,
      reconnectPeriod: 1000,
    });
    await Promise.race([ready, new Promise((r) => setTimeout(r, 30_000))]);
    return new Probe(options, client, consumer, decoded, alerts);
  }

  /** Publishes the next probe batch (QoS 1); resolves once the broker acknowledged it. */
  async publish(): Promise<ProbeSent> {
    this.seq += 1;
    this.high = !this.high;
    const data = encodeMessage(this.status, { VCU_VehicleSpeed: this.high ? 150 : 20 });
    const eventTimeMs = Date.now();
    const payload = TelemetryBatch.encode({
      vin: this.options.vin,
      seq: this.seq,
      deviceId: this.options.deviceId,
      catalogVersion: this.options.catalog.catalogVersion,
      baseTimeMsEpoch: eventTimeMs,
      frames: {
        timeOffsetUs: [0],
        bus: [0],
        canId: [this.status.frameId],
        flags: [0],
        length: [data.length],
        data,
      },
    }).finish();
    const sentMs = Date.now();
    await this.client.publishAsync(this.options.uplinkTopic, Buffer.from(payload), { qos: 1 });
    return { seq: this.seq, eventTimeMs, sentMs };
  }

  /** Polls signal_latest until the probe's row is committed (its write time) or `timeoutMs` passes. */
  async waitStored(sent: ProbeSent, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await this.options.pool.query<{ event_time_ms: string; write_time_ms: string }>(
        'SELECT event_time_ms, write_time_ms FROM signal_latest WHERE vin = $1 AND signal_id = $2',
        [this.options.vin, this.speedId],
      );
      const row = rows[0];
      if (row && Number(row.event_time_ms) === sent.eventTimeMs) return Number(row.write_time_ms);
      if (row && Number(row.event_time_ms) > sent.eventTimeMs) return undefined; // overtaken: never visible alone
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  /** What the consumers have seen of this probe so far. */
  times(sent: ProbeSent, storedMs: number | undefined): ProbeTimes {
    return { decodedMs: this.decoded.get(sent.seq), storedMs, alertMs: this.alerts.get(sent.eventTimeMs) };
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.consumer.stop(), this.client.endAsync()]);
  }
}
