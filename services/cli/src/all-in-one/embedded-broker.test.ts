import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mayPublish, startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';

describe('mayPublish', () => {
  it('allows uplink topics only, and a named user only its own VIN', () => {
    expect(mayPublish('', 'tbox/VIN1/telemetry', undefined)).toBe(true);
    expect(mayPublish('', 'tbox/VIN1/telemetry', 'VIN1')).toBe(true);
    expect(mayPublish('', 'tbox/VIN1/telemetry', 'VIN2')).toBe(false);
    expect(mayPublish('', 'tbox/VIN1/other', undefined)).toBe(false);
    expect(mayPublish('', '$SYS/x', undefined)).toBe(false);
    expect(mayPublish('ci/', 'tbox/VIN1/telemetry', undefined)).toBe(false);
    expect(mayPublish('ci/', 'ci/tbox/VIN1/telemetry', undefined)).toBe(true);
  });
});

describe('startEmbeddedBroker', () => {
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('delivers a QoS 1 uplink from a T-Box to a subscriber, on 127.0.0.1 only', async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, topicPrefix: '' });
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const gateway = await mqtt.connectAsync(broker.url, { clientId: 'gw', protocolVersion: 4 });
    const tbox = await mqtt.connectAsync(broker.url, { clientId: 'tbox', username: 'VIN1', password: 'x' });
    try {
      await gateway.subscribeAsync('tbox/+/telemetry', { qos: 1 });
      const received = new Promise<string>((resolve) => gateway.on('message', (topic) => resolve(topic)));
      await tbox.publishAsync('tbox/VIN1/telemetry', Buffer.from([1, 2, 3]), { qos: 1 });
      expect(await received).toBe('tbox/VIN1/telemetry');
      expect(broker.clients()).toBe(2);
    } finally {
      await Promise.all([gateway.endAsync(), tbox.endAsync()]);
    }
  });

  it('fails with a stable code when the port is taken', async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, topicPrefix: '' });
    const port = Number(new URL(broker.url).port);
    await expect(startEmbeddedBroker({ host: '127.0.0.1', port, topicPrefix: '' })).rejects.toMatchObject({
      code: 'EMBEDDED_BROKER_FAILED',
    });
  });
});
