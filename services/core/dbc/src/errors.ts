/**
 * The DBC engine's one error type. The engine depends on nothing else in the repository (it is packed and used on
 * its own), so it carries the platform's error contract by shape rather than by import: a stable `code`, a retry
 * verdict (never retryable: the same file fails the same way) and structured `details`.
 *
 * Codes: `DBC_INVALID` (a load error, naming file:line:column), `DBC_SIGNAL_ID_INVALID` (a signal id outside
 * 0..4294967295 or two signals with one id).
 */
export type DbcErrorCode = 'DBC_INVALID' | 'DBC_SIGNAL_ID_INVALID';

export class DbcError extends Error {
  override readonly name = 'DbcError';
  readonly code: DbcErrorCode;
  readonly retryable = false;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DbcErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): { code: string; message: string; retryable: boolean; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

export function isDbcError(error: unknown, code?: DbcErrorCode): error is DbcError {
  return error instanceof DbcError && (code === undefined || error.code === code);
}
