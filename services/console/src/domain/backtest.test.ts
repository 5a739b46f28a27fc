import { describe, expect, it } from 'vitest';
import {
  backtestRequest,
  chartSignal,
  diffLine,
  parseVins,
  progressLine,
  transitionMarkers,
  type BacktestForm,
  type BacktestJobJson,
  type BacktestTransition,
} from './backtest.js';

const VIN_A = '1HGCM82633A004352';
const VIN_B = 'WVWZZZ1JZXW000001';
const form: BacktestForm = {
  text: '{"id":"r","condition":"x > 1"}',
  saved: null,
  fromMs: 1000,
  toMs: 2000,
  scope: 'all',
  fleet: '',
  vins: '',
};

describe('parseVins', () => {
  it('splits on spaces, commas and lines, upper-cases and keeps each once', () => {
    expect(parseVins(` ${VIN_A.toLowerCase()},${VIN_B}\n${VIN_A} `)).toEqual({ vins: [VIN_A, VIN_B], invalid: [] });
  });
  it('names what is not a VIN (length, I/O/Q)', () => {
    expect(parseVins('ABC 1HGCM82633A00435O').invalid).toEqual(['ABC', '1HGCM82633A00435O']);
  });
});

describe('backtestRequest', () => {
  it('sends the editor text as a draft over every vehicle of the key by default', () => {
    expect(backtestRequest(form)).toEqual({ body: { rule: { id: 'r', condition: 'x > 1' }, from: 1000, to: 2000 } });
  });
  it('replays the saved version when the editor still holds it', () => {
    const saved = { ruleId: 'r', version: 3, text: form.text + '\n' };
    expect(backtestRequest({ ...form, saved })).toEqual({ body: { ruleId: 'r', version: 3, from: 1000, to: 2000 } });
    expect(backtestRequest({ ...form, saved, text: '{"id":"r"}' })).toEqual({
      body: { rule: { id: 'r' }, from: 1000, to: 2000 },
    });
  });
  it('names a fleet or the VINs', () => {
    expect(backtestRequest({ ...form, scope: 'fleet', fleet: 'f1' })).toMatchObject({ body: { fleet: 'f1' } });
    expect(backtestRequest({ ...form, scope: 'vins', vins: VIN_A })).toMatchObject({ body: { vins: [VIN_A] } });
  });
  it('refuses a bad form with the reason instead of sending it (an empty end is now)', () => {
    expect(backtestRequest({ ...form, fromMs: Number.NaN })).toEqual({ problem: 'Give the start of the range.' });
    expect(backtestRequest({ ...form, toMs: Number.NaN })).toEqual({
      body: { rule: { id: 'r', condition: 'x > 1' }, from: 1000 },
    });
    expect(backtestRequest({ ...form, toMs: 1000 })).toEqual({
      problem: 'The end of the range must be after its start.',
    });
    expect(backtestRequest({ ...form, text: '{' })).toMatchObject({ problem: /not valid JSON/ });
    expect(backtestRequest({ ...form, text: '[1]' })).toEqual({ problem: 'The rule must be a JSON object.' });
    expect(backtestRequest({ ...form, scope: 'fleet' })).toEqual({ problem: 'Pick a fleet.' });
    expect(backtestRequest({ ...form, scope: 'vins', vins: ' ' })).toEqual({ problem: 'Name at least one VIN.' });
    expect(backtestRequest({ ...form, scope: 'vins', vins: 'nope' })).toMatchObject({ problem: /Not a VIN.*NOPE/ });
  });
});

const job = (over: Partial<BacktestJobJson>): BacktestJobJson => ({
  id: 'j',
  state: 'running',
  ruleId: 'r',
  ruleVersion: 1,
  draft: true,
  from: '',
  to: '',
  vehicles: 2,
  progress: null,
  error: null,
  result: null,
  ...over,
});

describe('progressLine', () => {
  it('says how far a running job got', () => {
    expect(progressLine(job({}))).toBe('starting · 2 vehicles');
    const progress = {
      fraction: 0.427,
      hoursRead: 3,
      hourGroups: 24,
      files: 5,
      samples: 12345,
      transitions: 7,
      reached: '',
    };
    expect(progressLine(job({ progress }))).toBe(
      '42 % · 3 of 24 hours read · 12,345 samples · 7 transitions · 2 vehicles',
    );
  });
  it('says how a job ended', () => {
    expect(progressLine(job({ state: 'cancelled' }))).toBe('cancelled');
    expect(progressLine(job({ state: 'failed', error: { code: 'X', message: 'archive gone' } }))).toBe(
      'failed: archive gone',
    );
  });
});

const t = (vin: string, eventTimeMs: number, state: BacktestTransition['state'], signals: string[]) =>
  ({
    alertId: 'a',
    transitionSeq: 1,
    vin,
    ruleVersion: 1,
    state,
    severity: 'warning',
    eventTimeMs,
    timer: false,
    message: '',
    evidence: signals.map((s) => ({ signal: s, qualifiedName: `bus/m/${s}`, value: 1, eventTimeMs, unit: '' })),
  }) satisfies BacktestTransition;

describe('chart of a vehicle', () => {
  const transitions = [
    t(VIN_A, 5000, 'cleared', ['speed']),
    t(VIN_A, 2000, 'raised', ['speed', 'temp']),
    t(VIN_B, 3000, 'raised', ['temp']),
  ];
  it("marks only that vehicle's transitions, in time order", () => {
    expect(transitionMarkers(transitions, VIN_A)).toEqual([
      { timeS: 2, label: '▲ raised' },
      { timeS: 5, label: '▼ cleared' },
    ]);
  });
  it('plots the signal its evidence names most', () => {
    expect(chartSignal(transitions, VIN_A)).toBe('bus/m/speed');
    expect(chartSignal(transitions, VIN_B)).toBe('bus/m/temp');
    expect(chartSignal(transitions, 'none')).toBeNull();
  });
});

describe('diffLine', () => {
  const empty = { count: 0, items: [] };
  it('says when the backtest reproduces live exactly, and counts the differences otherwise', () => {
    expect(diffLine({ live: 4, matched: 4, onlyBacktest: empty, onlyLive: empty, changed: empty })).toBe(
      'Same as live: all 4 transitions match.',
    );
    expect(
      diffLine({
        live: 4,
        matched: 2,
        onlyBacktest: { count: 1, items: [] },
        onlyLive: empty,
        changed: { count: 2, items: [] },
      }),
    ).toBe('2 of 4 live transitions matched · 1 only in the backtest · 0 only live · 2 changed');
    expect(diffLine(null)).toBe('Not compared with live for this run.');
  });
});
