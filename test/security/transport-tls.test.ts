// TLS to Kafka, PostgreSQL and Redis from the configuration: the CA files are read at boot (a bad path is a
// CONFIG_INVALID naming the variable) and the clients really verify the server against them. Kafka and PostgreSQL
// are checked against local TLS endpoints that complete the handshake (the shared servers run without TLS); Redis
// against a private redis-server with a TLS port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Redis } from 'ioredis';
import { kafkaConfig, loadConfig, redisTlsConfig, redisTlsOptions, TelltaleError } from '@telltale/platform';
import { createKafkaClient } from '@telltale/platform/kafka';
import { createPgPool, postgresConfig } from '@telltale/platform/db';
import { testLogger, waitFor } from '@telltale/platform/testing';
import { createDevicePki } from '@telltale/registry';
import { freePort } from '../local-mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'telltale-tls-'));
const good = join(dir, 'good');
const other = join(dir, 'other');
const pem = (pki: string, file: string) => readFileSync(join(pki, file));

beforeAll(async () => {
  await createDevicePki(good);
  await createDevicePki(other);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TLS endpoint with the good PKI's server certificate; counts completed handshakes. */
async function tlsEndpoint(): Promise<{ server: TlsServer; port: number; handshakes: () => number }> {
  let handshakes = 0;
  const server = createTlsServer({ cert: pem(good, 'server.pem'), key: pem(good, 'server.key') }, (socket) => {
    handshakes++;
    socket.on('error', () => undefined);
    socket.on('data', () => socket.destroy());
  });
  server.on('tlsClientError', () => undefined);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, handshakes: () => handshakes };
}

describe('Kafka', () => {
  it('reads KAFKA_SSL_CA_FILE at boot and names it when it is missing', () => {
    expect(() => loadConfig(kafkaConfig, { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'nope.pem') })).toThrow(
      /KAFKA_SSL_CA_FILE must name a readable file \(ENOENT\)/,
    );
  });

  it('refuses security settings that would silently not apply', () => {
    const log = testLogger();
    const security = (env: NodeJS.ProcessEnv) => loadConfig(kafkaConfig, env);
    const build = (env: NodeJS.ProcessEnv) =>
      createKafkaClient({ brokers: ['127.0.0.1:1'], clientId: 't', log, security: security(env) });
    expect(() => build({ KAFKA_SSL_CA_FILE: join(good, 'ca.pem') })).toThrow(
      /KAFKA_SSL_CA_FILE is set but KAFKA_SSL is false/,
    );
    expect(() => build({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      /KAFKA_SASL_MECHANISM=plain would send the password in clear/,
    );
    expect(() => build({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(
      /needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    try {
      build({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: join(good, 'server.pem') });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TelltaleError);
      expect((error as TelltaleError).code).toBe('CONFIG_INVALID');
      expect((error as TelltaleError).message).toContain('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
    }
  });

  it('completes a TLS handshake with a broker signed by the configured CA, and not with another CA', async () => {
    const endpoint = await tlsEndpoint();
    const attempt = async (ca: string) => {
      const kafka = createKafkaClient({
        brokers: [`127.0.0.1:${endpoint.port}`],
        clientId: 'tls-test',
        log: testLogger(),
        security: loadConfig(kafkaConfig, { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca }),
        overrides: { retry: { retries: 0 }, connectionTimeout: 2000 },
      });
      const admin = kafka.admin();
      await admin.connect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    };
    try {
      await attempt(join(other, 'ca.pem'));
      expect(endpoint.handshakes()).toBe(0);
      await attempt(join(good, 'ca.pem'));
      await waitFor('a TLS handshake from kafkajs', () => (endpoint.handshakes() > 0 ? true : undefined), 5000);
    } finally {
      endpoint.server.close();
    }
  });
});

describe('PostgreSQL', () => {
  it('negotiates TLS verified against DATABASE_SSL_CA_FILE', async () => {
    // PostgreSQL's SSLRequest (8 bytes) answered with 'S', then the TLS handshake.
    let handshakes = 0;
    const server: Server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('S');
        const tls = new TLSSocket(socket, {
          isServer: true,
          cert: pem(good, 'server.pem'),
          key: pem(good, 'server.key'),
        });
        tls.on('error', () => undefined);
        tls.on('secure', () => {
          handshakes++;
          tls.destroy();
        });
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const attempt = async (ca: string) => {
      const config = loadConfig(postgresConfig, {
        DATABASE_URL: `postgres://telltale@127.0.0.1:${port}/telltale?sslmode=disable`,
        DATABASE_SSL_CA_FILE: ca,
      });
      const pool = createPgPool({
        url: config.databaseUrl,
        schema: 'tls_test',
        max: 1,
        sslCa: config.databaseSslCaFile,
      });
      await pool.query('SELECT 1').catch(() => undefined);
      await pool.end();
    };
    try {
      await attempt(join(other, 'ca.pem'));
      expect(handshakes).toBe(0);
      await attempt(join(good, 'ca.pem'));
      expect(handshakes).toBe(1);
    } finally {
      server.close();
    }
  });
});

describe('Redis', () => {
  let redisServer: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    redisServer = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--bind',
        '127.0.0.1',
        '--tls-port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--tls-cert-file',
        join(good, 'server.pem'),
        '--tls-key-file',
        join(good, 'server.key'),
        '--tls-ca-cert-file',
        join(good, 'ca.pem'),
        '--tls-auth-clients',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      'redis-server with TLS',
      async () => {
        const probe = new Redis(`rediss://127.0.0.1:${port}`, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          tls: { ca: pem(good, 'ca.pem') },
        });
        probe.on('error', () => undefined);
        const ok = await probe.connect().then(
          () => true,
          () => undefined,
        );
        probe.disconnect();
        return ok;
      },
      10_000,
      100,
    );
  }, 30_000);

  afterAll(() => {
    redisServer?.kill('SIGTERM');
  });

  const client = (env: NodeJS.ProcessEnv) => {
    const config = loadConfig({ ...redisTlsConfig }, env);
    const redis = new Redis(`rediss://127.0.0.1:${port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      ...redisTlsOptions({ redisUrl: `rediss://127.0.0.1:${port}`, ...config }),
    });
    redis.on('error', () => undefined);
    return redis;
  };

  it('talks TLS to a server signed by REDIS_TLS_CA_FILE and refuses one signed by another CA', async () => {
    const trusted = client({ REDIS_TLS_CA_FILE: join(good, 'ca.pem') });
    await trusted.connect();
    expect(await trusted.ping()).toBe('PONG');
    trusted.disconnect();
    const untrusted = client({ REDIS_TLS_CA_FILE: join(other, 'ca.pem') });
    await expect(untrusted.connect()).rejects.toThrow();
    untrusted.disconnect();
  });

  it('refuses a CA file with a redis:// URL', () => {
    const config = loadConfig({ ...redisTlsConfig }, { REDIS_TLS_CA_FILE: join(good, 'ca.pem') });
    expect(() => redisTlsOptions({ redisUrl: 'redis://127.0.0.1:6379', ...config })).toThrow(
      /REDIS_TLS_CA_FILE is set .* but REDIS_URL does not use rediss:\/\//,
    );
  });
});
