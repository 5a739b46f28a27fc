/**
 * The console's only way to the server: same-origin requests to /v1 with the session's API key. Every failure
 * becomes an ApiFailure carrying the API's own error (code, message, request id), so screens show what the server
 * said. Requests time out (nothing waits forever on a slow server) and can be aborted when a screen moves on.
 */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly retryable: boolean;
    readonly requestId: string;
    readonly details?: unknown;
  };
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details: unknown = undefined,
  ) {
    super(message);
  }
}

const isErrorBody = (body: unknown): body is ApiErrorBody =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as ApiErrorBody).error === 'object' &&
  typeof (body as ApiErrorBody).error.message === 'string';

/** The ApiFailure for a response that is not ok (its body already read as JSON, or undefined). */
export function failureOf(status: number, body: unknown): ApiFailure {
  if (isErrorBody(body))
    return new ApiFailure(status, body.error.code, body.error.message, body.error.requestId, body.error.details);
  return new ApiFailure(status, `HTTP_${status}`, `The server answered ${status} without an error body.`, null);
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export class Api {
  constructor(
    readonly token: string,
    private readonly base = '/v1',
  ) {}

  async request<T>(path: string, options: RequestOptions = {}): Promise<{ body: T; headers: Headers }> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method: options.method ?? 'GET',
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
    } catch (error) {
      if (timeout.aborted) throw new ApiFailure(0, 'TIMEOUT', 'The server did not answer in time; try again.', null);
      if (options.signal?.aborted) throw error;
      throw new ApiFailure(0, 'NETWORK', `The server cannot be reached (${(error as Error).message}).`, null);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) throw failureOf(response.status, body);
    return { body: body as T, headers: response.headers };
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await this.request<T>(path, { signal })).body;
  }

  async post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return (await this.request<T>(path, { method: 'POST', body: body ?? {}, headers })).body;
  }

  /** URL of the live alert stream (EventSource cannot send headers, so the key goes in the query). */
  streamUrl(query: string): string {
    const q = new URLSearchParams(query);
    q.set('token', this.token);
    return `${this.base}/alerts/stream?${q.toString()}`;
  }
}

export const isAbort = (error: unknown): boolean => error instanceof DOMException && error.name === 'AbortError';
