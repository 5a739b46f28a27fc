import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TelltaleError } from '@telltale/platform';
import type { CliIo } from '../command.js';

/** Reads a file named on the command line (relative to the working directory) with a clear error when it can't. */
export function readInputFile(io: CliIo, path: string): Buffer {
  const full = resolve(io.cwd, path);
  try {
    return readFileSync(full);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (cause as Error).message;
    throw new TelltaleError('FILE_NOT_READABLE', `Cannot read ${path}: ${why}.`, { cause, details: { path: full } });
  }
}
