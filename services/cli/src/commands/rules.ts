import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, isTelltaleError } from '@telltale/platform';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { compileRules, formatRuleProblem, type JsonObject } from '@telltale/rules';
import { PgRuleStore } from '@telltale/rules/pg';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { withCliDatabase } from '../lib/database.js';
import { readInputFile } from '../lib/files.js';

/** Rule files named on the command line; a directory stands for its *.json files. */
function ruleFiles(io: CliIo, paths: readonly string[]): string[] {
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

/** JSON with object keys sorted (PostgreSQL's jsonb does not keep key order). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Same rule, ignoring the version the store assigns. */
function sameDefinition(a: JsonObject, b: JsonObject): boolean {
  const { version: _a, ...restA } = a;
  const { version: _b, ...restB } = b;
  return canonical(restA) === canonical(restB);
}

const usage = `Usage: telltale rules apply <file.json|dir>... [--actor NAME] [--dry-run]

Checks fault rules (JSON, one rule per file; a directory means its *.json files) against the newest catalog of
every vehicle model (CATALOG_DIR), then saves them to the rule store in DATABASE_SCHEMA: a new id is created, a
changed rule gets a new version, an unchanged one is left alone. Running diagnostics instances pick the change up
within a second. Any rule with an error saves nothing (exit code 1); warnings are printed.

  --actor NAME   who the audit trail names (default: cli:$USER)
  --dry-run      check only

Example: telltale rules apply services/diagnostics/rules/examples`;

/** A pool on DATABASE_URL / DATABASE_SCHEMA (migrated), closed after `work`. */
function withRuleStore<T>(io: CliIo, work: (store: PgRuleStore) => Promise<T>): Promise<T> {
  return withCliDatabase(io, (pool) => work(new PgRuleStore(pool)));
}

const shadowUsage = `Usage: telltale rules shadow <rule id> [--version N | --file rule.json] [--actor NAME]
                                       [--comment TEXT]
       telltale rules shadow <rule id> --stop [--actor NAME]

Deploys a version of a rule as its shadow: running diagnostics instances evaluate it live beside the active version,
with its own state, and record its transitions in shadow_transitions only — no alert, webhook or stream sees them.
A rule has at most one shadow; deploying another replaces it. --version N deploys a saved version; --file saves the
rule in the file (checked against every model's catalog, CATALOG_DIR) as the next version without making it current.
Without either, the newest saved version is deployed. --stop stops the shadow. Compare with
GET /v1/rules/{id}/shadow (or the console); promote with \`telltale rules promote\`.`;

const promoteUsage = `Usage: telltale rules promote <rule id> [--expected-version N] [--actor NAME]

Makes the rule's shadow version its active version (the shadow stops; every version and the audit trail stay).
--expected-version refuses (exit code 1) when the active version is no longer N.`;

const actorOf = (io: CliIo, actor: string | undefined): string => actor ?? `cli:${io.env.USER ?? 'unknown'}`;

const positiveInt = (text: string | undefined, option: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`${option} must be a whole number ≥ 1`);
  return n;
};

export const rulesCommands: readonly Command[] = [
  {
    path: ['rules', 'apply'],
    summary: 'Check fault rules from JSON files against the catalogs and save them to the rule store',
    usage,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: { actor: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
      });
      if (positionals.length === 0) throw new CliUsageError('name at least one rule file or directory');
      const files = ruleFiles(io, positionals);
      const definitions = files.map((file) => {
        try {
          return JSON.parse(readInputFile(io, file).toString('utf8')) as unknown;
        } catch (error) {
          throw new CliUsageError(`${file}: not JSON (${(error as Error).message})`);
        }
      });
      const log = createLogger({ service: 'telltale-cli', level: 'warn', destination: 2 });
      const library = new CatalogLibrary(io.env.CATALOG_DIR ?? BUNDLED_CATALOG_DIR, log);
      const catalogs = (await library.latestPerModel()).map((c) => c.catalog);
      const { problems } = compileRules(
        definitions.map((d) => (typeof d === 'object' && d !== null ? { version: 1, ...d } : d)),
        catalogs,
      );
      for (const problem of problems) io.stderr.write(`${formatRuleProblem(problem)}\n`);
      if (problems.some((p) => p.severity === 'error')) {
        io.stderr.write('Nothing saved: fix the errors above.\n');
        return 1;
      }
      if (values['dry-run']) {
        io.stdout.write(`${definitions.length} rules checked against ${catalogs.length} models: OK.\n`);
        return 0;
      }
      return withRuleStore(io, async (store) => {
        const actor = actorOf(io, values.actor);
        for (const definition of definitions as JsonObject[]) {
          const id = definition.id as string; // compileRules checked it
          const current = await store.get(id).catch((error: unknown) => {
            if (isTelltaleError(error) && error.code === 'RULE_NOT_FOUND') return undefined;
            throw error;
          });
          if (current === undefined) {
            const saved = await store.create(definition, actor, 'telltale rules apply');
            io.stdout.write(`created   ${id} v${saved.version}\n`);
          } else if (sameDefinition(current.definition, definition)) {
            io.stdout.write(`unchanged ${id} v${current.version}\n`);
          } else {
            const saved = await store.update(id, definition, actor, 'telltale rules apply');
            io.stdout.write(`updated   ${id} v${saved.version}\n`);
          }
        }
        return 0;
      });
    },
  },
  {
    path: ['rules', 'shadow'],
    summary: 'Deploy a rule version as shadow (evaluated live, notifying no one), or stop the shadow',
    usage: shadowUsage,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: {
          version: { type: 'string' },
          file: { type: 'string' },
          stop: { type: 'boolean', default: false },
          actor: { type: 'string' },
          comment: { type: 'string' },
        },
      });
      const [ruleId] = positionals;
      if (ruleId === undefined || positionals.length > 1) throw new CliUsageError('name one rule id');
      const version = positiveInt(values.version, '--version');
      if ([version !== undefined, values.file !== undefined, values.stop].filter(Boolean).length > 1)
        throw new CliUsageError('give one of --version, --file, --stop');
      let definition: JsonObject | undefined;
      if (values.file !== undefined) {
        const [file] = ruleFiles(io, [values.file]);
        try {
          definition = JSON.parse(readInputFile(io, file!).toString('utf8')) as JsonObject;
        } catch (error) {
          throw new CliUsageError(`${values.file}: not JSON (${(error as Error).message})`);
        }
        const log = createLogger({ service: 'telltale-cli', level: 'warn', destination: 2 });
        const library = new CatalogLibrary(io.env.CATALOG_DIR ?? BUNDLED_CATALOG_DIR, log);
        const catalogs = (await library.latestPerModel()).map((c) => c.catalog);
        const { problems } = compileRules([{ version: 1, ...definition, id: definition.id ?? ruleId }], catalogs);
        for (const problem of problems) io.stderr.write(`${formatRuleProblem(problem)}\n`);
        if (problems.some((p) => p.severity === 'error')) {
          io.stderr.write('Nothing deployed: fix the errors above.\n');
          return 1;
        }
      }
      const actor = actorOf(io, values.actor);
      return withRuleStore(io, async (store) => {
        if (values.stop) {
          const state = await store.stopShadow(ruleId, actor);
          io.stdout.write(`${ruleId}: no shadow; active v${state.currentVersion}\n`);
          return 0;
        }
        let deployment: { version: number } | { definition: unknown };
        if (definition !== undefined) deployment = { definition: { ...definition, id: definition.id ?? ruleId } };
        else if (version !== undefined) deployment = { version };
        else {
          const versions = (await store.history(ruleId)).versions;
          deployment = { version: versions[versions.length - 1]!.version };
        }
        const state = await store.deployShadow(ruleId, deployment, actor, values.comment);
        io.stdout.write(`${ruleId}: shadow v${state.shadowVersion} beside active v${state.currentVersion}\n`);
        return 0;
      });
    },
  },
  {
    path: ['rules', 'promote'],
    summary: "Make a rule's shadow version its active version",
    usage: promoteUsage,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: { 'expected-version': { type: 'string' }, actor: { type: 'string' } },
      });
      const [ruleId] = positionals;
      if (ruleId === undefined || positionals.length > 1) throw new CliUsageError('name one rule id');
      const expectedVersion = positiveInt(values['expected-version'], '--expected-version');
      return withRuleStore(io, async (store) => {
        try {
          const state = await store.promoteShadow(
            ruleId,
            actorOf(io, values.actor),
            expectedVersion === undefined ? {} : { expectedVersion },
          );
          io.stdout.write(`${ruleId}: active v${state.currentVersion} (was v${state.previousVersion})\n`);
          return 0;
        } catch (error) {
          if (!isTelltaleError(error) || !['RULE_SHADOW_NOT_FOUND', 'RULE_VERSION_CONFLICT'].includes(error.code))
            throw error;
          io.stderr.write(`${error.message}\n`);
          return 1;
        }
      });
    },
  },
];
