/**
 * The dependency rules of docs/architecture.md, checked on every import in the tree (static `import … from`,
 * `export … from` and dynamic `import('…')`):
 * - a file imports another workspace package only through that package's entry points (its package.json
 *   `exports`), never a path inside it, and a relative import never leaves its own package;
 * - a library (services/core/*) never imports a service; the DBC engine imports nothing of the repository;
 * - a service never imports another service (the CLI, the composition root that runs them, is the exception);
 * - a package imports only workspace packages it declares in its package.json.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Workspace {
  readonly name: string;
  readonly dir: string;
  readonly kind: 'library' | 'service' | 'cli';
  readonly exports: readonly string[];
  readonly declared: ReadonlySet<string>;
}

function readWorkspaces(): Workspace[] {
  const dirs = [
    ...readdirSync(join(root, 'services')).map((d) => join('services', d)),
    ...readdirSync(join(root, 'services/core')).map((d) => join('services/core', d)),
  ].filter((d) => statSync(join(root, d)).isDirectory() && exists(join(root, d, 'package.json')));
  return dirs.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
      name: string;
      exports?: Record<string, string>;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const kind = dir.startsWith('services/core/') ? 'library' : dir === 'services/cli' ? 'cli' : 'service';
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
    return { name: pkg.name, dir, kind, exports: Object.keys(pkg.exports ?? { '.': '' }), declared };
  });
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== 'gen')
        out.push(...sourceFiles(path));
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

const workspaces = readWorkspaces();
const byName = new Map(workspaces.map((w) => [w.name, w]));
const ownerOf = (file: string): Workspace | undefined =>
  workspaces.find((w) => file === w.dir || file.startsWith(w.dir + sep));

function problemsOf(file: string): string[] {
  const owner = ownerOf(file);
  const problems: string[] = [];
  for (const specifier of importsOf(file)) {
    if (specifier.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), specifier));
      if (owner !== undefined && ownerOf(target) !== owner) {
        problems.push(`${file}: relative import ${specifier} leaves ${owner.name}`);
      } else if (owner === undefined && ownerOf(target) !== undefined) {
        problems.push(`${file}: relative import ${specifier} reaches into ${ownerOf(target)!.name}`);
      }
      continue;
    }
    const match = /^(@telltale\/[^/]+)(\/.*)?$/.exec(specifier);
    if (match === null) continue;
    const target = byName.get(match[1]!);
    if (target === undefined) {
      problems.push(`${file}: ${specifier} is not a workspace package`);
      continue;
    }
    const entry = `.${match[2] ?? ''}`;
    if (!target.exports.includes(entry)) problems.push(`${file}: ${specifier} is not an entry point of ${target.name}`);
    if (owner === undefined || owner === target) continue;
    if (!owner.declared.has(target.name)) problems.push(`${file}: ${owner.name} does not declare ${target.name}`);
    if (owner.kind === 'library' && target.kind !== 'library') {
      problems.push(`${file}: library ${owner.name} imports ${target.kind} ${target.name}`);
    }
    if (owner.name === '@telltale/dbc') problems.push(`${file}: the DBC engine imports ${target.name}`);
    if (owner.kind === 'service' && target.kind !== 'library') {
      problems.push(`${file}: service ${owner.name} imports ${target.name}`);
    }
  }
  return problems;
}

describe('package boundaries', () => {
  it('finds every workspace package', () => {
    const names = workspaces.map((w) => w.name);
    for (const library of ['platform', 'dbc', 'catalog', 'rules', 'registry']) {
      expect(names).toContain(`@telltale/${library}`);
    }
    expect(names).toContain('@telltale/gateway');
  });

  it('every import respects entry points, declared dependencies and the library/service layering', () => {
    const files = [
      ...workspaces.flatMap((w) => sourceFiles(w.dir)),
      ...['test', 'bench', 'signal-catalog'].flatMap((d) => sourceFiles(d)),
    ];
    expect(files.length).toBeGreaterThan(300);
    expect(files.flatMap(problemsOf)).toEqual([]);
  });

  it('reports a deep import, an undeclared package and a service importing a service', () => {
    // The checker itself must be able to fail: feed it imports that break each rule.
    const owner = byName.get('@telltale/store')!;
    const check = (specifier: string): boolean => {
      const match = /^(@telltale\/[^/]+)(\/.*)?$/.exec(specifier)!;
      const target = byName.get(match[1]!)!;
      return (
        !target.exports.includes(`.${match[2] ?? ''}`) ||
        !owner.declared.has(target.name) ||
        (target.kind !== 'library' && owner.kind === 'service')
      );
    };
    expect(check('@telltale/platform/src/errors.ts')).toBe(true);
    expect(check('@telltale/dbc')).toBe(true);
    expect(check('@telltale/gateway')).toBe(true);
    expect(check('@telltale/platform')).toBe(false);
  });
});
