/**
 * The shared DBC conformance suite (../shared/dbc-conformance beside the repository): cantools' decodes of 121 DBC
 * files. Every frame must agree, physical and raw, under the same rules as the suite's compare.mjs; and the batch
 * decoders (generated and interpreted) must agree with the per-frame API on every frame.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compileDatabase,
  decodeBatch,
  decodeFrame,
  FRAME_FLAG_EXTENDED,
  formatDecodeLine,
  parseDbc,
  parseFrameLine,
  SignalSink,
  type CompiledDatabase,
  type FrameDecodeResult,
  type FrameInput,
} from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const suiteRoot = path.resolve(repoRoot, '../shared/dbc-conformance');
const casesRoot = path.join(suiteRoot, 'cases');

function listCases(): { name: string; base: string }[] {
  if (!existsSync(casesRoot)) return [];
  return readdirSync(casesRoot)
    .sort()
    .flatMap((corpus) =>
      readdirSync(path.join(casesRoot, corpus))
        .filter((f) => f.endsWith('.dbc'))
        .sort()
        .map((f) => ({ name: `${corpus}/${f.slice(0, -4)}`, base: path.join(casesRoot, corpus, f.slice(0, -4)) })),
    );
}

const lines = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

// ---- compare.mjs, ported (same rules, same order) ----

const isIntString = (v: unknown): v is string => typeof v === 'string' && /^-?\d+$/.test(v);

function sameValue(e: unknown, a: unknown, raw: boolean): boolean {
  if (e === null || a === null) return e === a;
  if (raw && (isIntString(e) || isIntString(a))) {
    try {
      return (
        BigInt(e as string) === BigInt(typeof a === 'number' ? Math.round(a) : (a as string)) &&
        (typeof a !== 'number' || Number.isSafeInteger(a))
      );
    } catch {
      return false;
    }
  }
  const x = Number(e);
  const y = Number(a);
  if (typeof a !== 'number' && typeof a !== 'string') return false;
  if (Number.isNaN(x) || Number.isNaN(y)) return false;
  if (x === y) return true;
  if (raw) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

type Line = {
  message?: string;
  error?: string;
  error_kind?: string;
  signals?: Record<string, unknown>;
  choices?: Record<string, unknown>;
  nonfinite?: Record<string, unknown>;
};

function compareLine(e: Line, a: Line, raw: boolean): string[] {
  const problems: string[] = [];
  if (e.error !== undefined) {
    if (a.error === undefined) problems.push(`expected error (${e.error_kind}: ${e.error}), got a decode`);
    else if (a.error_kind !== e.error_kind) problems.push(`error_kind ${a.error_kind}, expected ${e.error_kind}`);
    return problems;
  }
  if (a.error !== undefined) return [`unexpected error ${a.error_kind}: ${a.error}`];
  if (a.message !== e.message) problems.push(`message ${a.message}, expected ${e.message}`);
  const es = e.signals ?? {};
  const as = a.signals ?? {};
  for (const k of Object.keys(es)) {
    if (!(k in as)) {
      problems.push(`signal ${k} missing`);
    } else if (es[k] === null) {
      if (as[k] !== null || a.nonfinite?.[k] !== e.nonfinite?.[k]) {
        problems.push(`${k}: expected non-finite ${String(e.nonfinite?.[k])}, got ${JSON.stringify(as[k])}`);
      }
    } else if (!sameValue(es[k], as[k], raw)) {
      problems.push(`${k}: ${JSON.stringify(as[k])}, expected ${JSON.stringify(es[k])}`);
    }
  }
  for (const k of Object.keys(as)) if (!(k in es)) problems.push(`unexpected signal ${k}`);
  if (!raw) {
    const ec = e.choices ?? {};
    const ac = a.choices ?? {};
    for (const k of Object.keys(ec))
      if (ac[k] !== ec[k]) problems.push(`${k}: choice ${JSON.stringify(ac[k])}, expected ${JSON.stringify(ec[k])}`);
    for (const k of Object.keys(ac)) if (!(k in ec)) problems.push(`${k}: unexpected choice ${JSON.stringify(ac[k])}`);
  }
  return problems;
}

function checkAgainst(
  results: readonly FrameDecodeResult[],
  frames: FrameInput[],
  expectedFile: string,
  raw: boolean,
): string[] {
  const expected = lines(expectedFile);
  const problems: string[] = [];
  if (expected.length !== frames.length) problems.push(`${expected.length} expected lines for ${frames.length} frames`);
  frames.forEach((frame, i) => {
    // Through the printed line, exactly as `telltale dbc decode` writes it.
    const actual = JSON.parse(formatDecodeLine(results[i]!)) as Line;
    for (const p of compareLine(JSON.parse(expected[i]!) as Line, actual, raw)) {
      problems.push(`line ${i + 1} id=${frame.id}: ${p}`);
    }
  });
  return problems;
}

/** Decodes all frames as one batch and checks each frame's output against the per-frame API's physical results. */
function checkBatchAgreement(
  compiled: CompiledDatabase,
  frames: FrameInput[],
  physical: readonly FrameDecodeResult[],
): string[] {
  const count = frames.length;
  const canId = new Uint32Array(count);
  const flags = new Uint8Array(count);
  const length = new Uint8Array(count);
  const data = new Uint8Array(frames.reduce((sum, f) => sum + f.data.length, 0));
  let offset = 0;
  frames.forEach((f, i) => {
    canId[i] = f.id;
    flags[i] = f.extended ? FRAME_FLAG_EXTENDED : 0;
    length[i] = f.data.length;
    data.set(f.data, offset);
    offset += f.data.length;
  });
  // A small sink forces the growth path too.
  const sink = new SignalSink(16, 4);
  decodeBatch({ count, canId, flags, length, data }, compiled, sink);

  const batchSignals = new Map<number, Map<string, number>>();
  for (let k = 0; k < sink.count; k++) {
    const signal = compiled.signalById(sink.signalId[k]!);
    if (!signal) return [`unknown signal id ${sink.signalId[k]} in batch output`];
    const perFrame = batchSignals.get(sink.frameIndex[k]!) ?? new Map<string, number>();
    perFrame.set(signal.signal.name, sink.value[k]!);
    batchSignals.set(sink.frameIndex[k]!, perFrame);
  }
  const batchErrors = new Map<number, number>();
  for (let k = 0; k < sink.errorCount; k++) batchErrors.set(sink.errorFrame[k]!, sink.errorReason[k]!);

  const problems: string[] = [];
  frames.forEach((_frame, i) => {
    const result = physical[i]!;
    if (!result.ok) {
      if (batchErrors.get(i) !== result.reason)
        problems.push(`frame ${i}: batch error ${batchErrors.get(i)}, per-frame reason ${result.reason}`);
      return;
    }
    const got = batchSignals.get(i) ?? new Map<string, number>();
    const want = Object.entries(result.signals);
    let present = 0;
    for (const [name, value] of want) {
      if (value === null && result.nonfinite?.[name] === undefined) continue; // never decodable: not in batch output
      present++;
      const batchValue = got.get(name);
      const expected =
        value === null ? Number(result.nonfinite![name] === 'NaN' ? NaN : result.nonfinite![name]) : value;
      // Exact equality (0 and -0 are equal: the generated code skips `+ 0`); NaN matches NaN.
      if (
        batchValue === undefined ||
        (batchValue !== expected && !(Number.isNaN(batchValue) && Number.isNaN(expected)))
      ) {
        problems.push(`frame ${i} ${result.message}.${name}: batch ${batchValue}, per-frame ${String(expected)}`);
      }
    }
    if (got.size !== present) problems.push(`frame ${i}: batch wrote ${got.size} signals, per-frame ${present}`);
  });
  return problems;
}

const cases = listCases();

describe('DBC conformance suite', () => {
  it('is present beside the repository', () => {
    expect(existsSync(casesRoot), `conformance suite not found at ${suiteRoot}`).toBe(true);
    expect(cases.length).toBe(121);
  });

  for (const testCase of cases) {
    it(testCase.name, () => {
      const bytes = readFileSync(`${testCase.base}.dbc`);
      // Strict loading rejects exactly the files whose expected output marks signals as not fitting their message.
      const hasUnfitSignals = readFileSync(`${testCase.base}.phys.jsonl`, 'utf8').includes('"unfit"');
      let strictError: unknown;
      try {
        parseDbc(bytes, { strict: true });
      } catch (error) {
        strictError = error;
      }
      expect(strictError === undefined, `strict load: ${String(strictError)}`).toBe(!hasUnfitSignals);
      // cantools' reading: strict=False, and a statement without its ';' is dropped (opendbc's GM powertrain file
      // ends a VAL_ that way; by default Telltale reads it, see parse.test.ts).
      const { database } = parseDbc(bytes, {
        fileName: `${testCase.name}.dbc`,
        strict: false,
        missingSemicolons: 'drop',
      });
      const frames = lines(`${testCase.base}.frames.jsonl`).map((line, i) => {
        const parsed = parseFrameLine(line);
        if (!parsed.ok) throw new Error(`frame line ${i + 1}: ${parsed.error}`);
        return parsed.frame;
      });
      const compiled = compileDatabase(database);
      const physical = frames.map((frame) => decodeFrame(compiled, frame));
      const raw = frames.map((frame) => decodeFrame(compiled, frame, { raw: true }));
      const problems = [
        ...checkAgainst(physical, frames, `${testCase.base}.phys.jsonl`, false).map((p) => `phys ${p}`),
        ...checkAgainst(raw, frames, `${testCase.base}.raw.jsonl`, true).map((p) => `raw ${p}`),
        ...checkBatchAgreement(compiled, frames, physical).map((p) => `batch ${p}`),
        ...checkBatchAgreement(compileDatabase(database, { codegen: false }), frames, physical).map(
          (p) => `interpreted ${p}`,
        ),
      ];
      expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([]);
    });
  }
});
