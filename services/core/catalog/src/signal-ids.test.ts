import { describe, expect, it } from 'vitest';
import {
  assignSignalIds,
  checkSignalIds,
  formatSignalIds,
  parseSignalIds,
  signalIdProblems,
  type SignalIds,
} from './signal-ids.js';

const target = { modelId: 'm', catalogVersion: '1.0.0' };
const v2 = { modelId: 'm', catalogVersion: '2.0.0' };

describe('assignSignalIds', () => {
  it('numbers a first catalog consecutively in catalog order', () => {
    const ids = assignSignalIds(undefined, ['a/M/x', 'a/M/y', 'b/N/z'], target);
    expect([...ids.ids]).toEqual([
      ['a/M/x', 0],
      ['a/M/y', 1],
      ['b/N/z', 2],
    ]);
    expect(ids.retired.size).toBe(0);
  });

  it('keeps every existing id when a signal is added, wherever it sits in catalog order', () => {
    const first = assignSignalIds(undefined, ['a/M/x', 'a/M/y', 'b/N/z'], target);
    const second = assignSignalIds(first, ['a/M/new', 'a/M/x', 'a/M/y', 'b/N/z'], v2);
    for (const [key, id] of first.ids) expect(second.ids.get(key)).toBe(id);
    expect(second.ids.get('a/M/new')).toBe(3);
    expect(signalIdProblems(second, first)).toEqual([]);
  });

  it('retires a removed signal, keeps its id reserved and gives it back when the signal returns', () => {
    const first = assignSignalIds(undefined, ['a/M/x', 'a/M/y', 'b/N/z'], target);
    const removed = assignSignalIds(first, ['a/M/x', 'b/N/z'], v2);
    expect(removed.retired.get('a/M/y')).toBe('2.0.0');
    expect(removed.ids.get('a/M/y')).toBe(1);

    const added = assignSignalIds(removed, ['a/M/x', 'b/N/z', 'c/O/w'], { modelId: 'm', catalogVersion: '3.0.0' });
    expect(added.ids.get('c/O/w')).toBe(3); // not the reserved 1
    expect(added.retired.get('a/M/y')).toBe('2.0.0'); // retirement version is kept

    const revived = assignSignalIds(added, ['a/M/x', 'a/M/y', 'b/N/z', 'c/O/w'], {
      modelId: 'm',
      catalogVersion: '4.0.0',
    });
    expect(revived.ids.get('a/M/y')).toBe(1);
    expect(revived.retired.has('a/M/y')).toBe(false);
  });

  it('continues after the highest id even when it is retired', () => {
    const first = assignSignalIds(undefined, ['a/M/x', 'a/M/y'], target);
    const second = assignSignalIds(first, ['a/M/x', 'a/M/z'], v2);
    expect(second.ids.get('a/M/z')).toBe(2);
  });
});

describe('signal-ids.json', () => {
  it('round-trips through its text form, one id per line in id order', () => {
    const ids = assignSignalIds(assignSignalIds(undefined, ['a/M/x', 'a/M/y'], target), ['a/M/y', 'a/M/n'], v2);
    const text = formatSignalIds(ids);
    expect(text.split('\n').slice(4, 8)).toEqual(['    "a/M/x": 0,', '    "a/M/y": 1,', '    "a/M/n": 2', '  },']);
    const parsed = parseSignalIds(text);
    expect([...parsed.ids]).toEqual([...ids.ids]);
    expect([...parsed.retired]).toEqual([['a/M/x', '2.0.0']]);
    expect(formatSignalIds(parsed)).toBe(text);
  });

  it('rejects malformed ids and retired names without an id, naming the JSON path', () => {
    const bad = checkSignalIds(
      JSON.stringify({ modelId: 'm', catalogVersion: '1', ids: { 'a/M/x': -1, 'a/M/y': 1.5 } }),
    );
    expect(bad.ok ? [] : bad.problems).toEqual(['/ids/a~1M~1x must be ≥ 0', '/ids/a~1M~1y must be an integer id']);
    const orphan = checkSignalIds(
      JSON.stringify({ modelId: 'm', catalogVersion: '1', ids: {}, retired: { 'a/M/x': '1' } }),
    );
    expect(orphan.ok ? [] : orphan.problems).toEqual(['/retired/a~1M~1x has no id in /ids']);
  });
});

describe('signalIdProblems', () => {
  const make = (entries: [string, number][], catalogVersion = '1.0.0'): SignalIds => ({
    modelId: 'm',
    catalogVersion,
    ids: new Map(entries),
    retired: new Map(),
  });

  it('finds two names sharing one id', () => {
    expect(
      signalIdProblems(
        make([
          ['a/M/x', 0],
          ['a/M/y', 0],
        ]),
      ),
    ).toEqual([
      { code: 'CATALOG_SIGNAL_ID_COLLISION', key: 'a/M/y', message: 'Id 0 is assigned to both a/M/x and a/M/y.' },
    ]);
  });

  it('finds ids that changed or vanished since the previous version', () => {
    const previous = make(
      [
        ['a/M/x', 0],
        ['a/M/y', 1],
        ['a/M/z', 2],
      ],
      '1.0.0',
    );
    const current = make(
      [
        ['a/M/x', 0],
        ['a/M/y', 5],
      ],
      '2.0.0',
    );
    expect(signalIdProblems(current, previous).map((p) => [p.code, p.key])).toEqual([
      ['CATALOG_SIGNAL_ID_CHANGED', 'a/M/y'],
      ['CATALOG_SIGNAL_ID_DROPPED', 'a/M/z'],
    ]);
  });
});
