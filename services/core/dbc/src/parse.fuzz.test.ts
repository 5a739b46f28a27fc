/**
 * Property: checkDbc (and parseDbc) never fail with anything but diagnostics, whatever the bytes: random bytes,
 * soups of DBC tokens, and real fixture files with random edits all give a result (parseDbc: a result or a
 * DbcError DBC_INVALID) within a time bound per case. Sized by TELLTALE_FUZZ_RUNS (`npm run fuzz` runs it long);
 * dbc depends on nothing else in the repository, so it reads the variable itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDbcError } from './errors.js';
import { checkDbc, parseDbc } from './parse.js';

const RUNS = Number(process.env.TELLTALE_FUZZ_RUNS ?? 200);
/** Per case: generous (a loaded CI machine), far below what a quadratic blow-up on these sizes would take. */
const CASE_BOUND_MS = 2_000;

const fixturesDir = new URL('./fixtures/', import.meta.url);
const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.dbc'))
  .map((f) => readFileSync(new URL(f, fixturesDir)));

const TOKENS = [
  'VERSION', 'NS_', 'BS_', 'BU_', 'BO_', 'SG_', 'CM_', 'BA_DEF_', 'BA_DEF_DEF_', 'BA_', 'BA_REL_', 'VAL_',
  'VAL_TABLE_', 'SIG_VALTYPE_', 'SG_MUL_VAL_', 'BO_TX_BU_', 'SIG_GROUP_', 'EV_', 'SGTYPE_', 'BU_SG_REL_', 'M',
  'm0', 'm1M', 'm', ':', ';', ',', '|', '@', '(', ')', '[', ']', '+', '-', '0', '1', '7', '8', '64', '65',
  '2147483648', '-1', '1e2', '0.5', '"', '"text"', '"\\"', 'ECU', 'Vector__XXX', 'INT', 'FLOAT', 'ENUM', 'STRING',
  'HEX', '\n', '\r\n', ' ', '//', '\u00e9', '\u0000',
]; // prettier-ignore

/** Runs one input through both entry points; fails on anything but diagnostics or DBC_INVALID. */
function loadsOrReports(input: string | Uint8Array): void {
  const started = performance.now();
  const { diagnostics } = checkDbc(input, { strict: false });
  expect(Array.isArray(diagnostics)).toBe(true);
  try {
    parseDbc(input);
  } catch (error) {
    if (!isDbcError(error, 'DBC_INVALID')) throw error;
  }
  expect(performance.now() - started).toBeLessThan(CASE_BOUND_MS);
}

let cases = 0;
const counted = (input: string | Uint8Array): void => {
  cases++;
  loadsOrReports(input);
};

describe('parseDbc fuzz', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), counted), { numRuns: RUNS });
  });

  it('token soup', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 400 }).map((t) => t.join(' '));
    fc.assert(fc.property(soup, counted), { numRuns: RUNS });
  });

  it('mutated fixture files', () => {
    const edit = fc.record({ at: fc.nat(), length: fc.nat({ max: 40 }), insert: fc.constantFrom(...TOKENS, '') });
    const mutated = fc
      .tuple(fc.constantFrom(...fixtures), fc.array(edit, { minLength: 1, maxLength: 8 }))
      .map(([bytes, edits]) => {
        let text = bytes.toString('latin1');
        for (const { at, length, insert } of edits) {
          const position = at % (text.length + 1);
          text = text.slice(0, position) + insert + text.slice(position + length);
        }
        return Buffer.from(text, 'latin1');
      });
    fc.assert(fc.property(mutated, counted), { numRuns: RUNS });
    // Reported by `npx vitest run --project unit services/core/dbc/src/parse.fuzz.test.ts` (three properties).
    console.log(`parse fuzz: ${cases} cases`);
    expect(cases).toBeGreaterThanOrEqual(RUNS);
  });
});
