/**
 * The encoder against real-world DBC files: the shared conformance suite (../shared/dbc-conformance beside the
 * repository, when present) holds 121 databases from cantools, opendbc and a generator of tricky layouts, with frames.
 * Decoding a frame, encoding the decoded physical values again and decoding that must give the same values (the bits
 * no signal covers are zero in our frames, and overlapping signals are rewritten with what they decoded).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileDatabase, decodeFrame } from '../core-api.js';
import { parseDbc, parseFrameLine } from '@telltale/dbc';
import { MessageEncoder } from './encode.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const casesRoot = path.resolve(repoRoot, '../shared/dbc-conformance/cases');

function listCases(): string[] {
  if (!existsSync(casesRoot)) return [];
  return readdirSync(casesRoot)
    .sort()
    .flatMap((corpus) =>
      readdirSync(path.join(casesRoot, corpus))
        .filter((f) => f.endsWith('.dbc'))
        .sort()
        .map((f) => path.join(casesRoot, corpus, f.slice(0, -4))),
    );
}

const cases = listCases();

describe('encoder: re-encodes the conformance suite’s decoded frames', () => {
  it('finds the conformance suite in ../shared/dbc-conformance beside the repository', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((base) => [path.relative(casesRoot, base), base]))('%s', (_name, base) => {
    let database;
    try {
      database = parseDbc(readFileSync(`${base}.dbc`), { strict: false }).database;
    } catch {
      return; // files the suite expects to fail loading
    }
    const compiled = compileDatabase(database);
    const encoders = new Map(compiled.messages.map((m) => [m.message, new MessageEncoder(m.message)]));
    let checked = 0;
    for (const line of readFileSync(`${base}.frames.jsonl`, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const parsed = parseFrameLine(line);
      if (!parsed.ok) continue;
      const decoded = decodeFrame(compiled, parsed.frame);
      if (!decoded.ok || decoded.nonfinite) continue;
      const message = compiled.lookup(parsed.frame.id, parsed.frame.extended)!.message;
      const encoder = encoders.get(message)!;
      const switches: Record<string, number> = {};
      for (const s of message.signals) {
        const v = decoded.signals[s.name];
        if (s.multiplexing.isMultiplexer && typeof v === 'number')
          switches[s.name] = Math.round((v - s.offset) / s.scale);
      }
      const page = encoder.findPage(switches);
      if (page < 0) continue; // a labelled switch value without signals: nothing to write
      const values = new Float64Array(message.signals.length);
      let writable = true;
      for (const i of encoder.pages[page]!.signals) {
        const v = decoded.signals[message.signals[i]!.name];
        if (typeof v !== 'number') writable = false;
        values[i] = v as number;
      }
      if (!writable) continue; // signals past the message length (strict: false) never decode
      const out = new Uint8Array(message.length);
      encoder.encode(values, page, out, 0);
      const again = decodeFrame(compiled, { ...parsed.frame, data: out });
      expect(again.ok).toBe(true);
      if (!again.ok) continue;
      for (const [name, value] of Object.entries(decoded.signals)) {
        const signal = message.signals.find((s) => s.name === name)!;
        // Beyond 53 bits, or a float whose offset swamps it, a double is not exact: within a relative 1e-9 then.
        const tolerance =
          Math.max(Math.abs(value as number), Math.abs(signal.offset)) * 1e-9 +
          (signal.length > 53 ? Math.abs(signal.scale) : 0);
        expect(
          Math.abs((again.signals[name] as number) - (value as number)),
          `${message.name}.${name} of ${line}`,
        ).toBeLessThanOrEqual(tolerance);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(0);
  });
});
