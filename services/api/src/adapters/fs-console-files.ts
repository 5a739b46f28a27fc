/**
 * The built web console (services/console, `vite build`) read into memory once at start: it is a few hundred KB,
 * and serving from memory means no file-system path ever comes from a request. Each file gets a strong ETag (a
 * SHA-256 prefix of its bytes), its content type from the extension, and text files a gzipped copy made here.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export interface ConsoleFile {
  readonly body: Buffer;
  /** The body gzipped once at start, for text files where that saves something (no compression per request). */
  readonly gzip: Buffer | undefined;
  readonly contentType: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Path inside the console (`index.html`, `assets/index-3f2a.js`) → file; empty when `dir` has no index.html. */
export async function readConsoleFiles(dir: string): Promise<ReadonlyMap<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>();
  if (!(await stat(join(dir, 'index.html')).catch(() => undefined))?.isFile()) return files;
  const visit = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile() && !entry.name.startsWith('.')) {
        const body = await readFile(path);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        const contentType = TYPES[extname(entry.name).toLowerCase()] ?? 'application/octet-stream';
        const text = /^(text\/|application\/json|image\/svg)/.test(contentType);
        const packed = text ? gzipSync(body, { level: 9 }) : undefined;
        const gzip = packed !== undefined && packed.length < body.length * 0.9 ? packed : undefined;
        files.set(relative(dir, path).split(sep).join('/'), { body, gzip, contentType, etag });
      }
    }
  };
  await visit(dir);
  return files;
}
