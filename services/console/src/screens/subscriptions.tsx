/**
 * Subscriptions: alert subscriptions of the key's fleets; create a webhook and/or stream subscription (engineer),
 * rotate its webhook secret (shown once, here, and never again), the delivery log, ping.
 */
import { useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { ago, SEVERITIES } from '../domain/format.js';
import { may } from '../session.js';
import { Empty, ErrorBox, Pending, useLoad } from '../ui.js';

interface Subscription {
  subscriptionId: string;
  name: string;
  fleets: string[];
  rules: string[];
  minSeverity: string;
  webhook: { url: string } | null;
  stream: boolean;
  enabled: boolean;
  active: boolean;
  createdAt: string;
}

interface Delivery {
  deliveryId: string;
  kind: string;
  alertId: string | null;
  vin: string | null;
  status: string;
  attempts: number;
  createdMs: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

function Deliveries({ session, id }: { session: Session; id: string }) {
  const d = useLoad(
    (signal) => session.api.get<{ deliveries: Delivery[] }>(`/subscriptions/${id}/deliveries?limit=50`, signal),
    [id],
    3000,
  );
  return (
    <div class="deliveries">
      <ErrorBox error={d.error} what="Delivery log" />
      {d.data?.deliveries.length === 0 && <Empty>No deliveries yet.</Empty>}
      {d.data && d.data.deliveries.length > 0 && (
        <table class="grid compact">
          <thead>
            <tr>
              <th scope="col">created</th>
              <th scope="col">kind</th>
              <th scope="col">vehicle</th>
              <th scope="col">status</th>
              <th scope="col">attempts</th>
              <th scope="col">last answer</th>
            </tr>
          </thead>
          <tbody>
            {d.data.deliveries.map((x) => (
              <tr key={x.deliveryId}>
                <td>{ago(x.createdMs, Date.now())}</td>
                <td>{x.kind}</td>
                <td>{x.vin ?? '–'}</td>
                <td class={`status-${x.status}`}>{x.status}</td>
                <td>{x.attempts}</td>
                <td>{x.lastStatusCode ?? x.lastError ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function SubscriptionsScreen({ session }: { session: Session }) {
  const { api, me } = session;
  const list = useLoad((signal) => api.get<{ subscriptions: Subscription[] }>('/subscriptions', signal), [], 10_000);
  const [name, setName] = useState('');
  const [fleets, setFleets] = useState(me.fleets.join(', '));
  const [minSeverity, setMinSeverity] = useState('warning');
  const [url, setUrl] = useState('');
  const [stream, setStream] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [notice, setNotice] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const canWrite = may(me, 'engineer');

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      list.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const body = {
        name: name.trim(),
        fleets: fleets
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
        minSeverity,
        ...(url.trim() ? { webhook: { url: url.trim() } } : {}),
        stream,
      };
      const r = await api.post<{ subscription: Subscription; webhookSecret: string | null }>('/subscriptions', body);
      setSecret(r.webhookSecret ? { name: r.subscription.name, secret: r.webhookSecret } : null);
      setNotice(`Subscription ${r.subscription.name} created.`);
      setName('');
      setUrl('');
    });
  };
  const rotate = (s: Subscription) =>
    run(async () => {
      const r = await api.request<{ webhookSecret: string | null }>(`/subscriptions/${s.subscriptionId}`, {
        method: 'PATCH',
        body: { rotateSecret: true },
      });
      setSecret(r.body.webhookSecret ? { name: s.name, secret: r.body.webhookSecret } : null);
      setNotice(`Secret of ${s.name} rotated.`);
    });
  const ping = (s: Subscription) =>
    run(async () => {
      await api.post(`/subscriptions/${s.subscriptionId}/ping`);
      setNotice(`Ping queued for ${s.name}; it shows in the delivery log.`);
      setOpen(s.subscriptionId);
    });

  return (
    <section aria-labelledby="subs-title">
      <div class="title-row">
        <h1 id="subs-title">Subscriptions</h1>
        <Pending loading={list.loading} />
      </div>
      {canWrite && (
        <form class="card form" onSubmit={create} aria-label="New subscription">
          <h2>New subscription</h2>
          <label>
            Name
            <input
              required
              value={name}
              maxLength={200}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            Fleets (comma-separated)
            <input required value={fleets} onInput={(e) => setFleets((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Least severity
            <select value={minSeverity} onChange={(e) => setMinSeverity((e.target as HTMLSelectElement).value)}>
              {[...SEVERITIES].reverse().map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Webhook URL
            <input
              type="url"
              value={url}
              placeholder="https://hooks.example.com/telltale"
              onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={stream}
              onChange={(e) => setStream((e.target as HTMLInputElement).checked)}
            />
            Live stream channel
          </label>
          <button type="submit" disabled={busy}>
            Create
          </button>
        </form>
      )}
      <ErrorBox error={error} what="Subscription" />
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {secret && (
        <div class="secret" role="status" data-testid="webhook-secret">
          Webhook secret of <strong>{secret.name}</strong>, shown only now: <code>{secret.secret}</code>{' '}
          <button type="button" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}
      <ErrorBox error={list.error} what="Subscriptions" />
      {list.data?.subscriptions.length === 0 && <Empty>No subscriptions yet.</Empty>}
      {list.data && list.data.subscriptions.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Fleets</th>
              <th scope="col">Severity</th>
              <th scope="col">Channels</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.subscriptions.map((s) => [
              <tr key={s.subscriptionId} data-subscription={s.name}>
                <td>{s.name}</td>
                <td>{s.fleets.join(', ')}</td>
                <td>≥ {s.minSeverity}</td>
                <td>
                  {s.webhook ? <code>{s.webhook.url}</code> : null}
                  {s.webhook && s.stream ? ' + ' : ''}
                  {s.stream ? 'stream' : ''}
                </td>
                <td>{s.active ? 'active' : s.enabled ? 'inactive (key revoked)' : 'disabled'}</td>
                <td class="actions">
                  <button
                    type="button"
                    aria-expanded={open === s.subscriptionId}
                    onClick={() => setOpen(open === s.subscriptionId ? null : s.subscriptionId)}
                  >
                    Deliveries
                  </button>
                  {canWrite && s.webhook && (
                    <>
                      <button type="button" disabled={busy} onClick={() => void ping(s)}>
                        Ping
                      </button>
                      <button type="button" disabled={busy} onClick={() => void rotate(s)}>
                        Rotate secret
                      </button>
                    </>
                  )}
                </td>
              </tr>,
              open === s.subscriptionId && (
                <tr key={`${s.subscriptionId}:log`}>
                  <td colSpan={6}>
                    <Deliveries session={session} id={s.subscriptionId} />
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
