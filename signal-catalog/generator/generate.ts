/**
 * Writes every generated model under signal-catalog/<model id>/:
 *
 *   npx tsx signal-catalog/generator/generate.ts            regenerate (keeps existing signal ids)
 *   npx tsx signal-catalog/generator/generate.ts --check    exit 1 if any committed file differs
 *
 * Output is deterministic; an existing signal-ids.json is read first so ids never change (README: id stability).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignalIds } from '@telltale/catalog';
import { renderModel } from './model.js';
import { MODELS } from './models.js';

const catalogRoot = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;

for (const define of MODELS) {
  const model = define();
  const dir = join(catalogRoot, model.modelId);
  const idsPath = join(dir, 'signal-ids.json');
  const previous = existsSync(idsPath) ? parseSignalIds(readFileSync(idsPath, 'utf8')) : undefined;
  const files = renderModel(model, previous);
  if (!check) mkdirSync(dir, { recursive: true });
  for (const [name, content] of files) {
    const path = join(dir, name);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    stale += 1;
    if (check) console.log(`${path} is out of date`);
    else writeFileSync(path, content);
  }
  // A bus that was renamed or dropped leaves its old DBC behind; the catalog lint would flag it as unused.
  const existing = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.dbc')) : [];
  for (const name of existing.filter((name) => !files.has(name))) {
    stale += 1;
    if (check) console.log(`${join(dir, name)} is no longer generated`);
    else unlinkSync(join(dir, name));
  }
  if (!check) console.log(`${model.modelId}: ${files.size} files`);
}

if (check && stale > 0) process.exitCode = 1;
