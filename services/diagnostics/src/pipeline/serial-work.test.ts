import { describe, expect, it } from 'vitest';
import { SerialWork } from './serial-work.js';

describe('SerialWork', () => {
  it('runs work one piece at a time in call order; a failure rejects its caller only', async () => {
    const work = new SerialWork();
    const log: string[] = [];
    const slow = work.run(async () => {
      log.push('slow start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.push('slow end');
    });
    const failing = work.run(() => {
      log.push('failing');
      throw new Error('boom');
    });
    const fast = work.run(() => {
      log.push('fast');
      return 7;
    });
    await slow;
    await expect(failing).rejects.toThrow('boom');
    expect(await fast).toBe(7);
    await work.idle();
    expect(log).toEqual(['slow start', 'slow end', 'failing', 'fast']);
  });
});
