/**
 * The rule editor's backtest panel (engineer role and up, as the API requires): the editor's rule — or the saved
 * version while the editor still holds it — replayed over the archive for a range and vehicles (every vehicle of
 * the key, a fleet, or VINs). Start, progress every second, cancel; then per-vehicle counts, the diff against what
 * live diagnostics recorded, the transitions, and a vehicle's transitions marked on its signal's chart.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { Chart, type Series } from '../chart.js';
import {
  backtestRequest,
  chartSignal,
  diffLine,
  progressLine,
  transitionMarkers,
  type BacktestJobJson,
  type DiffEntry,
} from '../domain/backtest.js';
import { pointsForWidth } from '../domain/history.js';
import { bucketedHistory } from '../history.js';
import { href } from '../router.js';
import type { Fleet } from '../types.js';
import { Empty, ErrorBox, Pending, Severity, useLoad } from '../ui.js';

const POLL_MS = 1000;
const SHOWN_TRANSITIONS = 200;

/** A datetime-local input's value for a time (local time, minutes). */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

const when = (ms: number): string => new Date(ms).toLocaleString();

const inputMs = (value: string): number => (value === '' ? Number.NaN : new Date(value).getTime());

export function BacktestPanel({
  session,
  text,
  saved,
}: {
  session: Session;
  text: string;
  saved: { ruleId: string; version: number; text: string } | null;
}) {
  const { api } = session;
  const [from, setFrom] = useState(() => localInput(Date.now() - 24 * 3_600_000));
  const [to, setTo] = useState(''); // empty: now, when the server takes the job
  const [scope, setScope] = useState<'all' | 'fleet' | 'vins'>('all');
  const [fleet, setFleet] = useState('');
  const [vins, setVins] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [job, setJob] = useState<BacktestJobJson | null>(null);
  const [busy, setBusy] = useState(false);
  const [vin, setVin] = useState<string | null>(null);
  const fleets = useLoad((signal) => api.get<{ fleets: Fleet[] }>('/fleets', signal), []);

  // Poll a running job every second; a newer job or leaving the page stops it.
  const jobId = job?.id;
  const running = job?.state === 'running';
  useEffect(() => {
    if (!jobId || !running) return;
    const c = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api.get<BacktestJobJson>(`/rules/backtest/${jobId}`, c.signal);
        setJob(next);
        setError(undefined);
        if (next.state !== 'running') return;
      } catch (e) {
        if (c.signal.aborted) return;
        setError(e);
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    timer = setTimeout(() => void poll(), POLL_MS);
    return () => {
      c.abort();
      clearTimeout(timer);
    };
  }, [jobId, running]);

  const start = async () => {
    const built = backtestRequest({ text, saved, fromMs: inputMs(from), toMs: inputMs(to), scope, fleet, vins });
    if ('problem' in built) {
      setProblem(built.problem);
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      setJob(await api.post<BacktestJobJson>('/rules/backtest', built.body));
      setVin(null);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    if (!job) return;
    setBusy(true);
    try {
      setJob((await api.request<BacktestJobJson>(`/rules/backtest/${job.id}`, { method: 'DELETE' })).body);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const result = job?.result ?? null;
  const shown = useMemo(
    () => (result ? result.transitions.filter((t) => vin === null || t.vin === vin).slice(0, SHOWN_TRANSITIONS) : []),
    [result, vin],
  );
  return (
    <div class="backtest" data-testid="backtest">
      <h2>Backtest</h2>
      <p class="muted">
        Replays {saved && text.trim() === saved.text.trim() ? `v${saved.version}` : 'the editor’s rule (a draft)'} over
        the archived history through the same engine live diagnostics runs.
      </p>
      <form
        class="backtest-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label>
          From{' '}
          <input type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          To{' '}
          <input
            type="datetime-local"
            value={to}
            title="Empty: now"
            onInput={(e) => setTo((e.target as HTMLInputElement).value)}
          />
          <span class="muted"> (empty: now)</span>
        </label>
        <label>
          Vehicles{' '}
          <select
            value={scope}
            onChange={(e) => setScope((e.target as HTMLSelectElement).value as 'all' | 'fleet' | 'vins')}
          >
            <option value="all">all of my fleets</option>
            <option value="fleet">a fleet</option>
            <option value="vins">these VINs</option>
          </select>
        </label>
        {scope === 'fleet' && (
          <label>
            Fleet{' '}
            <select value={fleet} onChange={(e) => setFleet((e.target as HTMLSelectElement).value)}>
              <option value="">pick one</option>
              {fleets.data?.fleets.map((f) => (
                <option value={f.fleetId}>{f.name === f.fleetId ? f.fleetId : `${f.name} (${f.fleetId})`}</option>
              ))}
            </select>
          </label>
        )}
        {scope === 'vins' && (
          <textarea
            aria-label="VINs"
            placeholder="VINs, separated by spaces, commas or lines (at most 500)"
            rows={2}
            value={vins}
            onInput={(e) => setVins((e.target as HTMLTextAreaElement).value)}
          />
        )}
        <button type="submit" disabled={busy || running}>
          Run backtest
        </button>
        {running && (
          <button type="button" disabled={busy} onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </form>
      {problem && (
        <div class="error" role="alert">
          {problem}
        </div>
      )}
      <ErrorBox error={fleets.error} what="Fleets" />
      <ErrorBox error={error} what="Backtest" />
      {job && (
        <div aria-live="polite" data-testid="backtest-progress">
          {running && <progress max={1} value={job.progress?.fraction ?? 0} />} {progressLine(job)}
        </div>
      )}
      {result && (
        <>
          <p data-testid="backtest-diff">{diffLine(result.summary.diff)}</p>
          {result.summary.diff && <DiffLists diff={result.summary.diff} />}
          <p class="muted">
            raised {result.summary.byState.raised} · escalated {result.summary.byState.escalated} · deescalated{' '}
            {result.summary.byState.deescalated} · cleared {result.summary.byState.cleared} · flaps (within{' '}
            {Math.round(result.summary.flapping.windowMs / 60_000)} min) {result.summary.flapping.count}
          </p>
          {result.summary.vehicles.length === 0 ? (
            <Empty>No vehicle had archived samples for this rule in the range.</Empty>
          ) : (
            <table class="grid compact" data-testid="backtest-vehicles">
              <thead>
                <tr>
                  <th scope="col">Vehicle</th>
                  <th scope="col">Samples</th>
                  <th scope="col">Transitions</th>
                  <th scope="col">Raised</th>
                  <th scope="col">Flaps</th>
                  <th scope="col">First alert after</th>
                </tr>
              </thead>
              <tbody>
                {result.summary.vehicles.map((v) => (
                  <tr key={v.vin} class={vin === v.vin ? 'selected' : undefined}>
                    <td>
                      <button
                        type="button"
                        class="link"
                        aria-pressed={vin === v.vin}
                        onClick={() => setVin(vin === v.vin ? null : v.vin)}
                      >
                        {v.vin}
                      </button>
                    </td>
                    <td class="num">{v.samples.toLocaleString('en')}</td>
                    <td class="num">{v.transitions}</td>
                    <td class="num">{v.raised}</td>
                    <td class="num">{v.flaps}</td>
                    <td class="num">
                      {v.timeToFirstAlertMs === null ? '–' : `${Math.round(v.timeToFirstAlertMs / 1000)} s`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {vin && job && <VehicleChart session={session} job={job} vin={vin} />}
          <h3>
            Transitions{vin ? ` of ${vin}` : ''}{' '}
            <span class="muted">
              ({shown.length} shown of{' '}
              {vin ? result.transitions.filter((t) => t.vin === vin).length : result.transitionsTotal}
              {result.truncated ? '; the result kept only the first ones' : ''})
            </span>
          </h3>
          {shown.length === 0 && <Empty>The rule made no transition in this range.</Empty>}
          <ol class="transitions" data-testid="backtest-transitions">
            {shown.map((t) => (
              <li key={`${t.alertId}/${t.transitionSeq}`}>
                <span class="muted">{when(t.eventTimeMs)}</span> <Severity level={t.severity} /> {t.state}{' '}
                <a href={href('vehicles', t.vin)}>{t.vin}</a>
                {t.timer ? <span class="muted"> (timer)</span> : null} — {t.message}
                {t.evidence.length > 0 && (
                  <span class="muted">
                    {' '}
                    [
                    {t.evidence
                      .map((e) => `${e.signal} = ${e.value === null ? '–' : e.value}${e.unit ? ` ${e.unit}` : ''}`)
                      .join(', ')}
                    ]
                  </span>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

function DiffLists({ diff }: { diff: NonNullable<NonNullable<BacktestJobJson['result']>['summary']['diff']> }) {
  const entry = (e: DiffEntry) =>
    `${new Date(e.eventTimeMs).toLocaleString()} ${e.vin} ${e.state} (${e.severity}) #${e.transitionSeq}`;
  const lists: [string, string[], number][] = [
    ['Only in the backtest', diff.onlyBacktest.items.map(entry), diff.onlyBacktest.count],
    ['Only live', diff.onlyLive.items.map(entry), diff.onlyLive.count],
    [
      'Changed (backtest → live)',
      diff.changed.items.map((c) => `${entry(c.backtest)} → ${c.live.state} (${c.live.severity})`),
      diff.changed.count,
    ],
  ];
  return (
    <>
      {lists
        .filter(([, , count]) => count > 0)
        .map(([title, items, count]) => (
          <details key={title}>
            <summary>
              {title}: {count}
              {items.length < count ? ` (first ${items.length})` : ''}
            </summary>
            <ul>
              {items.map((i) => (
                <li>{i}</li>
              ))}
            </ul>
          </details>
        ))}
    </>
  );
}

/** The signal the vehicle's evidence names most, over the backtest's range (downsampled), transitions marked. */
function VehicleChart({ session, job, vin }: { session: Session; job: BacktestJobJson; vin: string }) {
  const box = useRef<HTMLDivElement>(null);
  const transitions = job.result?.transitions ?? [];
  const name = chartSignal(transitions, vin);
  const markers = useMemo(() => transitionMarkers(transitions, vin), [transitions, vin]);
  const history = useLoad(
    async (signal): Promise<Series[] | null> => {
      if (name === null) return null;
      const points = pointsForWidth(box.current?.clientWidth ?? 0);
      const range = { fromMs: Date.parse(job.from), toMs: Date.parse(job.to) };
      return [await bucketedHistory(session.api, { vin, name, ...range, points }, signal)];
    },
    [job.id, vin, name],
  );
  return (
    <div ref={box} data-testid="backtest-chart">
      {name === null ? (
        <Empty>The transitions of {vin} carry no signal evidence to plot.</Empty>
      ) : (
        <>
          <Pending loading={history.loading} />
          <ErrorBox error={history.error} what="History" />
          {history.data && <Chart series={history.data} markers={markers} height={200} />}
        </>
      )}
    </div>
  );
}
