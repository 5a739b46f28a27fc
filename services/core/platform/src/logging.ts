import type { Logger } from 'pino';
import { pino, destination as pinoDestination, stdSerializers, stdTimeFunctions, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Service or tool name, present on every line as `service`. */
  service: string;
  level?: LevelWithSilent;
  /** Defaults to stdout (fd 1); tools that print results on stdout pass fd 2. Tests pass a stream. */
  destination?: NodeJS.WritableStream | 1 | 2;
}

/** JSON lines, one object then a sentence: `log.warn({ topic }, 'Topic has fewer partitions than configured.')`. */
export function createLogger(options: LoggerOptions): Logger {
  const target = options.destination ?? 1;
  // Synchronous writes: nothing is logged per frame, and the last lines before a crash must not be lost.
  const destination = typeof target === 'number' ? pinoDestination({ dest: target, sync: true }) : target;
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: stdSerializers.errWithCause, error: stdSerializers.errWithCause },
    },
    destination,
  );
}
