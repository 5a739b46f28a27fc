import { describe, expect, it } from 'vitest';
import { commonConfig, describeConfig, env, kafkaConfig, loadConfig } from './config.js';
import { TelltaleError } from './errors.js';

describe('loadConfig', () => {
  it('applies defaults and returns a frozen, typed object', () => {
    const config = loadConfig({ ...commonConfig, ...kafkaConfig }, {});
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.shutdownTimeoutMs).toBe(30000);
    expect(config.logLevel).toBe('info');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses given values', () => {
    const config = loadConfig(kafkaConfig, { KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_PARTITIONS: '12' });
    expect(config.kafkaBrokers).toEqual(['a:9092', 'b:9093']);
    expect(config.kafkaPartitions).toBe(12);
  });

  it('reports every bad variable by name in one CONFIG_INVALID error', () => {
    let caught: unknown;
    try {
      loadConfig(
        { ...commonConfig, ...kafkaConfig },
        { KAFKA_BROKERS: 'a:9092,nonsense', OPS_PORT: '70000', LOG_LEVEL: 'loud' },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TelltaleError);
    const error = caught as TelltaleError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('KAFKA_BROKERS item 1 ("nonsense") must be host:port');
    expect(error.message).toContain('OPS_PORT must be an integer between 0 and 65535 (got "70000")');
    expect(error.message).toContain('LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent');
    expect(error.details.problems).toHaveLength(3);
  });

  it('requires variables without a default', () => {
    const spec = {
      url: env.url('DATABASE_URL', { description: 'PostgreSQL URL', protocols: ['postgres', 'postgresql'] }),
    };
    expect(() => loadConfig(spec, {})).toThrow('DATABASE_URL is required (PostgreSQL URL)');
    expect(() => loadConfig(spec, { DATABASE_URL: 'http://x' })).toThrow(
      'must use one of the protocols postgres, postgresql',
    );
    expect(loadConfig(spec, { DATABASE_URL: 'postgres://u@h/db' }).url).toBe('postgres://u@h/db');
  });

  it('parses booleans strictly', () => {
    const spec = { on: env.boolean('FEATURE_ON', { description: 'x', default: 'false' }) };
    expect(loadConfig(spec, { FEATURE_ON: 'yes' }).on).toBe(true);
    expect(loadConfig(spec, {}).on).toBe(false);
    expect(() => loadConfig(spec, { FEATURE_ON: 'maybe' })).toThrow('FEATURE_ON must be true or false');
  });

  it('describes variables for help output', () => {
    expect(describeConfig(kafkaConfig)[0]).toBe(
      'KAFKA_BROKERS=127.0.0.1:9092  Kafka bootstrap servers, comma-separated host:port',
    );
  });
});
