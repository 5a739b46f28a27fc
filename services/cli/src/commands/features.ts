import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@telltale/platform';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { formatRuleProblem, type RuleProblem } from '@telltale/rules';
import { compileFeatureSet, parseFeatureSet, type ParsedFeatureSet } from '@telltale/feature-sets';
import { PgFeatureStore } from '@telltale/feature-sets/pg';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { withCliDatabase } from '../lib/database.js';
import { readInputFile } from '../lib/files.js';

/** Files named on the command line; a directory stands for its *.json files. */
function jsonFiles(io: CliIo, paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    const full = resolve(io.cwd, path);
    if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) {
      return readdirSync(full)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(full, f));
    }
    return [full];
  });
}

/** Parses and compiles feature set files against the newest catalog of each model; problems printed. */
export async function checkFeatureSets(
  io: CliIo,
  paths: readonly string[],
): Promise<{ sets: ParsedFeatureSet[]; problems: RuleProblem[] }> {
  const log = createLogger({ service: 'telltale-cli', level: 'warn', destination: 2 });
  const library = new CatalogLibrary(io.env.CATALOG_DIR ?? BUNDLED_CATALOG_DIR, log);
  const catalogs = new Map((await library.latestPerModel()).map((c) => [c.catalog.modelId, c.catalog]));
  const sets: ParsedFeatureSet[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of jsonFiles(io, paths)) {
    let json: unknown;
    try {
      json = JSON.parse(readInputFile(io, file).toString('utf8'));
    } catch (error) {
      throw new CliUsageError(`${file}: not JSON (${(error as Error).message})`);
    }
    const parsed = parseFeatureSet(json);
    problems.push(...parsed.problems);
    if (!parsed.ok) continue;
    const compiled = compileFeatureSet(parsed.set, (id) => catalogs.get(id));
    problems.push(...compiled.problems);
    for (const model of parsed.set.models) {
      const other = seen.get(model);
      if (other !== undefined)
        problems.push({
          severity: 'error',
          code: 'RULE_DUPLICATE_ID',
          message: `/models: vehicle model ${model} already has feature set ${other} (one per model)`,
          ruleId: parsed.set.id,
          path: '/models',
          modelId: model,
        });
      seen.set(model, parsed.set.id);
    }
    if (compiled.ok) sets.push(parsed.set);
  }
  return { sets, problems };
}

const applyUsage = `Usage: telltale features apply <file.json|dir>... [--actor NAME] [--dry-run]

Checks feature sets (JSON, one set per file; a directory means its *.json files) against the newest catalog of
each vehicle model they name (CATALOG_DIR) with the rule language's compiler, then saves them in DATABASE_SCHEMA:
a changed set gets a new version, an unchanged one is left alone. Running features instances pick the change up
within a second. Any error saves nothing (exit code 1).

  --actor NAME   who the version names (default: cli:$USER)
  --dry-run      check only

Example: telltale features apply services/features/feature-sets`;

export const featuresCommands: readonly Command[] = [
  {
    path: ['features', 'apply'],
    summary: 'Check feature sets from JSON files against the catalogs and save them (versioned, hot-reloaded)',
    usage: applyUsage,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: { actor: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
      });
      if (positionals.length === 0) throw new CliUsageError('name at least one feature set file or directory');
      const { sets, problems } = await checkFeatureSets(io, positionals);
      for (const problem of problems) io.stderr.write(`${formatRuleProblem(problem)}\n`);
      if (problems.some((p) => p.severity === 'error')) {
        io.stderr.write('Nothing saved: fix the errors above.\n');
        return 1;
      }
      if (values['dry-run']) {
        io.stdout.write(`${sets.length} feature sets checked: OK.\n`);
        return 0;
      }
      return withCliDatabase(io, async (pool) => {
        const store = new PgFeatureStore(pool);
        const actor = values.actor ?? `cli:${io.env.USER ?? 'unknown'}`;
        for (const set of sets) {
          const saved = await store.applyFeatureSet(set.definition, actor);
          io.stdout.write(`${saved.action.padEnd(9)} ${saved.setId} v${saved.version}\n`);
        }
        return 0;
      });
    },
  },
];
