import { describe, expect, it } from 'vitest';
import { commonConfig, env } from './config.js';
import { bootService } from './service.js';

const spec = {
  ...commonConfig,
  port: env.integer('TEST_SERVICE_PORT', { description: 'a port', default: '1', min: 1 }),
} as const;

describe('bootService', () => {
  it('loads the configuration and makes the logger and lifecycle from it', () => {
    const { config, log, lifecycle } = bootService('test', spec, {
      LOG_LEVEL: 'warn',
      TEST_SERVICE_PORT: '8',
      SHUTDOWN_TIMEOUT_MS: '1234',
    });
    expect(config.port).toBe(8);
    expect(log.level).toBe('warn');
    expect(lifecycle.isShuttingDown).toBe(false);
  });

  it('names the bad variable, and runs cross-field checks before anything starts', () => {
    expect(() => bootService('test', spec, { TEST_SERVICE_PORT: '0' })).toThrow(/TEST_SERVICE_PORT/);
    expect(() =>
      bootService('test', spec, {}, (c) => {
        if (c.port < 2) throw new Error('port must be at least 2');
      }),
    ).toThrow('port must be at least 2');
  });
});
