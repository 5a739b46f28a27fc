/** The catalog's only I/O: read a model directory into CatalogSources. Everything after that is pure. */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TelltaleError } from '@telltale/platform/errors';
import { buildCatalog, MANIFEST_FILE, SIGNAL_IDS_FILE } from './build.js';
import type { Catalog, CatalogSources } from './model.js';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function loadCatalogSources(modelDir: string): Promise<CatalogSources> {
  let entries: string[];
  try {
    entries = await readdir(modelDir);
  } catch (error) {
    throw new TelltaleError('CATALOG_NOT_FOUND', `Cannot read model directory ${modelDir}.`, { cause: error });
  }
  const manifest = await readOptional(join(modelDir, MANIFEST_FILE));
  if (manifest === undefined) {
    throw new TelltaleError('CATALOG_NOT_FOUND', `${modelDir} has no ${MANIFEST_FILE}; is it a model directory?`);
  }
  const dbcNames = entries.filter((name) => name.toLowerCase().endsWith('.dbc')).sort();
  // Bytes, not text: the DBC parser detects UTF-8 versus the cp1252 most DBC tools write.
  const dbcFiles = new Map<string, Uint8Array>(
    await Promise.all(dbcNames.map(async (name) => [name, await readFile(join(modelDir, name))] as const)),
  );
  return {
    manifest,
    signalIds: await readOptional(join(modelDir, SIGNAL_IDS_FILE)),
    dbcFiles,
    directoryName: basename(modelDir.replace(/[\\/]+$/, '')),
  };
}

/** Reads and builds a catalog; throws CATALOG_NOT_FOUND or CATALOG_INVALID. */
export async function loadCatalog(modelDir: string): Promise<Catalog> {
  return buildCatalog(await loadCatalogSources(modelDir));
}
