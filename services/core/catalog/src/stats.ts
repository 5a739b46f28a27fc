/** Size figures of a catalog, for `telltale catalog stats`, the README and capacity planning. */
import type { Message } from '@telltale/dbc';
import type { Catalog, CatalogBus } from './model.js';

export interface BusStats {
  readonly name: string;
  readonly index: number;
  readonly dbcFile: string;
  readonly fd: boolean;
  readonly bitrate: number;
  readonly dataBitrate: number | undefined;
  readonly nodes: number;
  readonly messages: number;
  readonly signals: number;
  readonly multiplexedMessages: number;
  readonly fdMessages: number;
  readonly extendedMessages: number;
}

export interface CatalogStats {
  readonly modelId: string;
  readonly displayName: string;
  readonly catalogVersion: string;
  readonly buses: readonly BusStats[];
  readonly messages: number;
  readonly signals: number;
  readonly multiplexedMessages: number;
  readonly fdMessages: number;
  readonly extendedMessages: number;
  /** Ids reserved for signals earlier versions had. */
  readonly retiredIds: number;
  readonly aliases: number;
}

const isMultiplexed = (m: Message): boolean => m.signals.some((s) => s.multiplexing.isMultiplexer);

function busStats(bus: CatalogBus): BusStats {
  const messages = bus.database.messages;
  return {
    name: bus.name,
    index: bus.index,
    dbcFile: bus.dbcFile,
    fd: bus.fd,
    bitrate: bus.bitrate,
    dataBitrate: bus.dataBitrate,
    nodes: bus.database.nodes.length,
    messages: messages.length,
    signals: messages.reduce((n, m) => n + m.signals.length, 0),
    multiplexedMessages: messages.filter(isMultiplexed).length,
    fdMessages: messages.filter((m) => m.isFd).length,
    extendedMessages: messages.filter((m) => m.isExtended).length,
  };
}

export function catalogStats(catalog: Catalog): CatalogStats {
  const buses = catalog.buses.map(busStats);
  const sum = (key: 'messages' | 'signals' | 'multiplexedMessages' | 'fdMessages' | 'extendedMessages'): number =>
    buses.reduce((n, b) => n + b[key], 0);
  return {
    modelId: catalog.modelId,
    displayName: catalog.displayName,
    catalogVersion: catalog.catalogVersion,
    buses,
    messages: sum('messages'),
    signals: sum('signals'),
    multiplexedMessages: sum('multiplexedMessages'),
    fdMessages: sum('fdMessages'),
    extendedMessages: sum('extendedMessages'),
    retiredIds: catalog.signals.length - catalog.signalCount,
    aliases: catalog.aliases.size,
  };
}

const rate = (bitsPerSecond: number): string =>
  bitsPerSecond >= 1_000_000 ? `${bitsPerSecond / 1_000_000}M` : `${bitsPerSecond / 1000}k`;

/** Plain-text report: totals one per line (`8231 signals`), then a table per bus. */
export function formatCatalogStats(stats: CatalogStats): string {
  const lines = [
    `${stats.modelId}: ${stats.displayName}, catalog ${stats.catalogVersion}`,
    `${stats.buses.length} buses`,
    `${stats.messages} messages`,
    `${stats.signals} signals`,
    `${stats.multiplexedMessages} multiplexed messages`,
    `${stats.fdMessages} FD messages`,
    `${stats.extendedMessages} extended-id messages`,
    `${stats.retiredIds} retired ids`,
    `${stats.aliases} aliases`,
    '',
  ];
  const header = ['bus', 'index', 'type', 'nodes', 'messages', 'signals', 'multiplexed', 'fd', 'extended'];
  const rows = stats.buses.map((b) => [
    b.name,
    String(b.index),
    b.fd ? `CAN FD ${rate(b.bitrate)}/${rate(b.dataBitrate ?? b.bitrate)}` : `CAN ${rate(b.bitrate)}`,
    String(b.nodes),
    String(b.messages),
    String(b.signals),
    String(b.multiplexedMessages),
    String(b.fdMessages),
    String(b.extendedMessages),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i <= 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  lines.push(format(header), ...rows.map(format), '');
  return lines.join('\n');
}
