import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../command.js';
import { main } from '../main.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const VAN = 'signal-catalog/cargo-van-e-2025';
const AURORA = 'signal-catalog/aurora-ev-2026';

function capture(cwd = repo): { io: CliIo; out: () => string; err: () => string } {
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

const temporary: string[] = [];
async function copyOfVan(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'telltale-catalog-'));
  temporary.push(dir);
  const target = path.join(dir, 'cargo-van-e-2025');
  await cp(path.join(repo, VAN), target, { recursive: true });
  return target;
}
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('telltale catalog stats', () => {
  it('prints totals one per line and a row per bus', async () => {
    const c = capture();
    expect(await main(['catalog', 'stats', AURORA], c.io)).toBe(0);
    const signals = Number(/^(\d+) signals$/m.exec(c.out())?.[1]);
    expect(signals).toBeGreaterThanOrEqual(8000);
    expect(c.out()).toMatch(/^5 buses$/m);
    expect(c.out()).toMatch(/^\d+ multiplexed messages$/m);
    expect(c.out()).toMatch(/^\d+ FD messages$/m);
    for (const bus of ['powertrain', 'chassis', 'body', 'bms', 'adas'])
      expect(c.out()).toMatch(new RegExp(`^${bus} +\\d`, 'm'));
  });

  it('prints JSON with --json', async () => {
    const c = capture();
    expect(await main(['catalog', 'stats', VAN, '--json'], c.io)).toBe(0);
    const stats = JSON.parse(c.out()) as { modelId: string; signals: number; buses: { signals: number }[] };
    expect(stats.modelId).toBe('cargo-van-e-2025');
    expect(stats.signals).toBe(stats.buses.reduce((n, b) => n + b.signals, 0));
  });

  it('fails with the errors when the catalog does not load, and on a directory without a manifest', async () => {
    const dir = await copyOfVan();
    await rm(path.join(dir, 'van_body.dbc'));
    const c = capture();
    expect(await main(['catalog', 'stats', dir], c.io)).toBe(1);
    expect(c.err()).toContain('CATALOG_FILE_MISSING');
    const missing = capture();
    expect(await main(['catalog', 'stats', 'signal-catalog/generator'], missing.io)).toBe(1);
    expect(missing.err()).toContain('[CATALOG_NOT_FOUND]');
  });
});

describe('telltale catalog lint', () => {
  it('passes a clean model', async () => {
    const c = capture();
    expect(await main(['catalog', 'lint', VAN], c.io)).toBe(0);
    expect(c.out()).toMatch(/^signal-catalog\/cargo-van-e-2025: 0 errors, 0 warnings, \d+ signals$/m);
  });

  it('lists findings with file and JSON path and exits 1 on errors', async () => {
    const dir = await copyOfVan();
    const manifestPath = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { aliases: Record<string, string> };
    manifest.aliases.soc = 'chassis/BMS_Pack/BMS_Soc';
    await writeFile(manifestPath, JSON.stringify(manifest));
    const c = capture();
    expect(await main(['catalog', 'lint', dir], c.io)).toBe(1);
    expect(c.out()).toContain(
      'manifest.json: error CATALOG_UNKNOWN_REFERENCE chassis/BMS_Pack/BMS_Soc names bus "chassis"',
    );
    expect(c.out()).toContain('(/aliases/soc)');
    expect(c.out()).toContain('1 error, 0 warnings');
  });

  it('checks id stability against --previous', async () => {
    const dir = await copyOfVan();
    const ids = JSON.parse(await readFile(path.join(dir, 'signal-ids.json'), 'utf8')) as {
      ids: Record<string, number>;
    };
    ids.ids['powertrain/VCU_Status/VCU_VehicleSpeed'] = 99999;
    await writeFile(path.join(dir, 'old-ids.json'), JSON.stringify(ids));
    const c = capture();
    expect(await main(['catalog', 'lint', VAN, '--previous', path.join(dir, 'old-ids.json')], c.io)).toBe(1);
    expect(c.out()).toContain('CATALOG_SIGNAL_ID_CHANGED powertrain/VCU_Status/VCU_VehicleSpeed had id 99999');
  });

  it('rejects bad usage with exit 2', async () => {
    for (const args of [
      ['catalog', 'lint'],
      ['catalog', 'lint', VAN, VAN],
      ['catalog', 'stats', VAN, '--colour'],
    ]) {
      const c = capture();
      expect(await main(args, c.io)).toBe(2);
      expect(c.err()).toContain('Usage: telltale catalog');
    }
  });
});

describe('telltale catalog assign-ids', () => {
  it('recreates the committed assignment from scratch and is idempotent', async () => {
    const dir = await copyOfVan();
    const committed = await readFile(path.join(dir, 'signal-ids.json'), 'utf8');
    await rm(path.join(dir, 'signal-ids.json'));
    const first = capture();
    expect(await main(['catalog', 'assign-ids', dir], first.io)).toBe(0);
    expect(await readFile(path.join(dir, 'signal-ids.json'), 'utf8')).toBe(committed);
    const second = capture();
    expect(await main(['catalog', 'assign-ids', dir], second.io)).toBe(0);
    expect(second.out()).toMatch(/: 0 new ids, 0 newly retired, \d+ in total/);
  });

  it('refuses while other errors remain', async () => {
    const dir = await copyOfVan();
    await writeFile(path.join(dir, 'manifest.json'), '{}');
    const c = capture();
    expect(await main(['catalog', 'assign-ids', dir], c.io)).toBe(1);
    expect(c.err()).toContain('fix these errors before assigning ids');
  });
});
