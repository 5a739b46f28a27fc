import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_KEY_FILE, loadKeyring } from './keyring-config.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-keys-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEY = 'cd'.repeat(32);

describe('loadKeyring', () => {
  it('uses SECRETS_KEY, with previous keys for opening only', () => {
    const { keyring, source } = loadKeyring(
      { secretsKey: KEY, secretsPreviousKeys: `${'ab'.repeat(32)}`, nodeEnv: 'production' },
      tempDir(),
    );
    expect(source).toBe('SECRETS_KEY');
    expect(keyring.current.key.toString('hex')).toBe(KEY);
    expect(keyring.byId.size).toBe(2);
  });

  it('refuses to start without SECRETS_KEY outside development, naming the variable', () => {
    const cwd = tempDir();
    const error = thrown(() => loadKeyring({ secretsKey: '-', secretsPreviousKeys: '-', nodeEnv: 'production' }, cwd));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('SECRETS_KEY is required');
    expect(() => statSync(join(cwd, DEV_KEY_FILE))).toThrow();
  });

  it('names the variable of a malformed key without echoing the value', () => {
    const attempt = () =>
      loadKeyring({ secretsKey: 'hunter2-hunter2', secretsPreviousKeys: 'nope', nodeEnv: 'production' }, tempDir());
    const error = thrown(attempt);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('SECRETS_KEY must be 32 bytes');
    expect(error.message).toContain('SECRETS_PREVIOUS_KEYS item 0');
    expect(error.message).not.toContain('hunter2');
  });

  it('in development generates one private key file that every later start reuses', () => {
    const cwd = tempDir();
    const first = loadKeyring({ secretsKey: '-', secretsPreviousKeys: '-', nodeEnv: 'development' }, cwd);
    const path = join(cwd, DEV_KEY_FILE);
    expect(first.source).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, '.telltale')).mode & 0o077).toBe(0);
    const again = loadKeyring({ secretsKey: '-', secretsPreviousKeys: '-', nodeEnv: 'test' }, cwd);
    expect(again.keyring.current.id).toBe(first.keyring.current.id);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.keyring.current.key.toString('base64'));

    chmodSync(path, 0o644);
    const error = thrown(() => loadKeyring({ secretsKey: '-', secretsPreviousKeys: '-', nodeEnv: 'development' }, cwd));
    expect(error.message).toContain('readable by others');
  });
});

/** What `attempt` throws, as code and message (fails the test if it does not throw). */
function thrown(attempt: () => unknown): { code: string; message: string } {
  try {
    attempt();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a throw');
}
