import { isTelltaleError } from '@telltale/platform';
import { CliUsageError, type CliIo, type Command } from './command.js';
import { commands } from './commands/index.js';
import { readFileSync } from 'node:fs';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'Usage: telltale <command> [options]',
    '',
    'Telltale: raw CAN frames from T-Boxes to decoded signals, fault rules, alerts and live vehicle state.',
    '',
    'Commands:',
    ...lines,
    '',
    "Run `telltale <command> --help` for a command's options. Settings come from environment variables;",
    "each service's README lists them.",
    '',
  ].join('\n');
}

/** Longest command path that prefixes argv. */
function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  let best: Command | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (!best || command.path.length > best.path.length)) best = command;
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : undefined;
}

export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(helpText());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr.write(`telltale: unknown command "${argv.join(' ')}".\n\n${helpText()}`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    io.stdout.write(`${found.command.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(
        `telltale ${found.command.path.join(' ')}: ${error.message}\n\n${found.command.usage.trimEnd()}\n`,
      );
      return 2;
    }
    if (isTelltaleError(error)) {
      io.stderr.write(`telltale ${found.command.path.join(' ')}: [${error.code}] ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`telltale ${found.command.path.join(' ')}: unexpected error: ${message}\n`);
    return 1;
  }
}

function defaultIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
