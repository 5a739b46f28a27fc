/** Finds and loads a vehicle model: a model directory, or a model id under the repository's signal-catalog/. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TelltaleError } from '@telltale/platform';
import { loadCatalog } from '../core-api.js';
import { buildSimModel, type SimModel } from '../domain/model.js';

/** signal-catalog/ of this repository (SIGNAL_CATALOG_DIR overrides). */
export function catalogRoot(source: NodeJS.ProcessEnv = process.env): string {
  if (source.SIGNAL_CATALOG_DIR) return resolve(source.SIGNAL_CATALOG_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'signal-catalog'))) return join(dir, 'signal-catalog');
    const parent = dirname(dir);
    if (parent === dir) return resolve('signal-catalog');
    dir = parent;
  }
}

export function resolveModelDir(model: string, cwd: string, source: NodeJS.ProcessEnv = process.env): string {
  const asPath = resolve(cwd, model);
  if (existsSync(join(asPath, 'manifest.json')) && statSync(asPath).isDirectory()) return asPath;
  const byId = join(catalogRoot(source), model);
  if (existsSync(join(byId, 'manifest.json'))) return byId;
  throw new TelltaleError(
    'MODEL_NOT_FOUND',
    `No vehicle model "${model}": neither a model directory nor a model id in ${catalogRoot(source)}.`,
  );
}

export async function loadSimModel(
  model: string,
  cwd: string,
  source: NodeJS.ProcessEnv = process.env,
): Promise<SimModel> {
  return buildSimModel(await loadCatalog(resolveModelDir(model, cwd, source)));
}
