/**
 * A pool of MQTT subscriber connections in one shared subscription ($share/<group>/<topic>), QoS 1, persistent
 * sessions.
 *
 * Holding acknowledgements: mqtt.js sends a PUBACK when the message handler calls back, and parses the connection's
 * next packet only after that. Calling back only after the Kafka write would allow one message in flight per
 * connection. Instead the handler calls back at once and the PUBACK itself is held: the client's packet writer is
 * wrapped so a PUBACK waits until the pipeline acknowledges its message (after the Kafka write), then goes out.
 * Messages keep flowing while earlier ones are written, and a PUBACK still never precedes the write; PUBACKs leave
 * in the order their messages arrived on the connection (flushes complete in order).
 */
import mqtt, { type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';
import type { PendingMessage } from '../pipeline/ingest.js';

export interface MqttIntakeOptions {
  readonly url: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly topic: string;
  readonly shareGroup: string;
  readonly connections: number;
  readonly clientIdPrefix: string;
  /** A clean session ends with the connection; a persistent one keeps queuing QoS 1 messages while it is away. */
  readonly cleanSession: boolean;
  readonly log: Logger;
  readonly onMessage: (message: PendingMessage) => void;
}

export class MqttIntake {
  private clients: MqttClient[] = [];
  /** Per connection: connected, and subscribed (the broker granted this connection's SUBSCRIBE since it connected). */
  private states: { connected: boolean; subscribed: boolean }[] = [];

  constructor(private readonly options: MqttIntakeOptions) {}

  get connected(): number {
    return this.states.filter((s) => s.connected).length;
  }

  /** Connections that receive uplinks: connected, and their subscription granted since they (re)connected. */
  get subscribed(): number {
    return this.states.filter((s) => s.subscribed).length;
  }

  get subscription(): string {
    return this.options.shareGroup === '-'
      ? this.options.topic
      : `$share/${this.options.shareGroup}/${this.options.topic}`;
  }

  /** Connects every connection and resolves once each has its subscription granted. */
  async start(): Promise<void> {
    const { options } = this;
    this.states = Array.from({ length: options.connections }, () => ({ connected: false, subscribed: false }));
    this.clients = await Promise.all(
      Array.from({ length: options.connections }, async (_, i) => {
        const state = this.states[i]!;
        const client = mqtt.connect(options.url, {
          clientId: `${options.clientIdPrefix}-${i}`,
          clean: options.cleanSession,
          protocolVersion: 4,
          reconnectPeriod: 1000,
          connectTimeout: 10_000,
          keepalive: 30,
          // The intake subscribes on every connect itself (below). mqtt.js' own bookkeeping would defeat that: it
          // remembers subscribed topics and silently skips a SUBSCRIBE for a topic it remembers (calling back with no
          // grants, no packet sent), and resubscribes only when the broker reports no session.
          resubscribe: false,
          log: noLog, // mqtt.js' debug logging costs a few % of the CPU per message even when disabled
          ...(options.username ? { username: options.username, password: options.password ?? '' } : {}),
        });
        const acks = new HeldAcknowledgements(client);
        client.handleMessage = (packet, done) => {
          const messageId = packet.qos > 0 ? packet.messageId : undefined;
          const message = new HeldMessage(packet.topic, packet.payload as Buffer, Date.now(), acks, messageId);
          if (messageId !== undefined) acks.hold(message, messageId);
          options.onMessage(message);
          done(); // mqtt.js now "sends" the PUBACK: the wrapped writer holds it until the message's ack()
        };
        // Settles with the first subscription's outcome: start() fails when the broker refuses the subscription.
        let firstGrant: { resolve: () => void; reject: (error: Error) => void } | undefined;
        const subscribedOnce = new Promise<void>((resolve, reject) => (firstGrant = { resolve, reject }));
        client.on('connect', (connack) => {
          state.connected = true;
          // Subscribe on every connect, also when the session was resumed: Mosquitto 2.0 restores a persistent
          // session after its restart (sessionPresent) and the messages queued in it, but not the session's shared
          // ($share) subscription, so a connection that trusted the resumed session would receive nothing new
          // (found by `npm run chaos`; test/gateway/broker-restart.test.ts). Subscribing again is harmless.
          client.subscribe(this.subscription, { qos: 1 }, (err, granted) => {
            if (!client.connected) return; // the connection closed first; the next connect subscribes again
            const grant = granted?.[0];
            if (err || grant === undefined || grant.qos === 128) {
              options.log.error(
                { err, granted, connection: i, subscription: this.subscription },
                'MQTT subscribe refused; this connection receives nothing.',
              );
              firstGrant?.reject(err ?? new Error(`the broker refused the subscription ${this.subscription}`));
              return;
            }
            state.subscribed = true;
            firstGrant?.resolve();
            if (connack.sessionPresent) options.log.info({ connection: i }, 'MQTT session resumed; subscribed again.');
          });
        });
        client.on('close', () => {
          state.connected = false;
          state.subscribed = false;
        });
        client.on('error', (err) => {
          firstGrant?.reject(err);
          options.log.warn({ err, connection: i }, 'MQTT connection error.');
        });
        subscribedOnce.catch(() => undefined); // after start() the outcome is logged, not thrown
        await subscribedOnce;
        firstGrant = undefined;
        return client;
      }),
    );
    options.log.info(
      { url: options.url, subscription: this.subscription, connections: options.connections },
      'MQTT intake subscribed.',
    );
  }

  /** Closes the connections; messages not yet acknowledged stay with the broker for redelivery. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync(false)));
    this.clients = [];
    for (const s of this.states) s.connected = s.subscribed = false;
  }
}

const noLog = (): void => undefined;

/** Held: mqtt.js has not passed the PUBACK to the writer yet; parked: it has, and it waits for release. */
const HELD = 0;
const PARKED = 1;
const RELEASED = 2;

/** A received message; `ack()` releases its held PUBACK (a method and a state field, no closures per message). */
export class HeldMessage implements PendingMessage {
  state = HELD;

  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly receivedMs: number,
    private readonly acks: HeldAcknowledgements,
    readonly messageId: number | undefined,
  ) {}

  ack(error?: Error): void {
    if (error === undefined && this.messageId !== undefined) this.acks.release(this, this.messageId);
  }
}

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, cbStorePut?: () => void, noStore?: boolean) => void;

/**
 * Wraps the client's packet writer (mqtt.js `_sendPacket`; pinned by the lockfile, and the Kafka-outage test fails if
 * a PUBACK ever leaves before its write). PUBACKs of held messages wait for `release()`; everything else passes.
 *
 * Released PUBACKs are written together: a flush releases hundreds per connection at once, and mqtt.js writes each
 * PUBACK as three small stream writes; one buffer of 4-byte PUBACKs (0x40 0x02 id-hi id-lo) per connection and
 * tick costs a fraction of that. While the client is offline they go through mqtt.js, which queues them.
 */
export class HeldAcknowledgements {
  /** By message id; an id reused while an earlier message still waits replaces it (the earlier release is void). */
  private readonly held = new Map<number, HeldMessage>();
  private readonly send: SendPacket;
  private ready: number[] = [];
  private scheduled = false;

  constructor(private readonly client: MqttClient) {
    const target = client as unknown as { _sendPacket: SendPacket };
    const send = target._sendPacket.bind(client);
    this.send = send;
    target._sendPacket = (packet, cb, cbStorePut, noStore) => {
      const id = packet.cmd === 'puback' ? packet.messageId : undefined;
      const message = id === undefined ? undefined : this.held.get(id);
      if (id === undefined || message === undefined) {
        send(packet, cb, cbStorePut, noStore);
        return;
      }
      cb?.(); // let mqtt.js parse the next packet now
      if (message.state === RELEASED) {
        this.held.delete(id);
        this.enqueue(id);
      } else message.state = PARKED;
    };
  }

  hold(message: HeldMessage, messageId: number): void {
    this.held.set(messageId, message);
  }

  release(message: HeldMessage, messageId: number): void {
    if (this.held.get(messageId) !== message) return;
    if (message.state === PARKED) {
      this.held.delete(messageId);
      this.enqueue(messageId);
    } else message.state = RELEASED;
  }

  private enqueue(messageId: number): void {
    this.ready.push(messageId);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.write());
    }
  }

  private write(): void {
    const ids = this.ready;
    this.ready = [];
    this.scheduled = false;
    const { client } = this;
    if (!client.connected || !client.stream.writable) {
      for (const messageId of ids) this.send({ cmd: 'puback', messageId });
      return;
    }
    const out = Buffer.allocUnsafe(ids.length * 4);
    for (let i = 0, o = 0; i < ids.length; i++, o += 4) {
      const id = ids[i]!;
      out[o] = 0x40; // PUBACK
      out[o + 1] = 0x02; // remaining length
      out[o + 2] = id >>> 8;
      out[o + 3] = id & 0xff;
    }
    client.stream.write(out);
  }
}
