/**
 * Builds the console (vite build) when its bundle is missing or older than its sources, so a fresh clone needs no
 * manual step: `telltale api`, `telltale start` and the integration tests' global setup call ensureConsoleBuilt()
 * before the API reads CONSOLE_DIR. Nothing built is committed. The check is a fingerprint of every source file's
 * path, size and modification time, kept beside the bundle in `.source-stamp`; a build writes into a fresh
 * directory and swaps it in with renames, so a concurrent reader sees the old bundle or the new one, never half.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the API looks by default (its CONSOLE_DIR). */
export const CONSOLE_DIST_DIR = join(CONSOLE_ROOT, 'dist');
const STAMP = '.source-stamp';
const INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'src', 'public'];

async function fingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return;
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) if (!name.endsWith('.test.ts')) await visit(join(path, name));
    } else hash.update(`${path.slice(CONSOLE_ROOT.length)}:${info.size}:${info.mtimeMs}\n`);
  };
  for (const input of INPUTS) await visit(join(CONSOLE_ROOT, input));
  return hash.digest('hex');
}

export interface ConsoleBuild {
  readonly dir: string;
  /** False when the existing bundle was current. */
  readonly built: boolean;
  readonly ms: number;
}

/** Builds into `CONSOLE_DIST_DIR` unless the bundle there matches the sources (or `force`). */
export async function ensureConsoleBuilt(options: { force?: boolean } = {}): Promise<ConsoleBuild> {
  const t0 = Date.now();
  const wanted = await fingerprint();
  const current = await readFile(join(CONSOLE_DIST_DIR, STAMP), 'utf8').catch(() => undefined);
  if (!options.force && current === wanted) return { dir: CONSOLE_DIST_DIR, built: false, ms: Date.now() - t0 };
  const outDir = await mkdtemp(join(CONSOLE_ROOT, '.dist-'));
  try {
    const { build } = await import('vite');
    await build({
      root: CONSOLE_ROOT,
      configFile: join(CONSOLE_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    await writeFile(join(outDir, STAMP), wanted);
    await chmod(outDir, 0o755); // mkdtemp makes it private; the bundle is public
    const old = `${outDir}-old`;
    await rename(CONSOLE_DIST_DIR, old).catch(() => undefined);
    await rename(outDir, CONSOLE_DIST_DIR);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(outDir, { recursive: true, force: true });
    throw error;
  }
  return { dir: CONSOLE_DIST_DIR, built: true, ms: Date.now() - t0 };
}
