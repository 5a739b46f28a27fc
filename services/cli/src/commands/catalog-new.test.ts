import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '@telltale/catalog';
import type { CliIo } from '../command.js';
import { main } from '../main.js';
import { busNameOf } from './catalog-new.js';

const DBC = `VERSION ""

NS_ :

BS_:

BU_: VCU BMS

BO_ 256 VCU_Status: 8 VCU
 SG_ VCU_VehicleSpeed : 0|16@1+ (0.01,0) [0|655.35] "km/h" Vector__XXX
 SG_ VCU_Gear : 16|4@1+ (1,0) [0|15] "" Vector__XXX

BO_ 512 BMS_Pack: 4 BMS
 SG_ BMS_Soc : 0|8@1+ (0.5,0) [0|100] "%" Vector__XXX
 SG_ BMS_PackVoltage : 16|16@1+ (0.1,0) [0|1000] "V" Vector__XXX
 SG_ BMS_Broken : 24|16@1+ (1,0) [0|65535] "" Vector__XXX

CM_ SG_ 512 BMS_Broken "Reaches bytes 3-4 of a 4-byte frame.";
VAL_ 256 VCU_Gear 0 "P" 1 "R" 2 "N" 3 "D" ;
VAL_ 512 BMS_Broken 0 "Off" 1 "On" ;
`;

const temporary: string[] = [];
async function workDir(dbc = DBC): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'telltale-catalog-new-'));
  temporary.push(dir);
  await writeFile(path.join(dir, 'Supplier Powertrain.dbc'), dbc);
  return dir;
}
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function capture(cwd: string): { io: CliIo; out: () => string; err: () => string } {
  const text = { out: '', err: '' };
  const sink = (key: 'out' | 'err'): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text[key] += chunk.toString();
        done();
      },
    });
  return {
    io: { stdin: new PassThrough(), stdout: sink('out'), stderr: sink('err'), env: {}, cwd },
    out: () => text.out,
    err: () => text.err,
  };
}

describe('telltale catalog new', () => {
  it('creates a loadable model, leaving out a signal past its message end, loudly', async () => {
    const cwd = await workDir();
    const c = capture(cwd);
    expect(await main(['catalog', 'new', 'my-van', '--dbc', 'Supplier Powertrain.dbc'], c.io)).toBe(0);
    expect((await readdir(path.join(cwd, 'my-van'))).sort()).toEqual([
      'Supplier_Powertrain.dbc',
      'Supplier_Powertrain.dbc.supplier',
      'manifest.json',
      'signal-ids.json',
    ]);
    expect(c.err()).toContain('WARNING: 1 signal of Supplier Powertrain.dbc reach past');
    expect(c.err()).toContain('BMS_Pack.BMS_Broken');
    expect(c.out()).toMatch(/Created my-van: model my-van 1\.0\.0, bus supplier_powertrain \(classic CAN\), 4 signals/);
    expect(c.out()).toContain('Next steps:');

    const catalog = await loadCatalog(path.join(cwd, 'my-van'));
    expect(catalog.modelId).toBe('my-van');
    expect(catalog.signalCount).toBe(4);
    const manifest = JSON.parse(await readFile(path.join(cwd, 'my-van', 'manifest.json'), 'utf8')) as {
      buses: { comment?: string }[];
    };
    expect(manifest.buses[0]!.comment).toContain('BMS_Pack.BMS_Broken');
    const kept = await readFile(path.join(cwd, 'my-van', 'Supplier_Powertrain.dbc'), 'utf8');
    expect(kept).not.toContain('BMS_Broken');
    expect(kept).toContain('VAL_ 256 VCU_Gear');
  });

  it('takes --bus, --fd and --model-id', async () => {
    const cwd = await workDir(DBC.replace(/ SG_ BMS_Broken.*\n/, '').replace(/.*BMS_Broken.*\n/g, ''));
    const c = capture(cwd);
    const args = ['catalog', 'new', 'out', '--dbc', 'Supplier Powertrain.dbc', '--bus', 'pt', '--fd'];
    expect(await main([...args, '--model-id', 'van-x-2027'], c.io)).toBe(0);
    expect(c.err()).toBe('');
    const catalog = await loadCatalog(path.join(cwd, 'out'));
    expect(catalog.modelId).toBe('van-x-2027');
    expect(catalog.buses[0]).toMatchObject({ name: 'pt', fd: true });
  });

  it('creates nothing for a DBC with other errors, or in a directory with files', async () => {
    const cwd = await workDir('BO_ 1 X: 8 Y\n SG_ broken');
    const c = capture(cwd);
    expect(await main(['catalog', 'new', 'bad', '--dbc', 'Supplier Powertrain.dbc'], c.io)).toBe(1);
    expect(c.err()).toContain('nothing was created');
    expect(await readdir(cwd)).toEqual(['Supplier Powertrain.dbc']);
    const full = capture(cwd);
    expect(await main(['catalog', 'new', '.', '--dbc', 'x.dbc', '--model-id', 'abc'], full.io)).toBe(1);
    expect(full.err()).toContain('[CATALOG_DIR_NOT_EMPTY]');
  });

  it('rejects bad usage with exit 2', async () => {
    const cwd = await workDir();
    for (const args of [
      ['catalog', 'new', 'm'],
      ['catalog', 'new', '--dbc', 'a.dbc'],
      ['catalog', 'new', 'Bad_Name', '--dbc', 'a.dbc'],
    ]) {
      const c = capture(cwd);
      expect(await main(args, c.io)).toBe(2);
      expect(c.err()).toContain('Usage: telltale catalog new');
    }
  });

  it('names the bus after the DBC file', () => {
    expect(busNameOf('dir/powertrain.dbc')).toBe('powertrain');
    expect(busNameOf('Supplier CAN-1.DBC')).toBe('supplier_can_1');
    expect(busNameOf('123.dbc')).toBe('can0');
  });
});
