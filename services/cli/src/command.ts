/** A `telltale` subcommand. `run` returns the process exit code; usage errors throw CliUsageError. */
export interface Command {
  /** Words that select it, e.g. ['dbc', 'decode']. */
  readonly path: readonly string[];
  /** One line for `telltale --help`. */
  readonly summary: string;
  /** Full usage text for `telltale <path> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
