import { describe, expect, it } from 'vitest';
import { isTelltaleError } from '@telltale/platform/errors';
import { checkManifest, parseManifest } from './manifest.js';

const valid = {
  modelId: 'test-car-2026',
  displayName: 'Test car',
  catalogVersion: '1.2.0',
  buses: [
    { index: 0, name: 'powertrain', dbc: 'pt.dbc', bitrate: 500000, fd: true, dataBitrate: 2000000 },
    { index: 1, name: 'body', dbc: 'body.dbc', bitrate: 250000 },
  ],
  aliases: { vehicleSpeed: 'powertrain/VCU_Status/VCU_Speed' },
  signalOverrides: { 'body/BCM_Env/BCM_AmbientTemp': { staleAfterMs: 5000, reason: 'slow sensor' } },
};

const problems = (manifest: unknown): string[] => {
  const result = checkManifest(JSON.stringify(manifest));
  return result.ok ? [] : result.problems;
};

describe('manifest', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const manifest = parseManifest(JSON.stringify({ ...valid, aliases: undefined, signalOverrides: undefined }));
    expect(manifest.buses[1]?.fd).toBe(false);
    expect(manifest.aliases).toEqual({});
    expect(manifest.signalOverrides).toEqual({});
  });

  it('names the JSON path of a bad DBC file name', () => {
    const buses = [valid.buses[0], { ...valid.buses[1], dbc: '../body.dbc' }];
    expect(problems({ ...valid, buses })).toEqual(['/buses/1/dbc must be a file name ending in .dbc (no directories)']);
  });

  it('reports missing, mistyped and unknown properties with their paths', () => {
    const { displayName: _omitted, ...rest } = valid;
    const found = problems({ ...rest, catalogVersion: 3, colour: 'red' });
    expect(found).toContain('/displayName is required');
    expect(found).toContain('/catalogVersion must be a string');
    expect(found).toContain('/colour is not a known property');
  });

  it('rejects duplicate bus indexes, names and files, and a data bit rate on a classic bus', () => {
    const buses = [valid.buses[0], { ...valid.buses[0], dataBitrate: 1000, fd: false }];
    expect(problems({ ...valid, buses })).toEqual([
      '/buses/1/dataBitrate is only valid on a CAN FD bus (fd: true)',
      '/buses/1/index duplicates /buses/0/index',
      '/buses/1/name duplicates /buses/0/name',
      '/buses/1/dbc duplicates /buses/0/dbc',
    ]);
  });

  it('escapes "/" in qualified names inside JSON pointers', () => {
    const found = problems({ ...valid, signalOverrides: { 'body/BCM_Env/BCM_AmbientTemp': { staleAfterMs: -1 } } });
    expect(found).toEqual([
      '/signalOverrides/body~1BCM_Env~1BCM_AmbientTemp/staleAfterMs must be ≥ 0 (0 means never stale)',
    ]);
  });

  it('rejects alias targets that are not qualified names', () => {
    expect(problems({ ...valid, aliases: { soc: 'BMS_Soc' } })).toEqual([
      '/aliases/soc must be a qualified signal name <bus>/<message>/<signal>',
    ]);
  });

  it('throws CATALOG_INVALID listing every problem, and reports text that is not JSON', () => {
    expect(problems('{')).toEqual(['/ must be an object']); // a JSON string: valid JSON, wrong type
    const broken = checkManifest('{');
    expect(broken.ok ? [] : broken.problems).toEqual([expect.stringMatching(/^\/ is not valid JSON: /)]);
    try {
      parseManifest(JSON.stringify({ ...valid, modelId: 'Bad Id', buses: [] }));
      expect.unreachable();
    } catch (error) {
      expect(isTelltaleError(error, 'CATALOG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('/modelId must be a lowercase id');
      expect((error as Error).message).toContain('/buses must list at least one bus');
    }
  });
});
