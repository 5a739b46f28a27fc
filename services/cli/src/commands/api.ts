import { parseArgs } from 'node:util';
import { TelltaleError } from '@telltale/platform';
// @telltale/api is imported when a command runs: fastify and its plugins stay out of every other command's start-up.
import type { ApiKeyRecord, PgApiKeyStore } from '@telltale/api';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { withCliDatabase } from '../lib/database.js';
import { useFixedOpsPort } from '../lib/ops-port.js';

function withKeyStore<T>(io: CliIo, fn: (keys: PgApiKeyStore) => Promise<T>): Promise<T> {
  return withCliDatabase(io, async (pool) => {
    const { PgApiKeyStore } = await import('@telltale/api');
    return fn(new PgApiKeyStore(pool));
  });
}

const time = (date: Date | undefined): string =>
  date === undefined ? '-' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function keyTable(keys: readonly ApiKeyRecord[]): string {
  const header = ['KEY ID', 'NAME', 'ROLE', 'FLEETS', 'CREATED', 'LAST USED', 'REVOKED'];
  const rows = keys.map((k) => [
    k.keyId,
    k.name,
    k.role,
    k.fleets.join(',') || '(none)',
    time(k.createdAt),
    time(k.lastUsedAt),
    time(k.revokedAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return (
    [header, ...rows]
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/**
 * The web console is built (vite) when its bundle is missing or older than its sources, so a fresh clone serves it
 * with no manual step. A failed build does not stop the API: /console/ then answers 503 CONSOLE_NOT_BUILT.
 */
export async function buildConsole(io: Pick<CliIo, 'stderr' | 'env'>): Promise<void> {
  if (io.env.CONSOLE_DIR !== undefined) return; // a bundle built elsewhere
  try {
    const { ensureConsoleBuilt } = await import('@telltale/console/build');
    const result = await ensureConsoleBuilt();
    if (result.built) io.stderr.write(`Web console built in ${(result.ms / 1000).toFixed(1)} s.\n`);
  } catch (error) {
    io.stderr.write(`Warning: the web console could not be built (${(error as Error).message}); /console/ is off.\n`);
  }
}

const DB_ENV = 'Environment: DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres), DATABASE_SCHEMA (telltale).';

export const apiCommands: readonly Command[] = [
  {
    path: ['api'],
    summary: 'Run the HTTP API: vehicles, live signals and history, registry administration (API keys)',
    usage: `Usage: telltale api

Serves /v1 (bearer API keys with roles and fleet scopes), /healthz, /openapi.json, /docs and the web console at
/console/ on API_HOST:API_PORT (127.0.0.1:8080); the console is built first when it is missing or stale. Reads
the registry and the real-time store in PostgreSQL; signal names and units come from the catalogs in CATALOG_DIR.
Create the first key with \`telltale keys create --name ops --role admin --fleet '*'\`.
Configuration: services/api/README.md.`,
    run: async (args, io) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      await buildConsole(io);
      const { runApi } = await import('@telltale/api');
      useFixedOpsPort('api');
      await runApi();
      return new Promise<number>(() => undefined); // runs until a signal ends the process
    },
  },
  {
    path: ['keys', 'create'],
    summary: 'Create an API key (printed once) with a role and the fleets it may see',
    usage: `Usage: telltale keys create --name <name> --role viewer|engineer|admin --fleet <fleet id>... 

Prints the token (tt_<key id>_<secret>) once on stdout; only a SHA-256 of its secret is stored. Repeat --fleet for
several fleets; --fleet '*' means every fleet and is allowed for admin keys only. A key without a fleet sees no
vehicle. Send the token as \`Authorization: Bearer <token>\`.
${DB_ENV}`,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        options: { name: { type: 'string' }, role: { type: 'string' }, fleet: { type: 'string', multiple: true } },
        strict: true,
        allowPositionals: true,
      });
      if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
      const { isRole, keyFleetProblems, ROLES } = await import('@telltale/api');
      const name = values.name?.trim();
      if (!name) throw new CliUsageError('--name is required');
      if (name.length > 100) throw new CliUsageError('--name must be at most 100 characters');
      const role = values.role;
      if (role === undefined || !isRole(role)) throw new CliUsageError(`--role must be one of ${ROLES.join(', ')}`);
      const fleets = values.fleet ?? [];
      const problems = keyFleetProblems(role, fleets);
      if (problems.length > 0)
        throw new CliUsageError(
          problems.map((p) => `--fleet ${JSON.stringify(fleets[p.index])}: ${p.message}`).join('; '),
        );
      const { key, token } = await withKeyStore(io, (keys) => keys.create({ name, role, fleets, createdBy: 'cli' }));
      io.stdout.write(`${token}\n`);
      io.stderr.write(
        `Created API key ${key.keyId} (${key.name}, ${key.role}, fleets: ${key.fleets.join(', ') || 'none'}). ` +
          'Store the token now: it is not shown again.\n',
      );
      if (fleets.length === 0)
        io.stderr.write("Warning: the key has no fleet, so it sees no vehicle; add --fleet <id> or --fleet '*'.\n");
      return 0;
    },
  },
  {
    path: ['keys', 'list'],
    summary: 'List API keys (never their secrets)',
    usage: `Usage: telltale keys list [--all] [--json]

Active keys with role, fleets, creation and last use; --all includes revoked keys, --json prints JSON lines.
${DB_ENV}`,
    run: async (args, io) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        options: { all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
        strict: true,
        allowPositionals: true,
      });
      if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
      const keys = await withKeyStore(io, (store) => store.list({ includeRevoked: values.all }));
      if (values.json) for (const k of keys) io.stdout.write(`${JSON.stringify(k)}\n`);
      else if (keys.length === 0)
        io.stderr.write(values.all ? 'No API keys.\n' : 'No active API keys (--all includes revoked ones).\n');
      else io.stdout.write(keyTable(keys));
      return 0;
    },
  },
  {
    path: ['keys', 'revoke'],
    summary: 'Revoke an API key; it stops working at once',
    usage: `Usage: telltale keys revoke <key id>

The key id is the part after tt_ (also shown by \`telltale keys list\`). Revoking twice is harmless.
${DB_ENV}`,
    run: async (args, io) => {
      const keyId = args[0];
      if (keyId === undefined || args.length > 1) throw new CliUsageError('expected exactly one key id');
      if (!/^[0-9a-f]{12}$/.test(keyId))
        throw new CliUsageError(`"${keyId}" is not a key id (12 hex digits, the part after tt_)`);
      const revoked = await withKeyStore(io, (keys) => keys.revoke(keyId));
      if (!revoked) throw new TelltaleError('API_KEY_NOT_FOUND', `No API key ${keyId}.`);
      io.stdout.write(`Revoked API key ${revoked.keyId} (${revoked.name}) at ${time(revoked.revokedAt)}.\n`);
      return 0;
    },
  },
];
