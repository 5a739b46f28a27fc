/**
 * Errors with a stable code and a retry verdict. Codes are part of the public contract: they appear in logs,
 * metrics labels, dead-letter records and API responses, so they never change meaning once released.
 */
export interface TelltaleErrorOptions {
  /** Whether trying the same operation again may succeed (a broker is down: yes; a malformed DBC: no). */
  retryable?: boolean;
  cause?: unknown;
  /** Structured context for logs and dead-letter records; never secrets. */
  details?: Readonly<Record<string, unknown>>;
}

export class TelltaleError extends Error {
  override readonly name = 'TelltaleError';
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: TelltaleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...options.details });
  }

  toJSON(): { code: string; message: string; retryable: boolean; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/**
 * Whether `error` carries the error contract: a TelltaleError, or an error of a library that cannot depend on this
 * package (the DBC engine's DbcError) with the same shape: a string `code`, a boolean `retryable` and `details`.
 */
export function isTelltaleError(error: unknown, code?: string): error is TelltaleError {
  if (error instanceof TelltaleError) return code === undefined || error.code === code;
  if (!(error instanceof Error)) return false;
  const coded = error as Error & { code?: unknown; retryable?: unknown; details?: unknown };
  return (
    typeof coded.code === 'string' &&
    typeof coded.retryable === 'boolean' &&
    typeof coded.details === 'object' &&
    coded.details !== null &&
    (code === undefined || coded.code === code)
  );
}

/** Normalises anything thrown into a TelltaleError, keeping the original as the cause. */
export function toTelltaleError(error: unknown, fallbackCode = 'INTERNAL', retryable = false): TelltaleError {
  if (error instanceof TelltaleError) return error;
  if (isTelltaleError(error)) {
    return new TelltaleError(error.code, error.message, {
      retryable: error.retryable,
      cause: error,
      details: error.details,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TelltaleError(fallbackCode, message, { retryable, cause: error });
}
