/**
 * Vitest global setup for the integration project: brings up the real infrastructure (PostgreSQL, Redis,
 * Mosquitto as system services; Kafka from Maven Central in KRaft mode) through deploy/local, which is idempotent
 * and returns at once when everything already answers; Debian's Chromium and Prometheus when missing
 * (deploy/local/test-tools.sh); and builds the web console when its bundle is missing or
 * stale (the browser tests and the API's /console/ route serve it), once here rather than in each test file.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<void> {
  const { ensureConsoleBuilt } = await import('@telltale/console/build');
  await ensureConsoleBuilt();
  if (process.env.TELLTALE_SKIP_INFRA === '1') return;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync('bash', [join(root, 'deploy/local/up.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
  // Chromium and Prometheus for the browser and dashboard tests, from Debian when missing.
  execFileSync('bash', [join(root, 'deploy/local/test-tools.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
}
