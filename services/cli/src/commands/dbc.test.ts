import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const DBC = `VERSION ""

NS_ :

BS_:

BU_: ECU

BO_ 100 Engine: 2 ECU
 SG_ Rpm : 0|12@1+ (2,0) [0|8190] "rpm" ECU
 SG_ Mode : 12|4@1+ (1,0) [0|15] "" ECU

BO_ 2365484270 Big: 8 ECU
 SG_ Wide : 0|64@1- (1,0) [0|0] "" ECU

VAL_ 100 Mode 3 "Sport" ;
`;

const dir = mkdtempSync(path.join(tmpdir(), 'telltale-cli-dbc-'));
writeFileSync(path.join(dir, 'engine.dbc'), DBC);
writeFileSync(path.join(dir, 'broken.dbc'), `${DBC}\nBO_ 200 Bad: 1 ECU\n SG_ Out : 8|8@1+ (1,0) [0|0] "" ECU\n`);

async function run(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdin.end(input);
  const code = await main(args, { stdin, stdout, stderr, env: {}, cwd: dir });
  return { code, stdout: out, stderr: err };
}

describe('telltale dbc decode', () => {
  const frames = [
    '{"id": 100, "extended": false, "data": "0a30"}',
    '',
    '{"id": 218000622, "extended": true, "data": "ffffffffffffffff"}',
    '{"id": 101, "extended": false, "data": "00"}',
    '{"id": 100, "extended": false, "data": "0a"}',
    'not json',
    '{"id": 100, "extended": false, "data": "0"}',
  ].join('\n');

  it('prints one conformance line per frame line (blank lines skipped), errors included', async () => {
    const { code, stdout } = await run(['dbc', 'decode', 'engine.dbc'], frames);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      '{"id":100,"extended":false,"message":"Engine","signals":{"Rpm":20,"Mode":3},"choices":{"Mode":"Sport"}}',
      '{"id":218000622,"extended":true,"message":"Big","signals":{"Wide":-1},"choices":{}}',
      '{"id":101,"extended":false,"error":"no message with standard id 0x65","error_kind":"unknown_id"}',
      '{"id":100,"extended":false,"error":"Wrong data size: 1 instead of 2 bytes","error_kind":"decode"}',
      expect.stringMatching(/^\{"id":null,"extended":null,"error":"not JSON: .*","error_kind":"bad_input"\}$/),
      '{"id":100,"extended":false,"error":"\\"data\\" must be a hex string of whole bytes","error_kind":"bad_input"}',
    ]);
  });

  it('prints raw values with --raw: integers as decimal strings, 64-bit safe', async () => {
    const { stdout } = await run(['dbc', 'decode', 'engine.dbc', '--raw'], frames);
    const lines = stdout.split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ signals: { Rpm: '10', Mode: '3' } });
    expect(JSON.parse(lines[1]!)).toMatchObject({ signals: { Wide: '-1' } });
  });

  it('accepts a DBC with a signal past its message length (null in the output), unless --strict', async () => {
    const lenient = await run(['dbc', 'decode', 'broken.dbc'], '{"id": 200, "extended": false, "data": "01"}');
    expect(lenient.stdout).toBe('{"id":200,"extended":false,"message":"Bad","signals":{"Out":null},"choices":{}}\n');
    expect(lenient.stderr).toBe('broken.dbc: 1 warning (telltale dbc lint broken.dbc lists them)\n');
    const strict = await run(['dbc', 'decode', 'broken.dbc', '--strict'], '');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/^telltale dbc decode: \[DBC_INVALID\] broken\.dbc:19:12: Signal Out of message Bad/);
  });

  it('reports usage errors and unreadable files', async () => {
    expect((await run(['dbc', 'decode'])).code).toBe(2);
    expect((await run(['dbc', 'decode', 'engine.dbc', '--bogus'])).stderr).toMatch(/Unknown option '--bogus'/);
    const missing = await run(['dbc', 'decode', 'missing.dbc']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[FILE_UNREADABLE\] cannot read missing\.dbc/);
  });
});

describe('telltale dbc lint', () => {
  it('lists diagnostics as file:line:column and exits 1 on errors', async () => {
    const { code, stdout } = await run(['dbc', 'lint', 'broken.dbc']);
    expect(code).toBe(1);
    expect(stdout).toBe(
      'broken.dbc:19:12 error DBC_SIGNAL_OUT_OF_RANGE Signal Out of message Bad: ' +
        'bits reach byte 1 but the message is 1 bytes long.\n' +
        'broken.dbc: 1 error, 0 warnings; 3 messages, 4 signals (utf-8)\n',
    );
  });

  it('exits 0 for a clean file and downgrades past-the-end signals with --lenient', async () => {
    expect(await run(['dbc', 'lint', 'engine.dbc'])).toMatchObject({
      code: 0,
      stdout: 'engine.dbc: 0 errors, 0 warnings; 2 messages, 3 signals (utf-8)\n',
    });
    expect((await run(['dbc', 'lint', 'broken.dbc', '--lenient'])).code).toBe(0);
  });
});

describe('telltale bench decode', () => {
  it('ends with the figures line', async () => {
    writeFileSync(path.join(dir, 'frames.jsonl'), `${'{"id": 100, "extended": false, "data": "0a30"}\n'.repeat(50)}`);
    const { code, stdout } = await run([
      'bench',
      'decode',
      '--dbc',
      'engine.dbc',
      '--frames',
      'frames.jsonl',
      '--seconds',
      '0.2',
    ]);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ frames\/s, \d+ signals\/s$/);
    expect(stdout).toContain('command: telltale bench decode --dbc engine.dbc --frames frames.jsonl --seconds 0.2');
  });

  it('requires --dbc and --frames', async () => {
    expect((await run(['bench', 'decode', '--frames', 'frames.jsonl'])).stderr).toMatch(/missing --dbc/);
    expect((await run(['bench', 'decode', '--dbc', 'engine.dbc'])).stderr).toMatch(/missing --frames/);
  });
});
