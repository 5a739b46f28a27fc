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
import type { PendingMessage } from '../ingest.js';

export interface MqttIntakeOptions {
  readonly url: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly topic: string;
  readonly shareGroup: string;
  readonly connections: number;
  readonly clientIdPrefix: string;
  readonly log: Logger;
  readonly onMessage: (message: PendingMessage) => void;
}

export class MqttIntake {
  private clients: MqttClient[] = [];
  private connectedCount = 0;

  constructor(private readonly options: MqttIntakeOptions) {}

  get connected(): number {
    return this.connectedCount;
  }

  get subscription(): string {
    return this.options.shareGroup === '-' ? this.options.topic : `$share/${this.options.shareGroup}/${this.options.topic}`;
  }

  async start(): Promise<void> {
    const { options } = this;
    this.clients = await Promise.all(
      Array.from({ length: options.connections }, async (_, i) => {
        const client = mqtt.connect(options.url, {
          clientId: `${options.clientIdPrefix}-${i}`,
          clean: false,
          protocolVersion: 4,
          reconnectPeriod: 1000,
          connectTimeout: 10_000,
          keepalive: 30,
          ...(options.username ? { username: options.username, password: options.password ?? '' } : {}),
        });
        const gates = holdAcknowledgements(client);
        client.handleMessage = (packet, done) => {
          const gate = packet.qos > 0 && packet.messageId !== undefined ? gates.open(packet.messageId) : undefined;
          options.onMessage({
            topic: packet.topic,
            payload: packet.payload as Buffer,
            receivedMs: Date.now(),
            ack: (error) => {
              if (error === undefined) gate?.release();
            },
          });
          done(); // mqtt.js now "sends" the PUBACK: the wrapped writer holds it until gate.release()
        };
        client.on('connect', (ack) => {
          this.connectedCount += 1;
          // A resumed session keeps its subscription; subscribing again is harmless and covers a lost session.
          if (!ack.sessionPresent || i === 0) {
            client.subscribe(this.subscription, { qos: 1 }, (err) => {
              if (err) options.log.error({ err, connection: i }, 'MQTT subscribe failed.');
            });
          }
        });
        client.on('close', () => {
          this.connectedCount = Math.max(0, this.connectedCount - 1);
        });
        client.on('error', (err) => options.log.warn({ err, connection: i }, 'MQTT connection error.'));
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error): void => reject(err);
          client.once('error', onError);
          client.once('connect', () => {
            client.off('error', onError);
            resolve();
          });
        });
        return client;
      }),
    );
    options.log.info({ url: options.url, subscription: this.subscription, connections: options.connections }, 'MQTT intake subscribed.');
  }

  /** Closes the connections; messages not yet acknowledged stay with the broker for redelivery. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync(false)));
    this.clients = [];
  }
}

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, cbStorePut?: () => void, noStore?: boolean) => void;

interface AckGate {
  release(): void;
}

/**
 * Wraps the client's packet writer (mqtt.js `_sendPacket`; pinned by the lockfile, and the Kafka-outage test fails if
 * a PUBACK ever leaves before its write). PUBACKs of opened gates wait for `release()`; everything else passes.
 */
function holdAcknowledgements(client: MqttClient): { open(messageId: number): AckGate } {
  const target = client as unknown as { _sendPacket: SendPacket };
  const send = target._sendPacket.bind(client);
  const held = new Map<number, { released: boolean; packet?: Packet }>();
  target._sendPacket = (packet, cb, cbStorePut, noStore) => {
    const id = packet.cmd === 'puback' ? packet.messageId : undefined;
    const gate = id === undefined ? undefined : held.get(id);
    if (id === undefined || gate === undefined) {
      send(packet, cb, cbStorePut, noStore);
      return;
    }
    cb?.(); // let mqtt.js parse the next packet now
    if (gate.released) {
      held.delete(id);
      send(packet);
    } else gate.packet = packet;
  };
  return {
    open(messageId) {
      const gate: { released: boolean; packet?: Packet } = { released: false };
      held.set(messageId, gate);
      return {
        release() {
          if (held.get(messageId) !== gate) return;
          if (gate.packet) {
            held.delete(messageId);
            send(gate.packet);
          } else gate.released = true;
        },
      };
    },
  };
}
