// The `telltale` bin as a user runs it: through npm's workspace link in node_modules/.bin.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'node_modules/.bin/telltale');
const run = promisify(execFile);

describe('telltale command', () => {
  it('lists its commands with --help', async () => {
    const { stdout } = await run(bin, ['--help'], { cwd: root });
    expect(stdout).toContain('Usage: telltale <command>');
    expect(stdout).toMatch(/infra up\s+Start the local infrastructure/);
    expect(stdout).toMatch(/topics ensure/);
  });

  it('rejects an unknown command with exit code 2', async () => {
    await expect(run(bin, ['no-such-command'], { cwd: root })).rejects.toMatchObject({ code: 2 });
  });

  it('reports infrastructure status', async () => {
    const { stdout } = await run(bin, ['infra', 'status'], { cwd: root });
    expect(stdout).toMatch(/Kafka\s+127\.0\.0\.1:\d+\s+up/);
    expect(stdout).toMatch(/PostgreSQL\s+127\.0\.0\.1:\d+\s+up/);
  });

  it('names the bad variable when the configuration is invalid', async () => {
    const error = await run(bin, ['topics', 'ensure'], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: 'not-a-broker' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr).toContain('KAFKA_BROKERS item 0 ("not-a-broker") must be host:port');
  });
});
