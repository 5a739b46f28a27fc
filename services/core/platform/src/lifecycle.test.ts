import { describe, expect, it } from 'vitest';
import { Lifecycle } from './lifecycle.js';
import { createLogger } from './logging.js';

const log = createLogger({ service: 'test', level: 'silent' });

describe('Lifecycle', () => {
  it('stops steps in reverse order of registration, once', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle(log, 1000);
    lifecycle.onShutdown('kafka client', () => void order.push('kafka client'));
    lifecycle.onShutdown('consumer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push('consumer');
    });
    lifecycle.onShutdown('http intake', () => void order.push('http intake'));
    await Promise.all([lifecycle.shutdown('SIGTERM'), lifecycle.shutdown('SIGTERM')]);
    expect(order).toEqual(['http intake', 'consumer', 'kafka client']);
    expect(lifecycle.isShuttingDown).toBe(true);
  });

  it('runs the remaining steps when one fails, then reports the failure', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle(log, 1000);
    lifecycle.onShutdown('a', () => void order.push('a'));
    lifecycle.onShutdown('b', () => {
      throw new Error('commit failed');
    });
    await expect(lifecycle.shutdown('SIGTERM')).rejects.toThrow('one or more shutdown steps failed');
    expect(order).toEqual(['a']);
  });

  it('exits 0 after a clean shutdown on SIGTERM', async () => {
    const lifecycle = new Lifecycle(log, 1000);
    const exits: number[] = [];
    const before = process.listeners('SIGTERM').length;
    lifecycle.installSignalHandlers((code) => exits.push(code));
    const handler = process.listeners('SIGTERM').at(-1)!;
    try {
      handler('SIGTERM');
      await lifecycle.shutdown('SIGTERM');
      await new Promise((resolve) => setImmediate(resolve));
      expect(exits).toEqual([0]);
    } finally {
      process.removeListener('SIGTERM', handler);
      process.removeListener('SIGINT', process.listeners('SIGINT').at(-1)!);
      expect(process.listeners('SIGTERM').length).toBe(before);
    }
  });
});
