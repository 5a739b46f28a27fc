// npm pack hooks for @telltale/dbc. In the workspace the package runs from its TypeScript sources (exports →
// ./src/index.ts, through tsx); the tarball carries compiled JavaScript and declarations instead.
//
//   node scripts/pack.mjs prepack    compile src/ (no tests) into dist/ with the repository's TypeScript, then point
//                                    exports/main/types in package.json at dist/, keeping package.json.pack-backup
//   node scripts/pack.mjs postpack   restore package.json from the backup and remove dist/
//
// Robust to an interrupted run: prepack first restores a backup left behind, and postpack can be run by hand
// (`node scripts/pack.mjs postpack`) to put the workspace back.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(packageDir, 'package.json');
const backup = join(packageDir, 'package.json.pack-backup');
const dist = join(packageDir, 'dist');

function restore() {
  if (existsSync(backup)) renameSync(backup, manifest);
  rmSync(dist, { recursive: true, force: true });
}

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [relative(packageDir, path)] : [];
  });
}

function compile() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const options = ['--outDir', 'dist', '--rootDir', 'src', '--declaration', '--target', 'ES2023', '--lib', 'ES2023'];
  options.push('--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--strict');
  options.push('--noUncheckedIndexedAccess', '--skipLibCheck', '--verbatimModuleSyntax');
  execFileSync(process.execPath, [tsc, ...options, ...sources(join(packageDir, 'src'))], {
    cwd: packageDir,
    stdio: 'inherit',
  });
}

function prepack() {
  restore();
  const original = readFileSync(manifest, 'utf8');
  writeFileSync(backup, original);
  compile();
  const pkg = JSON.parse(original);
  pkg.main = './dist/index.js';
  pkg.types = './dist/index.d.ts';
  pkg.exports = { '.': { types: './dist/index.d.ts', default: './dist/index.js' } };
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
}

const step = process.argv[2];
if (step === 'prepack') {
  try {
    prepack();
  } catch (error) {
    restore();
    throw error;
  }
} else if (step === 'postpack') {
  restore();
} else {
  console.error('usage: node scripts/pack.mjs prepack|postpack');
  process.exit(2);
}
