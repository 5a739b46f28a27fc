/**
 * Alerts: the live feed (the API's SSE stream, resumed by the browser with Last-Event-ID) over the newest page of
 * `GET /v1/alerts`, one row per alert; filters by severity, state, fleet, rule and vehicle; acknowledge (engineer);
 * each alert's transitions with their evidence; links to the vehicle and the rule.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { ApiFailure } from '../api.js';
import {
  alertMatches,
  alertQuery,
  mergeAlert,
  streamQuery,
  type AlertFilters,
  type AlertRow,
} from '../domain/alerts.js';
import { ago, SEVERITIES } from '../domain/format.js';
import { href } from '../router.js';
import { may } from '../session.js';
import type { AlertEventJson, AlertJson } from '../types.js';
import { Empty, ErrorBox, Pending, Severity } from '../ui.js';

const fromList = (a: AlertJson): AlertRow => ({
  alertId: a.alertId,
  vin: a.vin,
  fleetId: a.fleetId,
  ruleId: a.ruleId,
  ruleVersion: a.ruleVersion,
  severity: a.severity,
  state: a.state,
  message: a.message,
  raisedMs: a.raisedMs,
  updatedMs: a.updatedMs,
  acknowledged: a.acknowledgement !== null,
  seq: a.lastSeq,
});

const fromEvent = (e: AlertEventJson): AlertRow => ({
  alertId: e.alertId,
  vin: e.vin,
  fleetId: e.fleetId,
  ruleId: e.ruleId,
  ruleVersion: e.ruleVersion,
  severity: e.severity,
  state: e.state,
  message: e.message,
  raisedMs: e.eventTimeMs,
  updatedMs: e.eventTimeMs,
  acknowledged: e.state === 'acknowledged',
  seq: e.transitionSeq,
});

interface Transition {
  seq: number;
  state: string;
  severity: string;
  ruleVersion: number;
  eventTimeMs: number;
  message: string;
  timer: boolean;
  evidence: { signal: string; qualifiedName: string; value: number | null; unit: string }[];
}

function Evidence({ session, alertId }: { session: Session; alertId: string }) {
  const [data, setData] = useState<{ transitions: Transition[]; acknowledgement: AlertJson['acknowledgement'] }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const c = new AbortController();
    session.api
      .get<{ transitions: Transition[]; acknowledgement: AlertJson['acknowledgement'] }>(`/alerts/${alertId}`, c.signal)
      .then(setData, (e: unknown) => !c.signal.aborted && setError(e));
    return () => c.abort();
  }, [alertId]);
  if (error) return <ErrorBox error={error} what="Alert" />;
  if (!data) return <Pending loading />;
  return (
    <div class="evidence">
      <table class="grid compact">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">transition</th>
            <th scope="col">event time</th>
            <th scope="col">rule version</th>
            <th scope="col">evidence</th>
          </tr>
        </thead>
        <tbody>
          {data.transitions.map((t) => (
            <tr key={t.seq}>
              <td>{t.seq}</td>
              <td>
                {t.state} <Severity level={t.severity} />
                {t.timer ? ' (timer)' : ''}
              </td>
              <td>{new Date(t.eventTimeMs).toISOString()}</td>
              <td>v{t.ruleVersion}</td>
              <td>
                {t.evidence.map((e) => (
                  <div title={e.qualifiedName}>
                    {e.signal} = {e.value ?? 'unknown'} {e.unit}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.acknowledgement && (
        <p class="muted">
          Acknowledged by {data.acknowledgement.by}
          {data.acknowledgement.note ? `: ${data.acknowledgement.note}` : ''}
        </p>
      )}
    </div>
  );
}

export function filtersFrom(query: string): AlertFilters {
  const q = new URLSearchParams(query);
  return {
    severity: q.get('severity') ?? '',
    state: q.get('state') ?? '',
    fleet: q.get('fleet') ?? '',
    rule: q.get('rule') ?? '',
    vin: q.get('vin') ?? '',
  };
}

export function AlertsScreen({ session, query }: { session: Session; query: string }) {
  const { api, me } = session;
  const [filters, setFilters] = useState<AlertFilters>(() => filtersFrom(query));
  const [rows, setRows] = useState<AlertRow[]>([]);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const [liveError, setLiveError] = useState<unknown>();
  const [open, setOpen] = useState<string | null>(null);
  const [ackError, setAckError] = useState<unknown>();
  const [acking, setAcking] = useState<Set<string>>(new Set());

  useEffect(() => {
    const c = new AbortController();
    setLoading(true);
    setRows([]);
    api
      .get<{ alerts: AlertJson[] }>(`/alerts?${alertQuery(filters, { limit: '100' })}`, c.signal)
      .then(
        (r) => {
          setRows((current) => r.alerts.map(fromList).reduce((list, a) => mergeAlert(list, a), current));
          setError(undefined);
        },
        (e: unknown) => !c.signal.aborted && setError(e),
      )
      .finally(() => !c.signal.aborted && setLoading(false));

    setLive('connecting');
    const source = new EventSource(api.streamUrl(streamQuery(filters)));
    source.addEventListener('ready', () => {
      setLive('live');
      setLiveError(undefined);
    });
    source.addEventListener('alert', (event: MessageEvent<string>) => {
      const row = fromEvent(JSON.parse(event.data) as AlertEventJson);
      if (row.seq !== 0 && !alertMatches(filters, row)) {
        setRows((list) => list.filter((a) => a.alertId !== row.alertId));
        return;
      }
      setRows((list) => mergeAlert(list, row));
    });
    source.addEventListener('error', (event: Event) => {
      const data = (event as MessageEvent<string | undefined>).data;
      if (data) {
        try {
          const { code, message } = JSON.parse(data) as { code: string; message: string };
          setLiveError(new ApiFailure(0, code, message, null));
        } catch {
          // not an error event of the API: a dropped connection, which EventSource retries by itself
        }
      }
      setLive('reconnecting');
    });
    return () => {
      c.abort();
      source.close();
    };
  }, [api, filters.severity, filters.state, filters.fleet, filters.rule, filters.vin]);

  const acknowledge = async (alertId: string) => {
    setAcking((s) => new Set(s).add(alertId));
    try {
      await api.post(`/alerts/${alertId}/acknowledge`, { note: 'acknowledged in the console' });
      setRows((list) => list.map((a) => (a.alertId === alertId ? { ...a, acknowledged: true } : a)));
      setAckError(undefined);
    } catch (e) {
      setAckError(e);
    } finally {
      setAcking((s) => {
        const n = new Set(s);
        n.delete(alertId);
        return n;
      });
    }
  };

  const set = (k: keyof AlertFilters) => (e: Event) =>
    setFilters({ ...filters, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value.trim() });
  const nowMs = Date.now();
  return (
    <section aria-labelledby="alerts-title">
      <div class="title-row">
        <h1 id="alerts-title">Alerts</h1>
        <span class={`live live-${live}`} aria-live="polite" data-testid="live-state">
          {live === 'live' ? '● live' : live === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
        <Pending loading={loading} />
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Alert filters">
        <label>
          Severity at least
          <select value={filters.severity} onChange={set('severity')}>
            <option value="">any</option>
            {[...SEVERITIES].reverse().map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={filters.state} onChange={set('state')}>
            <option value="">any</option>
            <option value="open">open (not cleared)</option>
            {['raised', 'escalated', 'deescalated', 'cleared'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Fleet
          <input value={filters.fleet} onChange={set('fleet')} placeholder="fleet id" />
        </label>
        <label>
          Rule
          <input value={filters.rule} onChange={set('rule')} placeholder="rule id" />
        </label>
        <label>
          Vehicle
          <input value={filters.vin} onChange={set('vin')} placeholder="VIN" maxLength={17} />
        </label>
      </form>
      <ErrorBox error={error} what="Alerts" />
      <ErrorBox error={liveError} what="Live feed" />
      <ErrorBox error={ackError} what="Acknowledge" />
      {!loading && rows.length === 0 && <Empty>No alerts match. New ones appear here as they are raised.</Empty>}
      {rows.length > 0 && (
        <table class="grid" data-testid="alert-feed">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">State</th>
              <th scope="col">Rule</th>
              <th scope="col">Vehicle</th>
              <th scope="col">Message</th>
              <th scope="col">Raised</th>
              <th scope="col">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => [
              <tr key={a.alertId} data-alert={a.alertId} data-rule={a.ruleId}>
                <td>
                  <Severity level={a.severity} />
                </td>
                <td>{a.state}</td>
                <td>
                  <a href={href('rules', a.ruleId)}>{a.ruleId}</a> <span class="muted">v{a.ruleVersion}</span>
                </td>
                <td>
                  <a href={href('vehicles', a.vin)}>{a.vin}</a>
                </td>
                <td>
                  <button
                    type="button"
                    class="link"
                    aria-expanded={open === a.alertId}
                    onClick={() => setOpen(open === a.alertId ? null : a.alertId)}
                  >
                    {a.message}
                  </button>
                </td>
                <td>{ago(a.raisedMs, nowMs)}</td>
                <td>
                  {a.acknowledged ? (
                    <span data-testid="acknowledged">yes</span>
                  ) : may(me, 'engineer') ? (
                    <button type="button" disabled={acking.has(a.alertId)} onClick={() => void acknowledge(a.alertId)}>
                      Acknowledge
                    </button>
                  ) : (
                    <span class="muted">no</span>
                  )}
                </td>
              </tr>,
              open === a.alertId && (
                <tr key={`${a.alertId}:evidence`}>
                  <td colSpan={7}>
                    <Evidence session={session} alertId={a.alertId} />
                  </td>
                </tr>
              ),
            ])}
          </tbody>
        </table>
      )}
    </section>
  );
}
