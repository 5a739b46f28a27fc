/** Durable file steps: fsync a written file, rename it into place, fsync the directory so the rename survives. */
import { mkdir, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync(tmp) → rename(tmp, final) → fsync(dir): after this resolves the file is on disk under its final name. */
export async function publishFile(tmpPath: string, finalPath: string): Promise<void> {
  await fsyncFile(tmpPath);
  await rename(tmpPath, finalPath);
  await fsyncDir(dirname(finalPath));
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Every hour directory under the archive root (`model=*` / `date=*` / `hour=*`), relative paths. */
export async function listHourDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  const sub = async (dir: string, prefix: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
      .map((e) => e.name);
  for (const model of await sub(root, 'model=')) {
    for (const date of await sub(join(root, model), 'date=')) {
      for (const hour of await sub(join(root, model, date), 'hour=')) out.push(`${model}/${date}/${hour}`);
    }
  }
  return out;
}

export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);
}

/** Removes `dir` and then its parents up to (not including) `root` while they are empty. */
export async function pruneEmptyDirs(root: string, dir: string): Promise<void> {
  let current = dir;
  while (current.startsWith(root) && current !== root) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}
