import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where deploy/ lives), found from this file's location. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'deploy', 'local', 'up.sh'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('telltale: cannot find the repository root (deploy/local/up.sh)');
    dir = parent;
  }
  return dir;
}
