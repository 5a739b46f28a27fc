/**
 * The committed vehicle models under signal-catalog/: sizes, lint, reproducible generation, id stability through the
 * generator, and a full round trip — every page of every message encoded from the generator's own definitions,
 * decoded by the catalog's compiled decoders from the committed DBC files, back to the same physical values and ids.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { auroraEv } from './aurora-ev/index.js';
import { cargoVanE } from './cargo-van-e/index.js';
import { layoutMessage } from './layout.js';
import type { ModelDefinition } from './model.js';
import { renderModel } from './model.js';
import { decodeBatch, FRAME_FLAG_EXTENDED, FRAME_FLAG_FD, SignalSink } from '@telltale/dbc';
import type { Message, Signal } from '@telltale/dbc';
import {
  catalogStats,
  compileCatalog,
  encodeMessage,
  lintCatalog,
  loadCatalogSources,
  parseSignalIds,
  type Catalog,
  type CatalogSources,
  type LintResult,
} from '@telltale/catalog';

/** mulberry32: test values are random but the same on every run. */
function seededRandom(seed: number): { next(): number } {
  let state = seed >>> 0;
  return {
    next: () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
type Random = ReturnType<typeof seededRandom>;

const catalogRoot = fileURLToPath(new URL('../', import.meta.url));

interface Loaded {
  readonly definition: ModelDefinition;
  readonly sources: CatalogSources;
  readonly lint: LintResult;
  readonly catalog: Catalog;
}

async function load(define: () => ModelDefinition): Promise<Loaded> {
  const definition = define();
  const sources = await loadCatalogSources(`${catalogRoot}${definition.modelId}`);
  const lint = lintCatalog(sources);
  if (!lint.catalog)
    throw new Error(`${definition.modelId} does not load: ${JSON.stringify(lint.diagnostics.slice(0, 3))}`);
  return { definition, sources, lint, catalog: lint.catalog };
}

let aurora: Loaded;
let van: Loaded;
beforeAll(async () => {
  [aurora, van] = await Promise.all([load(auroraEv), load(cargoVanE)]);
});

const allSignals = (catalog: Catalog): Signal[] =>
  catalog.buses.flatMap((b) => b.database.messages.flatMap((m) => m.signals));
const allMessages = (catalog: Catalog): Message[] => catalog.buses.flatMap((b) => b.database.messages);

describe('committed models', () => {
  it('lint without a single finding', () => {
    expect(aurora.lint.diagnostics).toEqual([]);
    expect(van.lint.diagnostics).toEqual([]);
  });

  it('are exactly what the generator writes', () => {
    for (const model of [aurora, van]) {
      const ids = parseSignalIds(model.sources.signalIds ?? '');
      const files = renderModel(model.definition, ids);
      for (const [name, content] of files) {
        const committed = readFileSync(`${catalogRoot}${model.definition.modelId}/${name}`, 'utf8');
        expect(
          committed,
          `${model.definition.modelId}/${name} is stale: run npx tsx signal-catalog/generator/generate.ts`,
        ).toBe(content);
      }
      expect([...model.sources.dbcFiles.keys()].sort()).toEqual(
        [...files.keys()].filter((f) => f.endsWith('.dbc')).sort(),
      );
    }
  });

  it('Aurora is premium-size: ≥ 8,000 signals on ≥ 4 buses with CAN FD, multiplexing and both byte orders', () => {
    const stats = catalogStats(aurora.catalog);
    expect(stats.signals).toBeGreaterThanOrEqual(8000);
    expect(stats.signals).toBeLessThanOrEqual(9000);
    expect(stats.buses.length).toBeGreaterThanOrEqual(4);
    expect(stats.buses.filter((b) => b.fd).length).toBeGreaterThanOrEqual(2);
    expect(stats.fdMessages).toBeGreaterThan(20);
    expect(stats.multiplexedMessages).toBeGreaterThan(10);
    expect(aurora.catalog.signalCount).toBe(stats.signals);

    const signals = allSignals(aurora.catalog);
    expect(signals.some((s) => s.byteOrder === 'big_endian')).toBe(true);
    expect(signals.some((s) => s.byteOrder === 'little_endian')).toBe(true);
    expect(signals.some((s) => s.isSigned)).toBe(true);
    expect(signals.some((s) => s.choices.size > 0)).toBe(true);
    expect(signals.some((s) => s.comment !== undefined)).toBe(true);
    // Extended multiplexing: a switch inside a page, and a page selected by a range of values.
    expect(signals.some((s) => s.multiplexing.isMultiplexer && s.multiplexing.parent)).toBe(true);
    expect(signals.some((s) => s.multiplexing.parent?.ranges.some(([lo, hi]) => hi > lo))).toBe(true);
    expect(
      allMessages(aurora.catalog).some(
        (m) => m.isFd && m.length === 64 && m.signals.some((s) => s.multiplexing.isMultiplexer),
      ),
    ).toBe(true);
  });

  it('Aurora carries 108 cell voltages and temperatures, multiplexed by module in 64-byte FD frames', () => {
    const cells = Array.from({ length: 108 }, (_, i) => String(i + 1).padStart(3, '0'));
    for (const kind of ['CellVoltage', 'CellTemp'] as const) {
      const message = kind === 'CellVoltage' ? 'BMS_CellVoltages' : 'BMS_CellTemps';
      for (const cell of cells) {
        const signal = aurora.catalog.byQualifiedName.get(`bms/${message}/${kind}_${cell}`);
        expect(signal, `${kind}_${cell}`).toMatchObject({
          multiplexed: true,
          unit: kind === 'CellVoltage' ? 'V' : '°C',
        });
      }
    }
    const frame = allMessages(aurora.catalog).find((m) => m.name === 'BMS_CellVoltages');
    expect(frame).toMatchObject({ isFd: true, length: 64, cycleTimeMs: 20 });
  });

  it('every cyclic message has a realistic cycle time (10 ms to 1 s)', () => {
    for (const model of [aurora, van]) {
      for (const message of allMessages(model.catalog)) {
        if (message.cycleTimeMs === undefined) {
          expect(message.attributes.GenMsgSendType, message.name).toBe('Event');
          continue;
        }
        expect(message.cycleTimeMs, message.name).toBeGreaterThanOrEqual(10);
        expect(message.cycleTimeMs, message.name).toBeLessThanOrEqual(1000);
      }
    }
  });

  it('the van is a few hundred signals on two classic buses, with J1939 extended ids', () => {
    const stats = catalogStats(van.catalog);
    expect(stats.signals).toBeGreaterThanOrEqual(200);
    expect(stats.signals).toBeLessThan(1000);
    expect(stats.buses.map((b) => b.fd)).toEqual([false, false]);
    expect(stats.extendedMessages).toBeGreaterThanOrEqual(2);
    expect(van.catalog.byQualifiedName.get('body/TCO1/TCO_VehicleSpeed')).toMatchObject({
      isExtended: true,
      frameId: 0x0cfe6cee,
    });
  });

  it('both models name the signals the simulator and fault rules use through the same aliases', () => {
    const units: Record<string, string> = {
      vehicleSpeed: 'km/h',
      soc: '%',
      packVoltage: 'V',
      packCurrent: 'A',
      cellVoltageMin: 'V',
      cellVoltageMax: 'V',
      cellTemperatureMax: '°C',
      motorTemperature: '°C',
      inverterTemperature: '°C',
      coolantTemperature: '°C',
      brakePressure: 'bar',
      tyrePressureFrontLeft: 'kPa',
      tyrePressureRearRight: 'kPa',
      lowVoltageBatteryVoltage: 'V',
      gear: '',
      odometer: 'km',
      chargingState: '',
      ambientTemperature: '°C',
      insulationResistance: 'kOhm',
    };
    for (const model of [aurora, van]) {
      for (const [alias, unit] of Object.entries(units)) {
        expect(model.catalog.aliases.get(alias)?.unit, `${model.catalog.modelId} ${alias}`).toBe(unit);
      }
      expect(model.catalog.aliases.get('gear')?.choices.get('3')).toBe('D');
      expect(model.catalog.aliases.get('chargingState')?.choices.get('4')).toBe('ChargingDC');
      const dtcCodes = [...model.catalog.byQualifiedName.values()].filter((s) => s.name.endsWith('_DtcCode'));
      expect(dtcCodes.length).toBeGreaterThanOrEqual(model === aurora ? 60 : 10);
    }
  });
});

describe('id stability through the generator', () => {
  it('adding a signal keeps every committed id and appends the new one; removing one retires it', () => {
    const committed = parseSignalIds(aurora.sources.signalIds ?? '');
    const maxId = Math.max(...committed.ids.values());
    const model = auroraEv();
    const [powertrain, ...rest] = model.buses;
    if (!powertrain) throw new Error('no powertrain bus');
    const added = layoutMessage(
      {
        name: 'VCU_NewFeature',
        length: 8,
        sender: 'VCU',
        cycleTimeMs: 100,
        signals: [{ name: 'VCU_NewSignal', length: 8 }],
      },
      0x7f0,
    );
    // At the head of the first bus: catalog order changes for every signal, ids must not.
    const grown: ModelDefinition = {
      ...model,
      buses: [
        { ...powertrain, database: { ...powertrain.database, messages: [added, ...powertrain.database.messages] } },
        ...rest,
      ],
    };
    const next = parseSignalIds(renderModel(grown, committed).get('signal-ids.json') ?? '');
    for (const [key, id] of committed.ids) expect(next.ids.get(key)).toBe(id);
    expect(next.ids.get('powertrain/VCU_NewFeature/VCU_NewSignal')).toBe(maxId + 1);
    expect(next.ids.size).toBe(committed.ids.size + 1);

    const shrunk: ModelDefinition = {
      ...model,
      catalogVersion: '1.1.0',
      buses: [
        { ...powertrain, database: { ...powertrain.database, messages: powertrain.database.messages.slice(1) } },
        ...rest,
      ],
    };
    const dropped = powertrain.database.messages[0]!.signals.map(
      (s) => `powertrain/${powertrain.database.messages[0]!.name}/${s.name}`,
    );
    const after = parseSignalIds(renderModel(shrunk, committed).get('signal-ids.json') ?? '');
    for (const [key, id] of committed.ids) expect(after.ids.get(key)).toBe(id);
    expect([...after.retired.keys()]).toEqual(dropped);
    expect([...after.retired.values()].every((v) => v === '1.1.0')).toBe(true);
  });
});

/** A random physical value the signal can carry, on its raw grid, inside its DBC range. */
function valueFor(signal: Signal, random: Random): number {
  const bits = signal.length;
  const rawMin = signal.isSigned ? -(2 ** (bits - 1)) : 0;
  const rawMax = signal.isSigned ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const toRaw = (physical: number): number => (physical - signal.offset) / signal.scale;
  let low = Math.max(rawMin, Math.ceil(toRaw(signal.minimum ?? -Infinity) - 1e-9));
  let high = Math.min(rawMax, Math.floor(toRaw(signal.maximum ?? Infinity) + 1e-9));
  if (low > high) [low, high] = [rawMin, rawMax];
  const raw = low + Math.floor(random.next() * (high - low + 1));
  return raw * signal.scale + signal.offset;
}

/** One set of values per leaf page of the message (one set for a plain message). */
function pageValues(message: Message, random: Random): Record<string, number>[] {
  const childrenOf = (switchName: string | undefined): Signal[] =>
    message.signals.filter((s) => s.multiplexing.parent?.multiplexer === switchName);
  const expand = (present: readonly Signal[], base: Record<string, number>): Record<string, number>[] => {
    const values = { ...base };
    for (const s of present) values[s.name] = valueFor(s, random);
    const switches = present.filter((s) => s.multiplexing.isMultiplexer);
    let results = [values];
    for (const sw of switches) {
      const selectors = [
        ...new Set(
          childrenOf(sw.name).flatMap((c) =>
            c.multiplexing.parent!.ranges.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)),
          ),
        ),
      ];
      results = results.flatMap((r) =>
        selectors.flatMap((v) => {
          const page = childrenOf(sw.name).filter((c) =>
            c.multiplexing.parent!.ranges.some(([lo, hi]) => v >= lo && v <= hi),
          );
          return expand(page, { ...r, [sw.name]: v });
        }),
      );
    }
    return results;
  };
  return expand(childrenOf(undefined), {});
}

describe('round trip: generator definitions → encoded frames → catalog decoders', () => {
  for (const [name, define] of [
    ['aurora-ev-2026', auroraEv],
    ['cargo-van-e-2025', cargoVanE],
  ] as const) {
    it(`${name}: every page of every message decodes to the encoded values under the catalog's ids`, () => {
      const model = name === 'aurora-ev-2026' ? aurora : van;
      const compiled = compileCatalog(model.catalog);
      const random = seededRandom(0x5eed);
      let decodedSignals = 0;
      for (const bus of define().buses) {
        const frames: { id: number; flags: number; data: Uint8Array; expected: Record<string, number> }[] = [];
        for (const message of bus.database.messages) {
          for (const values of pageValues(message, random)) {
            frames.push({
              id: message.frameId,
              flags: (message.isExtended ? FRAME_FLAG_EXTENDED : 0) | (message.isFd ? FRAME_FLAG_FD : 0),
              data: encodeMessage(message, values),
              expected: Object.fromEntries(
                Object.entries(values).map(([k, v]) => [`${bus.name}/${message.name}/${k}`, v]),
              ),
            });
          }
        }
        const data = new Uint8Array(frames.reduce((n, f) => n + f.data.length, 0));
        frames.reduce((offset, f) => (data.set(f.data, offset), offset + f.data.length), 0);
        const sink = new SignalSink();
        const decoder = compiled.decoderFor(bus.index);
        if (!decoder) throw new Error(`no decoder for bus ${bus.index}`);
        decodeBatch(
          {
            count: frames.length,
            canId: frames.map((f) => f.id),
            flags: frames.map((f) => f.flags),
            length: frames.map((f) => f.data.length),
            data,
          },
          decoder,
          sink,
        );
        expect(sink.errorCount, `${bus.name} decode errors`).toBe(0);
        const got: Record<string, number>[] = frames.map(() => ({}));
        for (let i = 0; i < sink.count; i++) {
          const signal = model.catalog.signals[sink.signalId[i]!];
          got[sink.frameIndex[i]!]![signal?.qualifiedName ?? `unknown id ${sink.signalId[i]}`] = sink.value[i]!;
        }
        frames.forEach((frame, i) => expect(got[i]).toEqual(frame.expected));
        decodedSignals += sink.count;
      }
      // Every signal of the catalog was decoded at least once.
      expect(decodedSignals).toBeGreaterThanOrEqual(model.catalog.signalCount);
    });
  }
});
