import { describe, expect, it } from 'vitest';
import type { ConsoleFile } from '../../adapters/fs-console-files.js';
import { securityHeaders, API_CSP, CONSOLE_CSP } from '../security-headers.js';
import { acceptsGzip, consoleFileFor } from './console.js';

const file = (name: string): ConsoleFile => ({
  body: Buffer.from(name),
  gzip: undefined,
  contentType: 'text/plain',
  etag: `"${name}"`,
});
const files = new Map([
  ['index.html', file('index')],
  ['assets/index-abc.js', file('js')],
  ['favicon.svg', file('icon')],
]);

describe('console files', () => {
  it('serves hashed assets as immutable, anything else revalidated', () => {
    expect(consoleFileFor(files, 'assets/index-abc.js')).toMatchObject({
      file: { etag: '"js"' },
      cache: 'public, max-age=31536000, immutable',
    });
    expect(consoleFileFor(files, 'favicon.svg')?.cache).toBe('no-cache');
    expect(consoleFileFor(files, 'index.html')).toMatchObject({ file: { etag: '"index"' }, cache: 'no-cache' });
  });

  it('answers client routes with the page and a missing asset with nothing', () => {
    expect(consoleFileFor(files, 'vehicles/LRW3E7FS1RC000001')?.file.etag).toBe('"index"');
    expect(consoleFileFor(files, 'assets/index-old.js')).toBeUndefined();
    expect(consoleFileFor(new Map(), 'index.html')).toBeUndefined();
  });

  it('reads Accept-Encoding: gzip unless refused with q=0', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('gives the console its own CSP: own scripts only, requests to this origin only', () => {
    expect(securityHeaders('/console/vehicles/X')['content-security-policy']).toBe(CONSOLE_CSP);
    expect(securityHeaders('/v1/vehicles')['content-security-policy']).toBe(API_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  });
});
