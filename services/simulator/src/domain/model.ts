/**
 * A vehicle model prepared for simulation, once per run and shared by every simulated vehicle: each message of each
 * bus with its encoder, transmit cycle, frame flags and signal binding plan, and the vehicle parameters (presets
 * for the catalog's models, otherwise derived from what the catalog contains).
 */
import type { Catalog, Message } from '../core-api.js';
import { planMessage, type BindingContext, type MessagePlan } from './bindings.js';
import { MessageEncoder } from './encode.js';
import { AURORA_SPEC, VAN_SPEC, type VehicleSpec } from './physics.js';

export const FRAME_FLAG_EXTENDED = 1;
export const FRAME_FLAG_FD = 2;
export const FRAME_FLAG_BRS = 4;
export const FRAME_FLAG_ERROR = 8;

/** Messages without GenMsgCycleTime (event-driven) are sent at this period. */
export const EVENT_MESSAGE_PERIOD_MS = 1000;

export interface SimMessage {
  readonly index: number;
  readonly busIndex: number;
  readonly busName: string;
  readonly message: Message;
  readonly encoder: MessageEncoder;
  readonly plan: MessagePlan;
  readonly cycleUs: number;
  readonly flags: number;
}

export interface SimModel {
  readonly catalog: Catalog;
  readonly spec: VehicleSpec;
  readonly messages: readonly SimMessage[];
  /** Expected frames per second of one vehicle. */
  readonly framesPerSecond: number;
  /** A message by name (the first bus that has it), or undefined. */
  findMessage(name: string): SimMessage | undefined;
  /** The message carrying a manifest alias, or undefined. */
  aliasMessage(alias: string): SimMessage | undefined;
}

const PRESETS: Readonly<Record<string, VehicleSpec>> = {
  'aurora-ev-2026': AURORA_SPEC,
  'cargo-van-e-2025': VAN_SPEC,
};

/** Highest N of signals named like `pattern` (capturing N), or undefined. */
function highestIndex(catalog: Catalog, pattern: RegExp): number | undefined {
  let max: number | undefined;
  for (const bus of catalog.buses) {
    for (const m of bus.database.messages) {
      for (const s of m.signals) {
        const match = pattern.exec(s.name);
        const n = match ? Number(match.slice(1).find((g) => g !== undefined)) : NaN;
        if (Number.isFinite(n)) max = Math.max(max ?? 0, n);
      }
    }
  }
  return max;
}

/** Vehicle parameters: the preset of a known model, with pack geometry taken from the catalog. */
export function vehicleSpecFor(catalog: Catalog): VehicleSpec {
  const preset = PRESETS[catalog.modelId] ?? (/van|truck|cargo/i.test(catalog.modelId) ? VAN_SPEC : AURORA_SPEC);
  const cells = highestIndex(catalog, /(?:^|_)CellVoltage_(\d+)$/) ?? preset.cellsInSeries;
  const modules = highestIndex(catalog, /ModuleVoltage_(\d+)$|^CMU(\d+)_/) ?? preset.modules;
  const tempSensors = highestIndex(catalog, /(?:^|_)CellTemp_(\d+)$/) ?? modules * 2;
  const names = new Set(catalog.buses.flatMap((b) => b.database.messages.map((m) => m.name)));
  const dualMotor = [...names].some((n) => n.startsWith('INVF_')) && [...names].some((n) => n.startsWith('INVR_'));
  return {
    ...preset,
    cellsInSeries: cells,
    modules: Math.min(modules, cells),
    cellTempSensors: tempSensors,
    motorShares: dualMotor ? (preset.motorShares.length === 2 ? preset.motorShares : [0.4, 0.6]) : [1],
  };
}

export function buildSimModel(catalog: Catalog, spec: VehicleSpec = vehicleSpecFor(catalog)): SimModel {
  const aliasOf = new Map<string, string>();
  for (const [alias, signal] of catalog.aliases) aliasOf.set(signal.qualifiedName, alias);
  const messages: SimMessage[] = [];
  for (const bus of catalog.buses) {
    const ctx: BindingContext = {
      aliasOf,
      busName: bus.name,
      motors: spec.motorShares.length,
      cellTempSensors: spec.cellTempSensors,
      cells: spec.cellsInSeries,
    };
    for (const message of bus.database.messages) {
      const fd = message.isFd || message.length > 8;
      const flags =
        (message.isExtended ? FRAME_FLAG_EXTENDED : 0) |
        (fd ? FRAME_FLAG_FD : 0) |
        (fd && bus.dataBitrate !== undefined ? FRAME_FLAG_BRS : 0);
      const cycleMs =
        message.cycleTimeMs !== undefined && message.cycleTimeMs > 0 ? message.cycleTimeMs : EVENT_MESSAGE_PERIOD_MS;
      messages.push({
        index: messages.length,
        busIndex: bus.index,
        busName: bus.name,
        message,
        encoder: new MessageEncoder(message),
        plan: planMessage(message, ctx),
        cycleUs: Math.round(cycleMs * 1000),
        flags,
      });
    }
  }
  const byName = new Map<string, SimMessage>();
  for (const m of messages) if (!byName.has(m.message.name)) byName.set(m.message.name, m);
  const framesPerSecond = messages.reduce((sum, m) => sum + 1e6 / m.cycleUs, 0);
  return {
    catalog,
    spec,
    messages,
    framesPerSecond,
    findMessage: (name) => byName.get(name),
    aliasMessage: (alias) => {
      const signal = catalog.aliases.get(alias);
      return signal ? messages.find((m) => m.busName === signal.bus && m.message.name === signal.message) : undefined;
    },
  };
}
