import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { main } from './main.js';
import type { CliIo } from './command.js';

function capture(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  return {
    io: { stdin: new PassThrough(), stdout, stderr, env: {}, cwd: process.cwd() },
    out: () => Buffer.concat(chunks.out).toString(),
    err: () => Buffer.concat(chunks.err).toString(),
  };
}

describe('telltale main', () => {
  it('prints help listing the registered commands', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('infra up');
    expect(c.out()).toContain('topics ensure');
  });

  it("prints a command's usage for <command> --help", async () => {
    const c = capture();
    expect(await main(['topics', 'ensure', '--help'], c.io)).toBe(0);
    expect(c.out()).toContain('Usage: telltale topics ensure');
  });

  it('fails with exit 2 and the usage on unknown commands and usage errors', async () => {
    const unknown = capture();
    expect(await main(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain('unknown command "frobnicate"');
    const usage = capture();
    expect(await main(['infra', 'up', 'now'], usage.io)).toBe(2);
    expect(usage.err()).toContain('unexpected argument "now"');
  });

  it('turns TelltaleErrors into a coded message with exit 1', async () => {
    const c = capture();
    c.io.env.KAFKA_PARTITIONS = 'many';
    expect(await main(['topics', 'ensure'], { ...c.io, env: { KAFKA_PARTITIONS: 'many' } })).toBe(1);
    expect(c.err()).toContain('[CONFIG_INVALID]');
    expect(c.err()).toContain('KAFKA_PARTITIONS must be an integer');
  });
});
