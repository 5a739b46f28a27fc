// Nothing listens on all interfaces by default: the development servers trust their callers (PostgreSQL trust,
// Redis without a password, anonymous Mosquitto on 1883, plaintext Kafka), so every port the deployment files
// publish or open is bound to the loopback interface.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const deploy = join(dirname(fileURLToPath(import.meta.url)), '../../deploy');
const read = (path: string): string => readFileSync(join(deploy, path), 'utf8');

describe('deployment files bind to 127.0.0.1', () => {
  it('docker-compose publishes every port on 127.0.0.1 only', () => {
    const published = [...read('docker-compose.yml').matchAll(/^\s*ports:\s*\[(.*)\]/gm)].flatMap((m) =>
      m[1]!.split(',').map((p) => p.trim().replace(/^['"]|['"]$/g, '')),
    );
    expect(published.length).toBeGreaterThanOrEqual(4);
    for (const port of published) expect(port, `published port ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('the local Kafka listens and advertises on 127.0.0.1', () => {
    const properties = read('local/kafka/server.properties.template');
    for (const key of ['listeners', 'advertised.listeners']) {
      const line = properties.split('\n').find((l) => l.startsWith(`${key}=`));
      expect(line, key).toBeDefined();
      for (const listener of line!.slice(key.length + 1).split(',')) {
        expect(listener, `${key}: ${listener}`).toMatch(/^[A-Z_]+:\/\/127\.0\.0\.1:/);
      }
    }
  });

  it('the project-managed Mosquitto opens its listeners on 127.0.0.1 by default', () => {
    const listeners = read('local/mosquitto/mosquitto.sh')
      .split('\n')
      .filter((l) => /^listener /.test(l));
    expect(listeners.length).toBeGreaterThanOrEqual(1);
    for (const l of listeners) expect(l).toMatch(/^listener \S+ (127\.0\.0\.1|\$\{?MQTT_BIND_ADDRESS\}?)$/);
  });
});
