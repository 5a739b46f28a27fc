/**
 * Rules: the list (state, version, open alerts) and the editor: the rule as JSON in CodeMirror, checked by
 * `POST /v1/rules/validate` as you type (debounced; a newer check aborts the older), diagnostics at their
 * positions, save (with If-Match, so a concurrent edit is a conflict, not a silent overwrite), enable/disable,
 * version history with a diff; a backtest of the editor's rule (engineer role and up, screens/backtest.tsx); the
 * rule's shadow version beside the active one, deploy / stop / promote (screens/shadow.tsx).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { ApiFailure, isAbort } from '../api.js';
import { diffLines } from '../domain/diff.js';
import { placeProblems, type RuleProblem } from '../domain/rule-problems.js';
import type { RuleEditor, Vocabulary } from '../rule-editor.js';
import { href, navigate } from '../router.js';
import { may } from '../session.js';
import type { AlertJson, CatalogJson, RuleSummary } from '../types.js';
import { Empty, ErrorBox, Pending, Severity, useLoad } from '../ui.js';
import { BacktestPanel } from './backtest.js';
import { ShadowPanel } from './shadow.js';

export function RulesScreen({ session }: { session: Session }) {
  const { api, me } = session;
  const rules = useLoad((signal) => api.get<{ rules: RuleSummary[] }>('/rules', signal), [], 10_000);
  const open = useLoad(
    (signal) => api.get<{ alerts: AlertJson[]; nextCursor: string | null }>('/alerts?open=true&limit=1000', signal),
    [],
    10_000,
  );
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    for (const a of open.data?.alerts ?? []) m.set(a.ruleId, (m.get(a.ruleId) ?? 0) + 1);
    return m;
  }, [open.data]);
  return (
    <section aria-labelledby="rules-title">
      <div class="title-row">
        <h1 id="rules-title">Rules</h1>
        <Pending loading={rules.loading} />
        {may(me, 'engineer') && (
          <a class="button" href={href('rules', 'new')}>
            New rule
          </a>
        )}
      </div>
      <ErrorBox error={rules.error} what="Rules" />
      <ErrorBox error={open.error} what="Open alerts" />
      {rules.data?.rules.length === 0 && <Empty>No rules yet.</Empty>}
      {rules.data && rules.data.rules.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Name</th>
              <th scope="col">Severity</th>
              <th scope="col">State</th>
              <th scope="col">Version</th>
              <th scope="col">
                Open alerts{open.data?.nextCursor ? <span class="muted"> (of the newest 1,000)</span> : null}
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.data.rules.map((r) => (
              <tr key={r.ruleId}>
                <td>
                  <a href={href('rules', r.ruleId)}>{r.ruleId}</a>
                </td>
                <td>{r.name}</td>
                <td>{r.severity && <Severity level={r.severity} />}</td>
                <td>{r.enabled ? 'enabled' : <span class="muted">disabled</span>}</td>
                <td>v{r.currentVersion}</td>
                <td>
                  <a href={`${href('alerts')}?rule=${encodeURIComponent(r.ruleId)}&state=open`}>
                    {counts.get(r.ruleId) ?? 0}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface RuleVersion {
  ruleId: string;
  version: number;
  currentVersion: number;
  enabled: boolean;
  definition: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  comment: string | null;
}

interface RuleHistory {
  versions: {
    version: number;
    definition: Record<string, unknown>;
    createdBy: string;
    createdAt: string;
    comment: string | null;
  }[];
}

interface Validation {
  ok: boolean;
  problems: RuleProblem[];
  models: { modelId: string; verdict: string }[];
}

const TEMPLATE = {
  id: 'my.new-rule',
  name: 'A new rule',
  condition: 'vehicleSpeed > 200',
  for: '5s',
  severity: 'warning',
  message: 'Speed {{ vehicleSpeed | fixed(0) }} km/h on {{ vin }}',
};

/** The definition as edited: the server sets `version`. */
const editable = (definition: Record<string, unknown>): string => {
  const { version: _version, ...rest } = definition;
  return JSON.stringify(rest, null, 2);
};

/** Names and labels for completion, from the newest catalog of every model. */
function useVocabulary(session: Session): Vocabulary {
  const catalogs = useLoad(async (signal) => {
    const { models } = await session.api.get<{ models: { modelId: string }[] }>('/models', signal);
    return Promise.all(
      models.map((m) => session.api.get<CatalogJson>(`/models/${encodeURIComponent(m.modelId)}/catalog`, signal)),
    );
  }, []);
  return useMemo(() => {
    const names = new Set<string>();
    const choices = new Map<string, Set<string>>();
    const count = new Map<string, number>();
    for (const c of catalogs.data ?? [])
      for (const b of c.buses)
        for (const m of b.messages) for (const s of m.signals) count.set(s.name, (count.get(s.name) ?? 0) + 1);
    for (const c of catalogs.data ?? []) {
      const byQualified = new Map<string, string[]>();
      for (const b of c.buses)
        for (const m of b.messages)
          for (const s of m.signals) {
            const labels = Object.values(s.choices);
            byQualified.set(s.qualifiedName, labels);
            names.add(s.qualifiedName);
            if (count.get(s.name) === 1) names.add(s.name);
            for (const key of [s.name, s.qualifiedName])
              for (const l of labels) (choices.get(key) ?? choices.set(key, new Set()).get(key)!).add(l);
          }
      for (const [alias, qualified] of Object.entries(c.aliases)) {
        names.add(alias);
        for (const l of byQualified.get(qualified) ?? [])
          (choices.get(alias) ?? choices.set(alias, new Set()).get(alias)!).add(l);
      }
    }
    const sorted = [...names];
    return { names: sorted, labels: (signal: string) => [...(choices.get(signal) ?? [])] };
  }, [catalogs.data]);
}

export function RuleScreen({ session, ruleId }: { session: Session; ruleId: string | null }) {
  const { api, me } = session;
  const canWrite = may(me, 'engineer');
  const [text, setText] = useState<string | null>(ruleId === null ? JSON.stringify(TEMPLATE, null, 2) : null);
  const [etag, setEtag] = useState<string | null>(null);
  const [current, setCurrent] = useState<RuleVersion | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [validation, setValidation] = useState<Validation | null>(null);
  const [checkError, setCheckError] = useState<unknown>();
  const [checking, setChecking] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [diffWith, setDiffWith] = useState<number | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const editor = useRef<RuleEditor | null>(null);
  const vocabulary = useVocabulary(session);
  const vocabularyRef = useRef(vocabulary);
  vocabularyRef.current = vocabulary;
  const history = useLoad(
    (signal) =>
      ruleId === null
        ? Promise.resolve(null)
        : api.get<RuleHistory>(`/rules/${encodeURIComponent(ruleId)}/history`, signal),
    [ruleId, current?.version],
  );

  // Load the rule (its ETag is the version the save must be based on).
  useEffect(() => {
    if (ruleId === null) return;
    const c = new AbortController();
    api.request<RuleVersion>(`/rules/${encodeURIComponent(ruleId)}`, { signal: c.signal }).then(
      ({ body, headers }) => {
        setCurrent(body);
        setEtag(headers.get('etag'));
        setText(editable(body.definition));
      },
      (e: unknown) => !c.signal.aborted && setLoadError(e),
    );
    return () => c.abort();
  }, [ruleId]);

  // The editor, once there is text: CodeMirror is a chunk of its own, loaded here.
  useEffect(() => {
    if (text === null || !box.current || editor.current) return;
    let cancelled = false;
    void import('../rule-editor.js').then(({ createRuleEditor }) => {
      if (cancelled || !box.current) return;
      editor.current = createRuleEditor(box.current, {
        text,
        readOnly: !canWrite,
        onChange: setText,
        vocabulary: () => vocabularyRef.current,
      });
    });
    return () => {
      cancelled = true;
    };
  }, [text !== null]);
  useEffect(() => () => editor.current?.destroy(), []);

  // Validate as you type: 400 ms after the last keystroke; a newer check aborts the one in flight.
  useEffect(() => {
    if (text === null) return;
    const c = new AbortController();
    const timer = setTimeout(() => {
      let rule: unknown;
      try {
        rule = JSON.parse(text);
      } catch (e) {
        setValidation(null);
        setCheckError(new Error(`The rule is not valid JSON: ${(e as Error).message}`));
        editor.current?.setProblems([]);
        return;
      }
      setChecking(true);
      api
        .request<Validation>('/rules/validate', { method: 'POST', body: { rule }, signal: c.signal })
        .then(
          ({ body }) => {
            setValidation(body);
            setCheckError(undefined);
            editor.current?.setProblems(placeProblems(text, body.problems));
          },
          (e: unknown) => {
            if (isAbort(e) || c.signal.aborted) return;
            setCheckError(e);
            const problems =
              e instanceof ApiFailure ? (e.details as { problems?: RuleProblem[] } | undefined)?.problems : undefined;
            editor.current?.setProblems(problems ? placeProblems(text, problems.map(normalise)) : []);
          },
        )
        .finally(() => !c.signal.aborted && setChecking(false));
    }, 400);
    return () => {
      clearTimeout(timer);
      c.abort();
    };
  }, [text]);

  const save = async () => {
    if (text === null) return;
    setBusy(true);
    setSaveError(undefined);
    try {
      const rule = JSON.parse(text) as Record<string, unknown>;
      const body = { rule, ...(comment.trim() ? { comment: comment.trim() } : {}) };
      const saved =
        ruleId === null
          ? await api.post<{ rule: RuleVersion }>('/rules', body)
          : (
              await api.request<{ rule: RuleVersion }>(`/rules/${encodeURIComponent(ruleId)}`, {
                method: 'PUT',
                body,
                headers: etag ? { 'if-match': etag } : {},
              })
            ).body;
      setSaved(`Saved as version ${saved.rule.version}.`);
      setComment('');
      if (ruleId === null) navigate(href('rules', saved.rule.ruleId));
      else {
        setCurrent(saved.rule);
        setEtag(`"${saved.rule.version}"`);
      }
    } catch (e) {
      setSaveError(e instanceof SyntaxError ? new Error(`The rule is not valid JSON: ${e.message}`) : e);
    } finally {
      setBusy(false);
    }
  };
  const toggle = async () => {
    if (!current) return;
    setBusy(true);
    try {
      const next = await api.post<{ enabled: boolean }>(
        `/rules/${encodeURIComponent(current.ruleId)}/${current.enabled ? 'disable' : 'enable'}`,
      );
      setCurrent({ ...current, enabled: next.enabled });
      setSaveError(undefined);
    } catch (e) {
      setSaveError(e);
    } finally {
      setBusy(false);
    }
  };

  const versions = history.data?.versions ?? [];
  const diffBase = versions.find((v) => v.version === diffWith);
  const errors = validation?.problems.filter((p) => p.severity === 'error') ?? [];
  return (
    <section aria-labelledby="rule-title">
      <div class="title-row">
        <h1 id="rule-title">{ruleId ?? 'New rule'}</h1>
        {current && (
          <span class="muted">
            v{current.version} · {current.enabled ? 'enabled' : 'disabled'} · saved by {current.createdBy}
          </span>
        )}
      </div>
      <ErrorBox error={loadError} what="Rule" />
      <div class="columns">
        <div class="editor-col">
          <div ref={box} class="editor" data-testid="rule-editor" />
          <div class="check" aria-live="polite" data-testid="rule-check">
            {checking ? (
              'checking…'
            ) : validation ? (
              validation.ok ? (
                <span class="ok">
                  Valid: applies to{' '}
                  {validation.models
                    .filter((m) => m.verdict === 'applies')
                    .map((m) => m.modelId)
                    .join(', ') || 'no model'}
                </span>
              ) : (
                <span class="bad">
                  {errors.length} error{errors.length === 1 ? '' : 's'}
                </span>
              )
            ) : null}
          </div>
          <ErrorBox error={checkError} what="Check" />
          {validation && validation.problems.length > 0 && (
            <ul class="problems">
              {validation.problems.map((p) => (
                <li class={p.severity}>
                  <code>{p.path ?? ''}</code> {p.code}
                  {p.modelId ? ` [${p.modelId}]` : ''}: {p.message}
                </li>
              ))}
            </ul>
          )}
          {canWrite && (
            <div class="save-row">
              <input
                aria-label="Comment for this version"
                placeholder="What changed (kept in the version history)"
                value={comment}
                maxLength={500}
                onInput={(e) => setComment((e.target as HTMLInputElement).value)}
              />
              <button type="button" disabled={busy || text === null} onClick={() => void save()}>
                {ruleId === null ? 'Create' : 'Save'}
              </button>
              {current && (
                <button type="button" disabled={busy} onClick={() => void toggle()}>
                  {current.enabled ? 'Disable' : 'Enable'}
                </button>
              )}
            </div>
          )}
          <ErrorBox error={saveError} what="Save" />
          {saved && (
            <p class="notice" role="status">
              {saved}
            </p>
          )}
        </div>
        {ruleId !== null && (
          <div class="side">
            <h2>Versions</h2>
            <ErrorBox error={history.error} what="History" />
            <ol class="versions" reversed>
              {[...versions].reverse().map((v) => (
                <li>
                  <button
                    type="button"
                    class="link"
                    aria-pressed={diffWith === v.version}
                    onClick={() => setDiffWith(diffWith === v.version ? null : v.version)}
                  >
                    v{v.version}
                  </button>{' '}
                  <span class="muted">
                    {new Date(v.createdAt).toLocaleString()} · {v.createdBy}
                  </span>
                  {v.comment && <div>{v.comment}</div>}
                </li>
              ))}
            </ol>
            {diffBase && text !== null && (
              <div>
                <h3>v{diffBase.version} → editor</h3>
                <pre class="diff" data-testid="rule-diff">
                  {diffLines(editable(diffBase.definition), text).map((l) => (
                    <div class={`diff-${l.kind}`}>
                      {l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}
                      {l.text}
                    </div>
                  ))}
                </pre>
              </div>
            )}
          </div>
        )}
      </div>
      {ruleId !== null && current && (
        <ShadowPanel
          session={session}
          ruleId={ruleId}
          text={text}
          saved={{ version: current.version, text: editable(current.definition) }}
          onPromoted={() => window.location.reload()}
        />
      )}
      {canWrite && text !== null && (
        <BacktestPanel
          session={session}
          text={text}
          saved={
            current ? { ruleId: current.ruleId, version: current.version, text: editable(current.definition) } : null
          }
        />
      )}
    </section>
  );
}

/** A RULE_INVALID answer's problems carry the same fields, maybe fewer. */
function normalise(p: Partial<RuleProblem> & { message: string }): RuleProblem {
  return {
    severity: p.severity ?? 'error',
    code: p.code ?? 'RULE_INVALID',
    message: p.message,
    path: p.path ?? null,
    offset: p.offset ?? null,
    length: p.length ?? null,
    modelId: p.modelId ?? null,
    suggestion: p.suggestion ?? null,
  };
}
