/** The example feature sets (services/features/feature-sets) into the store, so `npm start` computes features. */
import { join } from 'node:path';
import type { Pool } from '@telltale/platform/db';
import { PgFeatureStore } from '@telltale/feature-sets/pg';
import type { CliIo } from '../command.js';
import { checkFeatureSets } from '../commands/features.js';
import { repoRoot } from '../lib/repo.js';

export async function applyExampleFeatureSets(pool: Pool, io: CliIo): Promise<string> {
  const { sets, problems } = await checkFeatureSets({ ...io, cwd: repoRoot() }, [
    join(repoRoot(), 'services/features/feature-sets'),
  ]);
  if (problems.some((p) => p.severity === 'error')) return 'example feature sets not applied: they have errors';
  const store = new PgFeatureStore(pool);
  const saved = [];
  for (const set of sets) saved.push(await store.applyFeatureSet(set.definition, 'telltale start'));
  const list = saved.map((s) => `${s.setId} v${s.version} ${s.action}`).join(', ');
  return `${saved.length} example feature sets (${list})`;
}
