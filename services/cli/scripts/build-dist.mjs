#!/usr/bin/env node
// The production build (`npm run build`): compiles every package's src/ with tsc (tsconfig.build.json) into dist/,
// mirroring the repository tree, then completes dist/ so it runs without TypeScript or a loader:
//   - the files tsc does not emit (generated protobuf JavaScript, SQL migrations, rule examples, static assets),
//   - each workspace package.json with its entry points moved from src/*.ts to the compiled src/*.js,
//   - the signal catalog, the root package.json and package-lock.json (so `npm ci --omit=dev` installs in dist/),
//   - the telltale command: dist/services/cli/bin/telltale.js imports the compiled CLI directly,
//   - dist/node_modules/@telltale/* pointing at the compiled packages, so `node dist/services/cli/bin/telltale.js`
//     also runs inside the checkout (third-party packages resolve from the checkout's node_modules).
// The Dockerfile runs this in its build stage.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});

/** Workspace package folders, from the root package.json's workspaces globs (`services/*`, `services/core/*`). */
function packages() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces.flatMap((glob) => {
    const base = glob.replace(/\/\*$/, '');
    return readdirSync(join(root, base))
      .map((name) => join(base, name))
      .filter((dir) => existsSync(join(root, dir, 'package.json')));
  });
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'bin', 'scripts']);
/** Copies what tsc does not emit: every file that is not TypeScript source or a test. */
function copyAssets(from, to) {
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    if (statSync(source).isDirectory()) {
      if (!SKIP_DIRS.has(entry)) copyAssets(source, target);
      continue;
    }
    if (/\.test\.[cm]?[jt]s$/.test(entry) || (entry.endsWith('.ts') && !entry.endsWith('.d.ts'))) continue;
    mkdirSync(to, { recursive: true });
    copyFileSync(source, target);
  }
}

const toJs = (value) =>
  typeof value === 'string'
    ? value.replace(/\.ts$/, '.js')
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJs(v)]));

mkdirSync(join(dist, 'node_modules/@telltale'), { recursive: true });
for (const dir of packages()) {
  copyAssets(join(root, dir), join(dist, dir));
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  if (pkg.exports) pkg.exports = toJs(pkg.exports);
  writeFileSync(join(dist, dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const link = join(dist, 'node_modules', pkg.name);
  symlinkSync(relative(dirname(link), join(dist, dir)), link);
}

mkdirSync(join(dist, 'services/cli/bin'), { recursive: true });
writeFileSync(
  join(dist, 'services/cli/bin/telltale.js'),
  [
    '#!/usr/bin/env node',
    '// The telltale command, compiled (npm run build): no TypeScript loader at run time.',
    "const { main } = await import('../src/main.js');",
    'process.exitCode = await main(process.argv.slice(2));',
    '',
  ].join('\n'),
  { mode: 0o755 },
);
cpSync(join(root, 'signal-catalog'), join(dist, 'signal-catalog'), {
  recursive: true,
  filter: (source) => !source.includes('node_modules') && !source.includes(`${'generator'}`),
});
for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(root, file), join(dist, file));

// The web console is browser code (its own tsconfig, built by Vite, not tsc): its bundle goes into the image, and
// the API serves it from CONSOLE_DIR (the Dockerfile sets it), so nothing is built at run time.
execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
  cwd: join(root, 'services/console'),
  stdio: 'inherit',
});
cpSync(join(root, 'services/console/dist'), join(dist, 'services/console/dist'), { recursive: true });
console.log(`dist/ ready: node ${relative(process.cwd(), join(dist, 'services/cli/bin/telltale.js'))} --help`);
