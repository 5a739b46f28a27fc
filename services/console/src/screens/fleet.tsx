/** Fleet: the key's vehicles with model, last seen, share of stale signals and open alerts; filters; find a VIN. */
import { useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { ago, percent, SEVERITIES } from '../domain/format.js';
import { href, navigate } from '../router.js';
import type { Fleet, OverviewVehicle } from '../types.js';
import { Empty, ErrorBox, Pending, Severity, useLoad } from '../ui.js';

interface Page {
  nowMs: number;
  vehicles: OverviewVehicle[];
  nextCursor: string | null;
}

export function FleetScreen({ session }: { session: Session }) {
  const { api } = session;
  const [fleet, setFleet] = useState('');
  const [model, setModel] = useState('');
  const [find, setFind] = useState('');
  const [cursor, setCursor] = useState<string[]>([]);
  const fleets = useLoad((signal) => api.get<{ fleets: Fleet[] }>('/fleets', signal), []);
  const models = useLoad((signal) => api.get<{ models: { modelId: string }[] }>('/models', signal), []);
  const at = cursor.at(-1);
  const page = useLoad(
    (signal) => {
      const q = new URLSearchParams({ limit: '50' });
      if (fleet) q.set('fleet', fleet);
      if (model) q.set('model', model);
      if (at) q.set('cursor', at);
      return api.get<Page>(`/vehicles/overview?${q.toString()}`, signal);
    },
    [fleet, model, at],
    5000,
  );
  const vehicles = page.data?.vehicles ?? [];
  const nowMs = page.data?.nowMs ?? Date.now();
  return (
    <section aria-labelledby="fleet-title">
      <div class="title-row">
        <h1 id="fleet-title">Fleet</h1>
        <Pending loading={page.loading} />
      </div>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (find.trim()) navigate(href('vehicles', find.trim().toUpperCase()));
        }}
      >
        <label>
          Fleet
          <select
            value={fleet}
            onChange={(e) => {
              setFleet((e.target as HTMLSelectElement).value);
              setCursor([]);
            }}
          >
            <option value="">all</option>
            {fleets.data?.fleets.map((f) => (
              <option value={f.fleetId}>
                {f.name} ({f.fleetId})
              </option>
            ))}
          </select>
        </label>
        <label>
          Model
          <select
            value={model}
            onChange={(e) => {
              setModel((e.target as HTMLSelectElement).value);
              setCursor([]);
            }}
          >
            <option value="">all</option>
            {models.data?.models.map((m) => (
              <option value={m.modelId}>{m.modelId}</option>
            ))}
          </select>
        </label>
        <label>
          Find a VIN
          <input
            value={find}
            maxLength={17}
            placeholder="17 characters"
            onInput={(e) => setFind((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Open</button>
      </form>
      <ErrorBox error={page.error} what="Vehicles" />
      <ErrorBox error={fleets.error} what="Fleets" />
      {page.data && vehicles.length === 0 && <Empty>No vehicles match (or the key sees no fleet).</Empty>}
      {vehicles.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">VIN</th>
              <th scope="col">Fleet</th>
              <th scope="col">Model</th>
              <th scope="col">Last seen</th>
              <th scope="col">Stale signals</th>
              <th scope="col">Open alerts</th>
            </tr>
          </thead>
          <tbody>
            {vehicles.map((v) => (
              <tr key={v.vin}>
                <td>
                  <a href={href('vehicles', v.vin)}>{v.vin}</a>
                </td>
                <td>{v.fleetId}</td>
                <td>
                  {v.modelId} <span class="muted">{v.catalogVersion}</span>
                </td>
                <td>{v.lastSeen ? ago(v.lastSeen.eventTimeMs, nowMs) : <span class="muted">never</span>}</td>
                <td>
                  <span class="bar" aria-hidden="true">
                    <span style={{ width: `${Math.round((v.signals.staleShare ?? 0) * 100)}%` }} />
                  </span>{' '}
                  {percent(v.signals.staleShare)} <span class="muted">of {v.signals.total.toLocaleString('en')}</span>
                </td>
                <td>
                  {SEVERITIES.filter((s) => v.openAlerts[s] > 0).map((s) => (
                    <a href={`${href('alerts')}?vin=${v.vin}&state=open&severity=${s}`} class="count">
                      <Severity level={s} /> {v.openAlerts[s]}
                    </a>
                  ))}
                  {SEVERITIES.every((s) => v.openAlerts[s] === 0) && <span class="muted">none</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button type="button" disabled={cursor.length === 0} onClick={() => setCursor(cursor.slice(0, -1))}>
          Previous
        </button>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursor([...cursor, page.data.nextCursor])}
        >
          Next
        </button>
      </div>
    </section>
  );
}
