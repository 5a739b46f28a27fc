/**
 * An MQTT broker inside the `telltale start` process (aedes), used when no broker answers: T-Boxes and the simulator
 * connect to it, the gateway subscribes to it like to Mosquitto.
 *
 * Trade-offs (docs/getting-started.md): MQTT 3.1.1 over plain TCP, no TLS; no device passwords (the gateway still
 * checks that the topic VIN, the payload VIN and the registered device agree); sessions and queued messages live in
 * memory, so a restart loses what was not yet acknowledged (a T-Box resends what it holds); no shared
 * subscriptions, so one gateway. A client may publish only to uplink topics, and one that names a user only to
 * its own VIN's.
 */
import { createServer, type Server } from 'node:net';
import { Aedes, type AuthorizePublishHandler } from 'aedes';
import { TelltaleError } from '@telltale/platform';

export interface EmbeddedBroker {
  readonly url: string;
  readonly clients: () => number;
  close(): Promise<void>;
}

/** True when `topic` is `<prefix>tbox/<vin>/telemetry` and, if the client named a user, that user is the VIN. */
export function mayPublish(topicPrefix: string, topic: string, user: string | undefined): boolean {
  if (!topic.startsWith(topicPrefix)) return false;
  const levels = topic.slice(topicPrefix.length).split('/');
  if (levels.length !== 3 || levels[0] !== 'tbox' || levels[2] !== 'telemetry' || !levels[1]) return false;
  return user === undefined || user === '' || user === levels[1];
}

export async function startEmbeddedBroker(options: {
  host: string;
  port: number;
  topicPrefix: string;
}): Promise<EmbeddedBroker> {
  const users = new WeakMap<object, string>();
  const authorizePublish: AuthorizePublishHandler = (client, packet, callback) => {
    const user = client ? users.get(client) : undefined;
    if (mayPublish(options.topicPrefix, packet.topic, user)) callback(null);
    else callback(new Error(`publishing to ${packet.topic} is not allowed`));
  };
  const broker = await Aedes.createBroker({
    authenticate: (client, username, _password, callback) => {
      if (username) users.set(client, username);
      callback(null, true);
    },
    authorizePublish,
  });
  const server: Server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(
        new TelltaleError(
          'EMBEDDED_BROKER_FAILED',
          `Cannot serve MQTT on ${options.host}:${options.port}: ${cause.code ?? cause.message}.`,
          { cause, retryable: cause.code === 'EADDRINUSE' },
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `mqtt://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    clients: () => broker.connectedClients,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
