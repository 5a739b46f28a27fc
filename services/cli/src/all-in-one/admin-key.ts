/**
 * The admin API key of a local pipeline: created on the first `telltale start` and kept in a file only the user can
 * read (<data dir>/admin-api-key, mode 0600), so curl examples and scripts can use it. Reused while the key in the
 * file still works; replaced (and printed again) when the key was revoked or the database was reset.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Pool } from '@telltale/platform/db';

export const ADMIN_KEY_FILE = 'admin-api-key';
export const ADMIN_KEY_NAME = 'telltale start (local admin)';

export interface AdminKey {
  readonly token: string;
  readonly file: string;
  /** True when this start created it (it is printed once). */
  readonly created: boolean;
}

async function readToken(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function ensureAdminKey(pool: Pool, file: string): Promise<AdminKey> {
  const { PgApiKeyStore, parseApiKey, hashApiKeySecret } = await import('@telltale/api');
  const keys = new PgApiKeyStore(pool);
  const existing = await readToken(file);
  if (existing !== undefined) {
    const parsed = parseApiKey(existing);
    if (parsed.ok) {
      const stored = await keys.find(parsed.keyId);
      if (stored && stored.revokedAt === undefined && stored.secretSha256 === hashApiKeySecret(parsed.secret)) {
        await chmod(file, 0o600);
        return { token: existing, file, created: false };
      }
    }
  }
  const { token } = await keys.create({ name: ADMIN_KEY_NAME, role: 'admin', fleets: ['*'], createdBy: 'cli' });
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile keeps the mode of a file that already existed
  return { token, file, created: true };
}
