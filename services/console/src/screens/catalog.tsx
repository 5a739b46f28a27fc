/**
 * Catalog: models → buses → messages → signals, a search over all of a model's signals, and a message's bit layout
 * drawn like cabana's (a byte × bit grid coloured by signal, MSB/LSB marked, byte order named), with cycle time and
 * each signal's staleness threshold.
 */
import { useMemo, useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { bitGrid } from '../domain/bit-layout.js';
import { href } from '../router.js';
import type { CatalogJson, CatalogMessageJson } from '../types.js';
import { Empty, ErrorBox, Pending, useLoad } from '../ui.js';

const hue = (i: number): string => `hsl(${(i * 67) % 360} 70% 50% / 0.45)`;
const hex = (id: number, extended: boolean): string =>
  `0x${id
    .toString(16)
    .toUpperCase()
    .padStart(extended ? 8 : 3, '0')}`;

function BitLayout({ message }: { message: CatalogMessageJson }) {
  const grid = useMemo(() => bitGrid(message.length, message.signals), [message]);
  return (
    <table class="bits" aria-label={`Bit layout of ${message.name}`}>
      <thead>
        <tr>
          <th scope="col">byte</th>
          {[7, 6, 5, 4, 3, 2, 1, 0].map((b) => (
            <th scope="col">{b}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {grid.map((row, byte) => (
          <tr>
            <th scope="row">{byte}</th>
            {row.map((cell, i) => {
              const owner = cell.owners[0];
              const names = cell.owners.map((o) => message.signals[o]?.name).join(' / ');
              return (
                <td
                  style={owner === undefined ? undefined : { background: hue(owner) }}
                  title={names ? `${names}, bit ${byte * 8 + 7 - i}` : `bit ${byte * 8 + 7 - i}: unused`}
                  class={cell.owners.length > 1 ? 'overlap' : undefined}
                >
                  {cell.mark === 'msb' ? 'M' : cell.mark === 'lsb' ? 'L' : ''}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MessageDetail({ message, bus }: { message: CatalogMessageJson; bus: string }) {
  return (
    <div class="message-detail">
      <h2>
        {bus} / {message.name} <span class="muted">{hex(message.frameId, message.isExtended)}</span>
      </h2>
      <p class="muted">
        {message.length} bytes · {message.cycleTimeMs === null ? 'event-driven' : `cycle ${message.cycleTimeMs} ms`} ·
        sent by {message.senders.join(', ') || 'unknown'}
        {message.comment ? ` · ${message.comment}` : ''}
      </p>
      <div class="layout">
        <BitLayout message={message} />
        <table class="grid compact">
          <thead>
            <tr>
              <th scope="col" />
              <th scope="col">signal</th>
              <th scope="col">bits</th>
              <th scope="col">order</th>
              <th scope="col">scale, offset</th>
              <th scope="col">range</th>
              <th scope="col">unit</th>
              <th scope="col">stale after</th>
              <th scope="col">labels</th>
            </tr>
          </thead>
          <tbody>
            {message.signals.map((s, i) => (
              <tr>
                <td>
                  <span class="swatch" style={{ background: hue(i) }} />
                </td>
                <td title={s.comment ?? undefined}>
                  {s.name}
                  {s.isMultiplexer ? ' (multiplexer)' : s.multiplexed ? ' (multiplexed)' : ''}
                </td>
                <td>
                  {s.startBit}|{s.length}
                </td>
                <td>{s.byteOrder === 'big_endian' ? 'Motorola' : 'Intel'}</td>
                <td>
                  ×{s.scale} {s.offset >= 0 ? '+' : '−'}
                  {Math.abs(s.offset)}
                </td>
                <td>
                  {s.minimum ?? '–'} … {s.maximum ?? '–'}
                </td>
                <td>{s.unit}</td>
                <td>{s.staleAfterMs === null ? 'never' : `${s.staleAfterMs} ms`}</td>
                <td class="labels">
                  {Object.entries(s.choices)
                    .slice(0, 8)
                    .map(([raw, label]) => `${raw}=${label}`)
                    .join(', ')}
                  {Object.keys(s.choices).length > 8 ? ', …' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function CatalogScreen({
  session,
  modelId,
  message,
}: {
  session: Session;
  modelId: string | null;
  message: string | null;
}) {
  const { api } = session;
  const models = useLoad(
    (signal) =>
      api.get<{ models: { modelId: string; versions: string[]; latestVersion: string }[] }>('/models', signal),
    [],
  );
  const model = modelId ?? models.data?.models[0]?.modelId ?? null;
  const catalog = useLoad(
    (signal) =>
      model === null
        ? Promise.resolve(undefined)
        : api.get<CatalogJson>(`/models/${encodeURIComponent(model)}/catalog`, signal),
    [model],
  );
  const [search, setSearch] = useState('');
  const c = catalog.data;
  const found = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    if (!c || words.length === 0) return [];
    const out: { bus: string; message: string; signal: string }[] = [];
    for (const b of c.buses)
      for (const m of b.messages)
        for (const s of m.signals)
          if (words.every((w) => s.qualifiedName.toLowerCase().includes(w))) {
            out.push({ bus: b.name, message: m.name, signal: s.name });
            if (out.length >= 200) return out;
          }
    return out;
  }, [c, search]);
  const selected = useMemo(() => {
    if (!c || message === null) return undefined;
    for (const b of c.buses) {
      const m = b.messages.find((x) => `${b.name}.${x.name}` === message);
      if (m) return { bus: b.name, message: m };
    }
    return undefined;
  }, [c, message]);

  return (
    <section aria-labelledby="catalog-title">
      <div class="title-row">
        <h1 id="catalog-title">Catalog</h1>
        <Pending loading={models.loading || catalog.loading} />
      </div>
      <ErrorBox error={models.error} what="Models" />
      <ErrorBox error={catalog.error} what="Catalog" />
      <nav class="tabs" aria-label="Vehicle models">
        {models.data?.models.map((m) => (
          <a href={href('catalog', m.modelId)} aria-current={m.modelId === model ? 'page' : undefined}>
            {m.modelId} <span class="muted">{m.latestVersion}</span>
          </a>
        ))}
      </nav>
      {models.data?.models.length === 0 && <Empty>This server has no vehicle model catalogs.</Empty>}
      {c && (
        <div class="columns">
          <div class="tree">
            <p class="muted">
              {c.displayName} {c.catalogVersion}: {c.signalCount.toLocaleString('en')} signals on {c.buses.length} buses
            </p>
            <input
              type="search"
              aria-label="Search signals of the model"
              placeholder="Search signals"
              value={search}
              onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
            />
            {search ? (
              <ul class="plain">
                {found.length === 0 && <li class="muted">No signal matches.</li>}
                {found.map((f) => (
                  <li>
                    <a href={href('catalog', c.modelId, `${f.bus}.${f.message}`)}>
                      {f.bus}/{f.message}/<strong>{f.signal}</strong>
                    </a>
                  </li>
                ))}
              </ul>
            ) : (
              c.buses.map((b) => (
                <details open={c.buses.length === 1 || selected?.bus === b.name}>
                  <summary>
                    {b.name}{' '}
                    <span class="muted">
                      bus {b.index} · {b.fd ? 'CAN FD' : 'CAN'} {b.bitrate / 1000} kbit/s · {b.messages.length} messages
                    </span>
                  </summary>
                  <ul class="plain">
                    {b.messages.map((m) => (
                      <li>
                        <a
                          href={href('catalog', c.modelId, `${b.name}.${m.name}`)}
                          aria-current={selected?.message === m ? 'true' : undefined}
                        >
                          {m.name}
                        </a>{' '}
                        <span class="muted">
                          {hex(m.frameId, m.isExtended)} · {m.signals.length}
                        </span>
                      </li>
                    ))}
                  </ul>
                </details>
              ))
            )}
          </div>
          <div class="side">
            {selected ? (
              <MessageDetail message={selected.message} bus={selected.bus} />
            ) : (
              <Empty>Pick a message to see its bit layout.</Empty>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
