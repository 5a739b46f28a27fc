import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../command.js';
import { normaliseTopicPrefix, opsPort, serviceEnv, SERVICES, startSettings } from './settings.js';
import { clockSeqStart, planFleet } from './simulated-fleet.js';

const mqtt = { mqttUrl: 'mqtt://127.0.0.1:1883', embeddedBroker: false };

describe('startSettings', () => {
  it('runs the default pipeline on fixed, documented ports with quiet logs', () => {
    const s = startSettings({}, mqtt);
    expect(s.instance).toBeUndefined();
    expect(s.env.DATABASE_SCHEMA).toBe('telltale');
    expect(s.env.KAFKA_TOPIC_PREFIX).toBe('-');
    expect(s.env.REDIS_KEY_PREFIX).toBe('telltale:');
    expect(s.env.API_PORT).toBe('8080');
    expect(s.env.LOG_LEVEL).toBe('warn');
    expect(s.env.MQTT_SHARE_GROUP).toBe('gateway');
    expect(SERVICES.map((name) => opsPort(s, name)).sort()).toEqual([9101, 9102, 9103, 9104, 9105, 9106, 9107, 9108]);
    expect(serviceEnv(s, 'decoder')).toMatchObject({ OPS_PORT: '9102', OPS_HOST: '127.0.0.1' });
  });

  it('derives every setting that would collide from one instance name', () => {
    const s = startSettings({ TELLTALE_INSTANCE: 'ci' }, mqtt);
    expect(s.env).toMatchObject({
      DATABASE_SCHEMA: 'telltale_ci',
      KAFKA_TOPIC_PREFIX: 'ci.',
      REDIS_KEY_PREFIX: 'telltale:ci:',
      MQTT_SHARE_GROUP: 'gateway-ci',
      MQTT_CLIENT_ID_PREFIX: 'telltale-ci-gateway',
      MQTT_UPLINK_TOPIC: 'ci/tbox/+/telemetry',
    });
    expect(s.mqttTopicPrefix).toBe('ci/');
  });

  it('lets an explicit variable win and adds the separator a topic prefix lacks', () => {
    const s = startSettings(
      { DATABASE_SCHEMA: 'mine', KAFKA_TOPIC_PREFIX: 'dev', LOG_LEVEL: 'info' },
      {
        ...mqtt,
        instance: 'x',
      },
    );
    expect(s.env).toMatchObject({ DATABASE_SCHEMA: 'mine', KAFKA_TOPIC_PREFIX: 'dev.', LOG_LEVEL: 'info' });
    expect(normaliseTopicPrefix('dev-')).toBe('dev-');
    expect(normaliseTopicPrefix('-')).toBe('-');
  });

  it('uses one plain subscriber on the embedded broker (no shared subscriptions there)', () => {
    const s = startSettings({ MQTT_SHARE_GROUP: 'g' }, { mqttUrl: 'mqtt://127.0.0.1:1883', embeddedBroker: true });
    expect(s.env).toMatchObject({ MQTT_SHARE_GROUP: '-', MQTT_CONNECTIONS: '1' });
  });

  it('rejects a bad instance name or port', () => {
    expect(() => startSettings({}, { ...mqtt, instance: 'Bad-Name' })).toThrow(CliUsageError);
    expect(() => startSettings({}, { ...mqtt, apiPort: '70000' })).toThrow(/--api-port must be a port/);
  });
});

describe('planFleet', () => {
  it('puts both models in a fleet of two or more, with a fault on each', () => {
    expect(planFleet(3, 20)).toEqual([
      { modelId: 'cargo-van-e-2025', vehicles: 2, faults: ['dtc:0'], faultAfterS: 20 },
      { modelId: 'aurora-ev-2026', vehicles: 1, faults: ['over-temperature:0'], faultAfterS: 50 },
    ]);
    expect(planFleet(1, 5)).toHaveLength(1);
  });

  it('derives sequence numbers from the clock so a restart is not a duplicate', () => {
    expect(clockSeqStart(Date.UTC(2025, 0, 1) + 10_000)).toBe(100);
    expect(clockSeqStart()).toBeGreaterThan(clockSeqStart(Date.now() - 60_000));
  });
});
