/**
 * @telltale/dbc as a user gets it: `npm pack` of services/core/dbc, installed offline into an empty project outside
 * the workspace, imported by a plain Node ESM script that parses a DBC and decodes a frame. Also: the tarball holds
 * no tests or fixtures, and the workspace's package.json is restored after packing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../../services/core/dbc');
const workDir = mkdtempSync(join(tmpdir(), 'telltale-packed-dbc-'));
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const SCRIPT = `
import { compileDatabase, decodeFrame, parseDbc } from '@telltale/dbc';
const dbc = [
  'VERSION ""', 'NS_ :', 'BS_:', 'BU_: ECU',
  'BO_ 256 Engine: 8 ECU',
  ' SG_ Rpm : 0|16@1+ (0.25,0) [0|16383.75] "rpm" ECU',
  ' SG_ Temp : 16|8@1+ (1,-40) [-40|215] "degC" ECU',
  'VAL_ 256 Temp 255 "Invalid" ;',
].join('\\n');
const compiled = compileDatabase(parseDbc(dbc).database);
const data = Uint8Array.of(0x10, 0x27, 0x5a, 0, 0, 0, 0, 0);
const result = decodeFrame(compiled, { id: 256, extended: false, data });
console.log(JSON.stringify(result));
`;

describe('packed @telltale/dbc', () => {
  const manifestBefore = readFileSync(join(packageDir, 'package.json'), 'utf8');

  it('packs compiled code and declarations only, and restores the workspace package.json', () => {
    const [packed] = JSON.parse(npm(['pack', '--pack-destination', workDir, '--json'], packageDir)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths.filter((p) => /\.test\.|fixtures|\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
    expect(readFileSync(join(packageDir, 'package.json'), 'utf8')).toBe(manifestBefore);
    const manifest = JSON.parse(manifestBefore) as Record<string, unknown>;
    expect(manifest.license).toBe('Apache-2.0');
    expect(typeof manifest.description).toBe('string');
    expect(manifest.keywords).toContain('dbc');

    const project = join(workDir, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "uses-dbc", "private": true, "type": "module" }\n');
    npm(['install', '--no-audit', '--no-fund', '--offline', join(workDir, packed!.filename)], project);
    writeFileSync(join(project, 'decode.mjs'), SCRIPT);
    const output = execFileSync(process.execPath, ['decode.mjs'], { cwd: project, encoding: 'utf8' });
    expect(JSON.parse(output)).toMatchObject({
      ok: true,
      message: 'Engine',
      signals: { Rpm: 2500, Temp: 50 },
    });
  });
});
