/**
 * The rule screen's shadow panel: the rule's shadow version beside its active version (GET /v1/rules/{id}/shadow,
 * viewer role), and for engineers: deploy the editor's rule as shadow, stop it, promote it to active.
 */
import { useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { shadowRequest, shadowVerdict, sideBySide, type ShadowComparisonJson } from '../domain/shadow.js';
import { may } from '../session.js';
import { ErrorBox, Pending, useLoad } from '../ui.js';

const SHOWN_VEHICLES = 20;

export function ShadowPanel({
  session,
  ruleId,
  text,
  saved,
  onPromoted,
}: {
  session: Session;
  ruleId: string;
  text: string | null;
  saved: { version: number; text: string } | null;
  onPromoted: () => void;
}) {
  const { api, me } = session;
  const canWrite = may(me, 'engineer');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const path = `/rules/${encodeURIComponent(ruleId)}`;
  const compared = useLoad((signal) => api.get<ShadowComparisonJson>(`${path}/shadow`, signal), [ruleId], 10_000);

  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await work();
      setActionError(undefined);
      compared.reload();
    } catch (e) {
      setActionError(e instanceof SyntaxError ? new Error(`The rule is not valid JSON: ${e.message}`) : e);
    } finally {
      setBusy(false);
    }
  };
  const c = compared.data;
  const deployed = c?.shadowDeployed === true;
  return (
    <section class="panel" aria-labelledby="shadow-title" data-testid="shadow-panel">
      <h2 id="shadow-title">Shadow</h2>
      <p class="muted">
        A shadow version runs live beside the active one on the same data and notifies no one; compare, then promote.
      </p>
      {canWrite && (
        <div class="actions">
          <button
            type="button"
            disabled={busy || text === null}
            onClick={() => void act(() => api.post(`${path}/shadow`, shadowRequest(text!, saved)))}
          >
            Deploy editor as shadow
          </button>
          {deployed && (
            <>
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  void act(async () => {
                    await api.post(`${path}/promote`, { shadowVersion: c.shadowVersion });
                    onPromoted();
                  })
                }
              >
                Promote v{c.shadowVersion} to active
              </button>
              <button
                type="button"
                disabled={busy}
                onClick={() => void act(() => api.request(`${path}/shadow`, { method: 'DELETE' }))}
              >
                Stop shadow
              </button>
            </>
          )}
        </div>
      )}
      <ErrorBox error={actionError} what="Shadow" />
      <ErrorBox error={compared.error} what="Comparison" />
      {c === undefined ? (
        <Pending loading={compared.loading} />
      ) : (
        <div data-testid="shadow-comparison">
          <p aria-live="polite">
            {deployed ? `Shadow v${c.shadowVersion} since ${new Date(c.shadowSince!).toLocaleString()}. ` : ''}
            {shadowVerdict(c)}
          </p>
          <table>
            <thead>
              <tr>
                <th>{`${new Date(c.from).toLocaleString()} → ${new Date(c.to).toLocaleString()}`}</th>
                <th>active</th>
                <th>shadow</th>
              </tr>
            </thead>
            <tbody>
              {sideBySide(c).map((r) => (
                <tr>
                  <th scope="row">{r.label}</th>
                  <td>{r.active}</td>
                  <td>{r.shadow}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {c.vehicles.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>vehicle (most different first)</th>
                  <th>active raised</th>
                  <th>shadow raised</th>
                </tr>
              </thead>
              <tbody>
                {c.vehicles.slice(0, SHOWN_VEHICLES).map((v) => (
                  <tr>
                    <td>{v.vin}</td>
                    <td>{v.active.raised}</td>
                    <td>{v.shadow.raised}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
