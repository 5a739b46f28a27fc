/**
 * Vehicle: live signal values grouped by bus and message (units, value labels, staleness), searchable among
 * thousands in a virtualised list; picked signals plotted from their history (zoom asks the server for the range);
 * the vehicle's alerts. Live: the rows in view are re-read every second by name (at most 100 per request), the whole
 * set every 15 s; a request still out is never stacked behind by the next one.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { Chart } from '../chart.js';
import { ApiFailure } from '../api.js';
import { featureRows, rankedScores, type VehicleFeaturesJson } from '../domain/features.js';
import { ago } from '../domain/format.js';
import { pointsForWidth } from '../domain/history.js';
import { bucketedHistory } from '../history.js';
import { formatValue, signalRows, type SignalRow, type SignalValue } from '../domain/signal-rows.js';
import { href } from '../router.js';
import type { AlertJson, SignalValueJson } from '../types.js';
import { Empty, ErrorBox, Pending, Severity, useLoad } from '../ui.js';
import { VirtualList } from '../virtual-list.js';

interface VehicleJson {
  vin: string;
  fleetId: string;
  modelId: string;
  catalogVersion: string;
  deviceId: string | null;
  catalog: { available: boolean; displayName: string | null; signalCount: number | null };
  lastSeen: { eventTimeMs: number } | null;
}

interface LatestJson {
  nowMs: number;
  signals: SignalValueJson[];
}

const ROW = 28;
const LIVE_MS = 1000;
const FULL_MS = 15_000;

/**
 * The picked signals' history over the live window or the zoomed range, always downsampled on the server to about
 * one min/max/avg bucket per pixel of the chart (`?points=`), so a long range never ships raw samples.
 */
function usePlot(session: Session, vin: string, picked: readonly string[], widthPx: () => number) {
  const [range, setRange] = useState<{ fromMs: number; toMs: number } | null>(null);
  const history = useLoad(
    async (signal) => {
      const toMs = range?.toMs ?? Date.now();
      const fromMs = range?.fromMs ?? toMs - 10 * 60_000;
      const points = pointsForWidth(widthPx());
      return Promise.all(
        picked.map((name) => bucketedHistory(session.api, { vin, name, fromMs, toMs, points }, signal)),
      );
    },
    [vin, picked.join(','), range?.fromMs, range?.toMs],
    range === null ? 5000 : undefined,
  );
  return { history, range, setRange };
}

/** The latest feature vector and fault probability; 404 FEATURES_NOT_FOUND is the empty state, not an error. */
function FeaturesPanel({ session, vin, nowMs }: { session: Session; vin: string; nowMs: number }) {
  const [query, setQuery] = useState('');
  const features = useLoad(
    async (signal) => {
      try {
        return await session.api.get<VehicleFeaturesJson>(`/vehicles/${vin}/features`, signal);
      } catch (e) {
        if (e instanceof ApiFailure && e.code === 'FEATURES_NOT_FOUND') return null;
        throw e;
      }
    },
    [vin],
    30_000,
  );
  const f = features.data;
  const rows = useMemo(() => (f ? featureRows(f.features, query) : []), [f, query]);
  return (
    <div class="features" data-testid="features">
      <h2>Features</h2>
      <ErrorBox error={features.error} what="Features" />
      {f === undefined && !features.error && <Pending loading />}
      {f === null && <Empty>No feature window of this vehicle has closed yet.</Empty>}
      {f && (
        <>
          <p class="muted">
            {f.featureSetId} v{f.featureSetVersion} · window {new Date(f.windowStartMs).toLocaleTimeString()} –{' '}
            {new Date(f.windowEndMs).toLocaleTimeString()} ({ago(f.windowEndMs, nowMs)}) ·{' '}
            {f.sampleCount.toLocaleString('en')} samples
          </p>
          {f.scores.length === 0 ? (
            <Empty>No active fault model scored this window.</Empty>
          ) : (
            <ul class="scores" data-testid="fault-scores">
              {rankedScores(f.scores).map((s) => (
                <li key={`${s.modelId}/${s.fault}`} class={`risk risk-${s.level}`}>
                  <strong>{s.fault}</strong> <span data-testid="fault-probability">{s.percent}</span>{' '}
                  <span class="muted">
                    ({s.level}; {s.modelId} v{s.modelVersion})
                  </span>
                  <meter min={0} max={1} low={0.3} high={0.7} optimum={0} value={s.probability} />
                </li>
              ))}
            </ul>
          )}
          <input
            type="search"
            aria-label="Search features"
            placeholder="Filter features"
            value={query}
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
          />
          <table class="grid compact">
            <tbody>
              {rows.map((r) => (
                <tr key={r.name} class={r.missing ? 'muted' : undefined}>
                  <th scope="row">{r.name}</th>
                  <td class="num">{r.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <Empty>No feature matches.</Empty>}
        </>
      )}
    </div>
  );
}

export function VehicleScreen({ session, vin }: { session: Session; vin: string }) {
  const { api } = session;
  const [values, setValues] = useState<Map<string, SignalValue>>(new Map());
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const [liveError, setLiveError] = useState<unknown>(undefined);
  const [loaded, setLoaded] = useState(false);
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [nowMs, setNowMs] = useState(Date.now());
  const visible = useRef<string[]>([]);
  const vehicle = useLoad((signal) => api.get<VehicleJson>(`/vehicles/${vin}`, signal), [vin], 10_000);
  const alerts = useLoad(
    (signal) => api.get<{ alerts: AlertJson[] }>(`/vehicles/${vin}/alerts?limit=20`, signal),
    [vin],
    5000,
  );

  const merge = (signals: readonly SignalValueJson[], serverNowMs: number) => {
    setNowMs(serverNowMs);
    setValues((old) => {
      const next = new Map(old);
      for (const s of signals) next.set(s.qualifiedName, s);
      return next;
    });
  };

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let liveTimer: ReturnType<typeof setTimeout> | undefined;
    let fullTimer: ReturnType<typeof setTimeout> | undefined;
    setValues(new Map());
    setLoaded(false);
    const full = async () => {
      try {
        const latest = await api.get<LatestJson>(`/vehicles/${vin}/signals`, signal);
        merge(latest.signals, latest.nowMs);
        setLoaded(true);
        setLoadError(undefined);
        performance.mark('telltale:vehicle-signals-shown');
      } catch (e) {
        if (!signal.aborted) setLoadError(e);
      } finally {
        if (!signal.aborted) fullTimer = setTimeout(() => void full(), FULL_MS);
      }
    };
    const live = async () => {
      const names = visible.current.slice(0, 100);
      try {
        if (names.length > 0) {
          const latest = await api.get<LatestJson>(
            `/vehicles/${vin}/signals?names=${names.map(encodeURIComponent).join(',')}`,
            signal,
          );
          merge(latest.signals, latest.nowMs);
          setLiveError(undefined);
        }
      } catch (e) {
        if (!signal.aborted) setLiveError(e);
      } finally {
        if (!signal.aborted) liveTimer = setTimeout(() => void live(), LIVE_MS);
      }
    };
    void full();
    liveTimer = setTimeout(() => void live(), LIVE_MS);
    return () => {
      controller.abort();
      clearTimeout(liveTimer);
      clearTimeout(fullTimer);
    };
  }, [vin, api]);

  const rows = useMemo(() => signalRows(values.values(), query), [values, query]);
  const signalCount = rows.filter((r) => r.kind === 'signal').length;
  const toggle = (name: string) =>
    setPicked((p) => (p.includes(name) ? p.filter((n) => n !== name) : [...p, name].slice(-6)));
  const chartBox = useRef<HTMLDivElement>(null);
  const { history, range, setRange } = usePlot(session, vin, picked, () => chartBox.current?.clientWidth ?? 0);
  const v = vehicle.data;

  return (
    <section aria-labelledby="vehicle-title" class="vehicle">
      <div class="title-row">
        <h1 id="vehicle-title">{vin}</h1>
        {v && (
          <span class="muted">
            {v.catalog.displayName ?? v.modelId} · {v.catalogVersion} · fleet {v.fleetId} · device{' '}
            {v.deviceId ?? 'none'} · last seen {v.lastSeen ? ago(v.lastSeen.eventTimeMs, nowMs) : 'never'}
          </span>
        )}
      </div>
      <ErrorBox error={vehicle.error} what="Vehicle" />
      <div class="columns">
        <div class="signals">
          <div class="title-row">
            <h2>Signals</h2>
            <input
              type="search"
              aria-label="Search signals"
              placeholder="Search by bus, message, signal, label, unit; 'stale'"
              value={query}
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            />
            <span class="muted" aria-live="polite" data-testid="signal-count">
              {signalCount.toLocaleString('en')} of {values.size.toLocaleString('en')}
            </span>
          </div>
          <ErrorBox error={loadError} what="Signals" />
          <ErrorBox error={liveError} what="Live update" />
          {!loaded && !loadError && <Pending loading />}
          {loaded && values.size === 0 && <Empty>No signal values stored for this vehicle yet.</Empty>}
          {values.size > 0 && (
            <VirtualList<SignalRow>
              rows={rows}
              rowHeight={ROW}
              height={560}
              label="Signals: Enter plots the active one"
              keyOf={(r) => r.key}
              onVisible={(shown) => {
                visible.current = shown.flatMap((r) => (r.kind === 'signal' ? [r.signal.qualifiedName] : []));
              }}
              onActivate={(r) => r.kind === 'signal' && toggle(r.signal.qualifiedName)}
              render={(r) =>
                r.kind === 'group' ? (
                  <div class="group">
                    {r.bus} / <strong>{r.message}</strong> <span class="muted">{r.count}</span>
                  </div>
                ) : (
                  <div
                    class={r.signal.stale ? 'signal stale' : 'signal'}
                    data-signal={r.signal.qualifiedName}
                    title={r.signal.qualifiedName}
                  >
                    <span class="plot-mark">{picked.includes(r.signal.qualifiedName) ? '◉' : '○'}</span>
                    <span class="name">{r.signal.name}</span>
                    <span class="value" data-testid="value">
                      {formatValue(r.signal.value, r.signal.label)}
                    </span>
                    <span class="unit">{r.signal.unit}</span>
                    <span class="age">{r.signal.stale ? 'stale' : ago(r.signal.eventTimeMs, nowMs)}</span>
                  </div>
                )
              }
            />
          )}
        </div>
        <div class="side" ref={chartBox}>
          <h2>History</h2>
          {picked.length === 0 ? (
            <Empty>Pick signals (click, or Enter in the list) to plot their history.</Empty>
          ) : (
            <>
              <div class="title-row">
                <span class="muted">
                  {range
                    ? `${new Date(range.fromMs).toLocaleTimeString()} – ${new Date(range.toMs).toLocaleTimeString()}`
                    : 'last 10 minutes, live'}
                </span>
                {range && (
                  <button type="button" onClick={() => setRange(null)}>
                    Back to live
                  </button>
                )}
                <Pending loading={history.loading} />
              </div>
              <ErrorBox error={history.error} what="History" />
              {history.data && <Chart series={history.data} onRange={(fromMs, toMs) => setRange({ fromMs, toMs })} />}
              <p class="muted">
                Drag across the chart to zoom: the range is read from the server again, as one min/max/average bucket
                per pixel (line: average; band: min to max).
              </p>
            </>
          )}
          <FeaturesPanel session={session} vin={vin} nowMs={nowMs} />
          <h2>Alerts</h2>
          <ErrorBox error={alerts.error} what="Alerts" />
          {alerts.data?.alerts.length === 0 && <Empty>No alerts for this vehicle.</Empty>}
          <ul class="alerts-mini">
            {alerts.data?.alerts.map((a) => (
              <li key={a.alertId}>
                <Severity level={a.severity} /> <a href={href('rules', a.ruleId)}>{a.ruleId}</a>{' '}
                <span class="muted">
                  {a.state} · {ago(a.raisedMs, nowMs)}
                </span>
                <div>{a.message}</div>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}
