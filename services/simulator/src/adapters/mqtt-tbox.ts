/**
 * One virtual T-Box's MQTT connection: its own client id and credentials (user = VIN, password = device secret), QoS 1
 * publishes of the batches waiting in its store-and-forward queue, a small in-flight window, PUBACK latency.
 *
 * While the connection is down (or during a scripted outage) nothing is published and new batches are recorded as
 * backfill; mqtt.js resends the packets in flight when it reconnects. A scripted outage closes the session for real
 * (so the broker sees the device leave) and puts the in-flight batches back in the queue.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { QueuedUplink, UplinkQueue } from '../domain/uplink-queue.js';

export interface TBoxEvents {
  connected(): void;
  disconnected(): void;
  published(uplink: QueuedUplink): void;
  acked(uplink: QueuedUplink, latencyMs: number): void;
}

export interface MqttTBoxOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly topic: string;
  readonly queue: UplinkQueue;
  readonly events: TBoxEvents;
  readonly log: Logger;
  readonly keepaliveS?: number;
  readonly reconnectPeriodMs?: number;
}

export class MqttTBox {
  private client: MqttClient | undefined;
  private session = 0;
  private isConnected = false;
  private offline = false;
  private stopped = false;
  private lastError: string | undefined;

  constructor(private readonly options: MqttTBoxOptions) {}

  /** Connected and not in a scripted outage: publishing, and recording live (not backfill) data. */
  get online(): boolean {
    return this.isConnected && !this.offline;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /** Connects in the background (retrying); resolves at the first CONNACK or rejects on the first error. */
  start(): Promise<void> {
    this.stopped = false;
    return this.connect();
  }

  private connect(): Promise<void> {
    const { options } = this;
    const session = ++this.session;
    const client = mqtt.connect(options.url, {
      clientId: options.clientId,
      clean: true,
      protocolVersion: 4,
      keepalive: options.keepaliveS ?? 60,
      reconnectPeriod: options.reconnectPeriodMs ?? 2000,
      connectTimeout: 15_000,
      ...(options.username !== undefined ? { username: options.username, password: options.password ?? '' } : {}),
    });
    this.client = client;
    client.on('connect', () => {
      if (session !== this.session) return;
      this.isConnected = true;
      this.lastError = undefined;
      options.events.connected();
      this.pump();
    });
    client.on('close', () => {
      if (session !== this.session || !this.isConnected) return;
      this.isConnected = false;
      options.events.disconnected();
    });
    client.on('error', (err) => {
      if (session !== this.session) return;
      if (this.lastError !== err.message)
        options.log.debug({ err, clientId: options.clientId }, 'T-Box connection error.');
      this.lastError = err.message;
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        client.off('connect', onConnect);
        reject(err);
      };
      const onConnect = (): void => {
        client.off('error', onError);
        resolve();
      };
      client.once('error', onError);
      client.once('connect', onConnect);
    });
  }

  /** Publishes what the queue lets through (in order, within the in-flight window). */
  pump(): void {
    const client = this.client;
    if (!client || !this.online) return;
    const session = this.session;
    const { queue, topic, events } = this.options;
    for (let uplink = queue.take(performance.now()); uplink; uplink = queue.take(performance.now())) {
      const sent = uplink;
      const payload = Buffer.from(sent.payload.buffer, sent.payload.byteOffset, sent.payload.byteLength);
      events.published(sent);
      client.publish(topic, payload, { qos: 1 }, (err) => {
        if (session !== this.session) return; // a torn-down session: its batches were requeued
        if (err) {
          // The client gave up on this packet (ending); it goes back to the queue.
          queue.requeueInflight();
          return;
        }
        const record = queue.acked(sent.seq);
        if (record) events.acked(sent, performance.now() - record.sentAtMs);
        this.pump();
      });
    }
  }

  /** A scripted connectivity loss: the session ends now and a new one starts after `durationMs`. */
  async outage(durationMs: number): Promise<void> {
    if (this.offline || this.stopped) return;
    this.offline = true;
    const client = this.client;
    this.session += 1; // callbacks of the old session are ignored from here on
    this.options.queue.requeueInflight();
    if (this.isConnected) {
      this.isConnected = false;
      this.options.events.disconnected();
    }
    await client?.endAsync(true).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    if (this.stopped) return;
    this.offline = false;
    await this.connect().catch((err: unknown) =>
      this.options.log.debug({ err }, 'T-Box reconnect after outage failed; retrying.'),
    );
  }

  /** Closes the connection (unacknowledged batches stay in the queue, counted by the caller). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.session += 1;
    const client = this.client;
    this.client = undefined;
    if (this.isConnected) {
      this.isConnected = false;
      this.options.events.disconnected();
    }
    await client?.endAsync(true).catch(() => undefined);
  }
}
