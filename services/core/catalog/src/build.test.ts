import { describe, expect, it } from 'vitest';
import { isTelltaleError } from '@telltale/platform/errors';
import { buildCatalog, catalogKeys, findSignal, readCatalog } from './build.js';
import { lintCatalog } from './lint.js';
import { formatCatalogDiagnostic, type CatalogDiagnostic, type CatalogSources } from './model.js';
import { assignSignalIds, formatSignalIds } from './signal-ids.js';
import { STALE_AFTER_FLOOR_MS } from './stale.js';

const header = `VERSION ""
NS_ :
BS_:
BU_: VCU BMS
`;
const frameFormats = [
  'StandardCAN',
  'ExtendedCAN',
  ...Array<string>(12).fill('reserved'),
  'StandardCAN_FD',
  'ExtendedCAN_FD',
];
const attributes = `BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
BA_DEF_ BO_ "GenMsgSendType" ENUM "Cyclic","Event";
BA_DEF_ BO_ "VFrameFormat" ENUM ${frameFormats.map((f) => `"${f}"`).join(',')};
BA_DEF_DEF_ "GenMsgSendType" "Cyclic";
BA_DEF_DEF_ "VFrameFormat" "StandardCAN";
`;

const PT = `${header}
BO_ 256 VCU_Status: 8 VCU
 SG_ VCU_Speed : 0|16@1+ (0.01,0) [0|300] "km/h" BMS
 SG_ VCU_Gear : 16|3@1+ (1,0) [0|7] "" BMS

BO_ 768 VCU_Odo: 8 VCU
 SG_ VCU_Odometer : 0|24@1+ (0.1,0) [0|1677721.5] "km" BMS

${attributes}BA_ "GenMsgCycleTime" BO_ 256 10;
BA_ "GenMsgCycleTime" BO_ 768 1000;
VAL_ 256 VCU_Gear 0 "P" 1 "R" 2 "N" 3 "D" ;
`;

const BMS = `${header}
BO_ 512 BMS_Pack: 16 BMS
 SG_ BMS_Soc : 0|10@1+ (0.1,0) [0|100] "%" VCU
 SG_ BMS_Mode M : 16|8@1+ (1,0) [0|1] "" VCU
 SG_ BMS_CellV_1 m0 : 24|16@1+ (0.001,0) [0|5] "V" VCU
 SG_ BMS_CellV_2 m1 : 24|16@1+ (0.001,0) [0|5] "V" VCU

BO_ 513 BMS_Event: 8 BMS
 SG_ BMS_Crash : 0|1@1+ (1,0) [0|1] "" VCU

${attributes}BA_ "GenMsgCycleTime" BO_ 512 100;
BA_ "VFrameFormat" BO_ 512 14;
BA_ "GenMsgSendType" BO_ 513 1;
`;

const manifest = {
  modelId: 'test-car',
  displayName: 'Test car',
  catalogVersion: '1.0.0',
  buses: [
    { index: 0, name: 'powertrain', dbc: 'pt.dbc', bitrate: 500000 },
    { index: 3, name: 'bms', dbc: 'bms.dbc', bitrate: 500000, fd: true, dataBitrate: 2000000 },
  ],
  aliases: { vehicleSpeed: 'powertrain/VCU_Status/VCU_Speed', soc: 'bms/BMS_Pack/BMS_Soc' },
  signalOverrides: { 'powertrain/VCU_Odo/VCU_Odometer': { staleAfterMs: 60000, unit: 'kilometre' } },
};

const ALL_KEYS = [
  'powertrain/VCU_Status/VCU_Speed',
  'powertrain/VCU_Status/VCU_Gear',
  'powertrain/VCU_Odo/VCU_Odometer',
  'bms/BMS_Pack/BMS_Soc',
  'bms/BMS_Pack/BMS_Mode',
  'bms/BMS_Pack/BMS_CellV_1',
  'bms/BMS_Pack/BMS_CellV_2',
  'bms/BMS_Event/BMS_Crash',
];

function sources(
  overrides: {
    manifest?: unknown;
    pt?: string;
    bms?: string | undefined;
    ids?: string | undefined;
    extraFiles?: Record<string, string>;
  } = {},
): CatalogSources {
  const files = new Map<string, string>([['pt.dbc', overrides.pt ?? PT]]);
  const bms = 'bms' in overrides ? overrides.bms : BMS;
  if (bms !== undefined) files.set('bms.dbc', bms);
  for (const [name, text] of Object.entries(overrides.extraFiles ?? {})) files.set(name, text);
  const ids =
    'ids' in overrides
      ? overrides.ids
      : formatSignalIds(assignSignalIds(undefined, ALL_KEYS, { modelId: 'test-car', catalogVersion: '1.0.0' }));
  return {
    manifest: JSON.stringify(overrides.manifest ?? manifest),
    signalIds: ids,
    dbcFiles: files,
    directoryName: 'test-car',
  };
}

const codes = (diagnostics: readonly CatalogDiagnostic[]): string[] =>
  diagnostics.map((d) => `${d.severity} ${d.code}`);

describe('buildCatalog', () => {
  it('builds signals indexed by their persisted ids with units, ranges, choices and staleness', () => {
    const catalog = buildCatalog(sources());
    expect(catalog.signalCount).toBe(8);
    expect(catalog.signals.map((s) => s?.qualifiedName)).toEqual(ALL_KEYS);
    const speed = catalog.signals[0]!;
    expect(speed).toMatchObject({
      id: 0,
      name: 'VCU_Speed',
      bus: 'powertrain',
      busIndex: 0,
      message: 'VCU_Status',
      frameId: 256,
      unit: 'km/h',
      minimum: 0,
      maximum: 300,
      cycleTimeMs: 10,
      staleAfterMs: STALE_AFTER_FLOOR_MS,
      multiplexed: false,
    });
    expect(catalog.signals[1]?.choices.get('3')).toBe('D');
    // Page signals of a 2-page 100 ms message: updated every 200 ms, stale after 600 ms → floor.
    expect(catalog.byQualifiedName.get('bms/BMS_Pack/BMS_CellV_2')).toMatchObject({
      multiplexed: true,
      staleAfterMs: 2000,
    });
    expect(catalog.byQualifiedName.get('bms/BMS_Event/BMS_Crash')?.staleAfterMs).toBeUndefined();
  });

  it('applies manifest overrides and resolves aliases', () => {
    const catalog = buildCatalog(sources());
    expect(catalog.byQualifiedName.get('powertrain/VCU_Odo/VCU_Odometer')).toMatchObject({
      unit: 'kilometre',
      staleAfterMs: 60000,
    });
    expect(catalog.aliases.get('soc')?.qualifiedName).toBe('bms/BMS_Pack/BMS_Soc');
    expect(findSignal(catalog, 'vehicleSpeed')?.id).toBe(0);
    expect(findSignal(catalog, 'VCU_Gear')?.id).toBe(1);
    expect(findSignal(catalog, 'bms/BMS_Pack/BMS_Mode')?.isMultiplexer).toBe(true);
    expect(findSignal(catalog, 'Nope')).toBeUndefined();
  });

  it('leaves holes for retired ids and never reuses them', () => {
    const first = assignSignalIds(undefined, ['powertrain/VCU_Status/VCU_Old', ...ALL_KEYS], {
      modelId: 'test-car',
      catalogVersion: '0.9.0',
    });
    const current = assignSignalIds(first, ALL_KEYS, { modelId: 'test-car', catalogVersion: '1.0.0' });
    const catalog = buildCatalog(sources({ ids: formatSignalIds(current) }));
    expect(catalog.signals[0]).toBeUndefined();
    expect(catalog.signals.length).toBe(9);
    expect(catalog.signals[1]?.name).toBe('VCU_Speed');
  });

  it('throws CATALOG_INVALID naming the errors', () => {
    try {
      buildCatalog(sources({ bms: undefined }));
      expect.unreachable();
    } catch (error) {
      expect(isTelltaleError(error, 'CATALOG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('manifest.json: error CATALOG_FILE_MISSING Bus bms names bms.dbc');
    }
  });
});

describe('lintCatalog', () => {
  it('is clean on a good catalog', () => {
    const result = lintCatalog(sources());
    expect(result.diagnostics).toEqual([]);
    expect(result.catalog?.signalCount).toBe(8);
  });

  it('makes duplicate frame ids and duplicate signal names errors, with their DBC lines', () => {
    const pt = PT.replace('BO_ 768 VCU_Odo: 8 VCU', 'BO_ 256 VCU_Odo: 8 VCU').replace(
      ' SG_ VCU_Gear : 16|3@1+',
      ' SG_ VCU_Speed : 24|8@1+ (1,0) [0|255] "" BMS\n SG_ VCU_Gear : 16|3@1+',
    );
    const result = lintCatalog(sources({ pt }));
    const found = result.diagnostics.filter((d) => d.file === 'pt.dbc');
    expect(codes(found)).toEqual(expect.arrayContaining(['error DBC_DUPLICATE_SIGNAL', 'error DBC_DUPLICATE_MESSAGE']));
    expect(found.every((d) => typeof d.line === 'number')).toBe(true);
    expect(result.catalog).toBeUndefined();
  });

  it('passes overlapping-signal warnings through from the DBC parser', () => {
    const pt = PT.replace(' SG_ VCU_Gear : 16|3@1+', ' SG_ VCU_Gear : 14|3@1+');
    const result = lintCatalog(sources({ pt }));
    expect(codes(result.diagnostics)).toEqual(['warning DBC_OVERLAPPING_SIGNALS']);
    expect(result.catalog).toBeDefined();
  });

  it('warns about a cyclic message without a cycle time but not about an event-driven one', () => {
    const pt = PT.replace('BA_ "GenMsgCycleTime" BO_ 768 1000;\n', '');
    const result = lintCatalog(sources({ pt }));
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'CATALOG_MISSING_CYCLE_TIME', file: 'pt.dbc', line: 10 }),
    ]);
  });

  it('rejects a CAN FD frame on a classic bus', () => {
    const bus = { ...manifest.buses[1], fd: false, dataBitrate: undefined };
    const result = lintCatalog(sources({ manifest: { ...manifest, buses: [manifest.buses[0], bus] } }));
    expect(codes(result.diagnostics)).toEqual(['error CATALOG_FD_ON_CLASSIC_BUS']);
  });

  it('reports aliases and overrides that name an unknown bus, message or signal', () => {
    const result = lintCatalog(
      sources({
        manifest: {
          ...manifest,
          aliases: { a: 'chassis/ESC_Speed/ESC_Speed', b: 'powertrain/VCU_Nope/VCU_Speed' },
          signalOverrides: { 'bms/BMS_Pack/BMS_Nope': { staleAfterMs: 1 } },
        },
      }),
    );
    expect(result.diagnostics.map((d) => [d.code, d.path, d.message])).toEqual([
      [
        'CATALOG_UNKNOWN_REFERENCE',
        '/aliases/a',
        'chassis/ESC_Speed/ESC_Speed names bus "chassis", which the manifest does not define.',
      ],
      [
        'CATALOG_UNKNOWN_REFERENCE',
        '/aliases/b',
        'powertrain/VCU_Nope/VCU_Speed names message "VCU_Nope", which pt.dbc does not define.',
      ],
      [
        'CATALOG_UNKNOWN_REFERENCE',
        '/signalOverrides/bms~1BMS_Pack~1BMS_Nope',
        'bms/BMS_Pack/BMS_Nope names signal "BMS_Nope", which message BMS_Pack does not have.',
      ],
    ]);
  });

  it('reports a missing DBC file, an unused one and a DBC that does not parse', () => {
    expect(codes(lintCatalog(sources({ bms: undefined, extraFiles: { 'old.dbc': PT } })).diagnostics)).toEqual([
      'error CATALOG_FILE_MISSING',
      'warning CATALOG_FILE_UNUSED',
    ]);
    const broken = lintCatalog(
      sources({ bms: `${header}\nBO_ 512 BMS_Pack: 8 BMS\n SG_ X : 0|99@1+ (1,0) [0|1] "" VCU\n` }),
    );
    expect(
      broken.diagnostics.some((d) => d.severity === 'error' && d.file === 'bms.dbc' && d.code.startsWith('DBC_')),
    ).toBe(true);
    expect(broken.catalog).toBeUndefined();
  });

  it('reports signal id problems: file missing, signal without id, collision, stale retirement, unused id', () => {
    expect(codes(lintCatalog(sources({ ids: undefined })).diagnostics)).toEqual(['error CATALOG_SIGNAL_IDS_MISSING']);

    const partial = assignSignalIds(undefined, ALL_KEYS.slice(0, 7), { modelId: 'test-car', catalogVersion: '1.0.0' });
    expect(lintCatalog(sources({ ids: formatSignalIds(partial) })).diagnostics).toEqual([
      expect.objectContaining({ code: 'CATALOG_SIGNAL_ID_MISSING', path: 'bms/BMS_Event/BMS_Crash' }),
    ]);

    const colliding = JSON.parse(
      formatSignalIds(assignSignalIds(undefined, ALL_KEYS, { modelId: 'test-car', catalogVersion: '1.0.0' })),
    ) as {
      ids: Record<string, number>;
      retired: Record<string, string>;
    };
    colliding.ids['bms/BMS_Event/BMS_Crash'] = 0;
    colliding.ids['powertrain/VCU_Status/VCU_Gone'] = 42;
    colliding.retired['bms/BMS_Pack/BMS_Soc'] = '0.9.0';
    expect(codes(lintCatalog(sources({ ids: JSON.stringify(colliding) })).diagnostics)).toEqual([
      'error CATALOG_SIGNAL_ID_COLLISION',
      'error CATALOG_SIGNAL_ID_RETIRED',
      'warning CATALOG_SIGNAL_ID_UNUSED',
    ]);
  });

  it('checks id stability against the previous version', () => {
    // The previous version numbered VCU_Gear before VCU_Speed; the current file swapped them.
    const previous = assignSignalIds(undefined, ['powertrain/VCU_Status/VCU_Gear', ...ALL_KEYS], {
      modelId: 'test-car',
      catalogVersion: '0.9.0',
    });
    const result = lintCatalog(sources(), { previousSignalIds: formatSignalIds(previous) });
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['CATALOG_SIGNAL_ID_CHANGED', '/ids/powertrain~1VCU_Status~1VCU_Gear'],
      ['CATALOG_SIGNAL_ID_CHANGED', '/ids/powertrain~1VCU_Status~1VCU_Speed'],
    ]);
    expect(result.errorCount).toBe(2);
    expect(result.catalog).toBeUndefined();

    const same = assignSignalIds(undefined, ALL_KEYS, { modelId: 'test-car', catalogVersion: '0.9.0' });
    expect(lintCatalog(sources(), { previousSignalIds: formatSignalIds(same) }).diagnostics).toEqual([]);
  });

  it('reports manifest problems with their JSON pointers and stops there', () => {
    const result = readCatalog(
      sources({ manifest: { ...manifest, buses: [{ ...manifest.buses[0], dbc: 'a/pt.dbc' }] } }),
    );
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'CATALOG_MANIFEST_INVALID',
        file: 'manifest.json',
        path: '/buses/0/dbc',
        message: 'must be a file name ending in .dbc (no directories)',
      },
    ]);
  });

  it('warns when the model id differs from the directory and errors when the id file is for another model', () => {
    const wrongModel = formatSignalIds(
      assignSignalIds(undefined, ALL_KEYS, { modelId: 'other', catalogVersion: '1.0.0' }),
    );
    const result = lintCatalog({ ...sources({ ids: wrongModel }), directoryName: 'elsewhere' });
    expect(codes(result.diagnostics)).toEqual(['warning CATALOG_MODEL_MISMATCH', 'error CATALOG_MODEL_MISMATCH']);
  });

  it('lists catalog keys in manifest bus order, then file order', () => {
    const reading = readCatalog(sources());
    expect(catalogKeys(reading.buses)).toEqual(ALL_KEYS);
  });
});

describe('formatCatalogDiagnostic', () => {
  it('writes file:line, severity, code, message and path, prefixed by the model directory', () => {
    const d: CatalogDiagnostic = {
      severity: 'warning',
      code: 'X',
      message: 'Bad.',
      file: 'a.dbc',
      line: 3,
      path: 'b/M/s',
    };
    expect(formatCatalogDiagnostic(d)).toBe('a.dbc:3: warning X Bad. (b/M/s)');
    expect(formatCatalogDiagnostic(d, 'models/car/')).toBe('models/car/a.dbc:3: warning X Bad. (b/M/s)');
    expect(formatCatalogDiagnostic({ severity: 'error', code: 'Y', message: 'No file.' }, 'models/car')).toBe(
      'models/car: error Y No file.',
    );
  });
});
