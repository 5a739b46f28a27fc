/** Small shared pieces: the async-load hook every screen uses, error and empty states, severity badges. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, isAbort } from './api.js';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/**
 * Runs `load` when `deps` change (aborting the previous run) and every `refreshMs` if given. The last data stays
 * shown while a newer request is out, so a slow request never blanks or blocks the screen; a refresh is skipped
 * while the previous one is still running.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const running = useRef(false);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      if (running.current && tick === 0) return;
      running.current = true;
      setState((s) => ({ ...s, loading: true }));
      try {
        const data = await load(controller.signal);
        if (!controller.signal.aborted) setState({ data, error: undefined, loading: false });
      } catch (error) {
        if (!controller.signal.aborted && !isAbort(error)) setState((s) => ({ ...s, error, loading: false }));
      } finally {
        running.current = false;
        if (refreshMs !== undefined && !controller.signal.aborted) timer = setTimeout(() => void run(), refreshMs);
      }
    };
    running.current = false;
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function ErrorBox({ error, what }: { error: unknown; what?: string }) {
  if (error === undefined || error === null) return null;
  const failure = error instanceof ApiFailure ? error : undefined;
  return (
    <div class="error" role="alert">
      <strong>{what ?? 'Request failed'}:</strong> {failure?.message ?? String((error as Error).message ?? error)}
      {failure && (
        <span class="muted">
          {' '}
          ({failure.code}
          {failure.requestId ? `, request ${failure.requestId}` : ''})
        </span>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Severity({ level }: { level: string }) {
  return <span class={`sev sev-${level}`}>{level}</span>;
}

export function Pending({ loading }: { loading: boolean }) {
  return loading ? (
    <span class="pending" aria-live="polite">
      loading…
    </span>
  ) : null;
}
