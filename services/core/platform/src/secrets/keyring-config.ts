/**
 * The keyring from configuration (`source` says where the current key came from, for the start-up log).
 * SECRETS_KEY is required, except where NODE_ENV is `development` or `test`: there
 * a key is generated once into `.telltale/secrets.key` under the working directory (directory 0700, file 0600, made
 * atomically so processes starting together agree on one key), and every service started from the same directory
 * shares it. Anywhere else a missing or malformed key stops the service with CONFIG_INVALID naming the variable.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TelltaleError } from '@telltale/platform/errors';
import { keyringOf, parseSecretsKey, type Keyring, type SecretsKey } from './secret-box.js';

export interface SecretsSettings {
  /** SECRETS_KEY, or '-' when not set. */
  readonly secretsKey: string;
  /** SECRETS_PREVIOUS_KEYS: comma-separated keys that still open secrets (rotation); '-' for none. */
  readonly secretsPreviousKeys: string;
  /** NODE_ENV: only `development` and `test` may fall back to a generated key file. */
  readonly nodeEnv: string;
}

export const DEV_KEY_FILE = join('.telltale', 'secrets.key');

export function loadKeyring(
  settings: SecretsSettings,
  cwd: string = process.cwd(),
): { keyring: Keyring; source: string } {
  const previous: SecretsKey[] = [];
  const problems: string[] = [];
  if (settings.secretsPreviousKeys !== '-') {
    settings.secretsPreviousKeys
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .forEach((raw, i) => {
        const parsed = parseSecretsKey(raw);
        if (parsed.ok) previous.push(parsed.value);
        else problems.push(`SECRETS_PREVIOUS_KEYS item ${i} ${parsed.reason}`);
      });
  }
  let current: SecretsKey | undefined;
  let source = 'SECRETS_KEY';
  if (settings.secretsKey !== '-') {
    const parsed = parseSecretsKey(settings.secretsKey);
    if (parsed.ok) current = parsed.value;
    else problems.push(`SECRETS_KEY ${parsed.reason}`);
  } else if (settings.nodeEnv === 'development' || settings.nodeEnv === 'test') {
    source = join(cwd, DEV_KEY_FILE);
    current = developmentKey(source);
  } else {
    problems.push(
      'SECRETS_KEY is required: 32 bytes, hex or base64, that encrypt webhook secrets at rest ' +
        '(make one with `openssl rand -base64 32`; the API and the notifier need the same key). ' +
        `For local development only, NODE_ENV=development uses a key generated into ${DEV_KEY_FILE}`,
    );
  }
  if (problems.length > 0 || current === undefined) {
    throw new TelltaleError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  return { keyring: keyringOf(current, previous), source };
}

function developmentKey(path: string): SecretsKey {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    statSync(path);
  } catch {
    // Write a private temporary file, then link it into place: link fails if another process won the race.
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new TelltaleError(
      'CONFIG_INVALID',
      `Invalid configuration: the development key file ${path} is readable by others (mode ` +
        `${mode.toString(8)}); run \`chmod 600 ${path}\` or set SECRETS_KEY.`,
    );
  }
  const parsed = parseSecretsKey(readFileSync(path, 'utf8'));
  if (!parsed.ok) {
    throw new TelltaleError(
      'CONFIG_INVALID',
      `Invalid configuration: the development key file ${path} ${parsed.reason}; delete it to generate a new one ` +
        '(webhook secrets sealed with the old key then stop opening) or set SECRETS_KEY.',
    );
  }
  return parsed.value;
}
