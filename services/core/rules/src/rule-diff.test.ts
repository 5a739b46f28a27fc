import { describe, expect, it } from 'vitest';
import { diffDefinitions, summarizeDefinition } from './rule-diff.js';

describe('diffDefinitions', () => {
  it('lists changed, added and removed top-level fields, ignoring version and key order', () => {
    const before = { id: 'r', version: 1, condition: 'a > 1', clear: { for: '30s', condition: 'a < 1' }, tags: ['x'] };
    const after = {
      id: 'r',
      version: 2,
      condition: 'a > 2',
      clear: { condition: 'a < 1', for: '30s' },
      severity: 'major',
    };
    expect(diffDefinitions(before, after)).toEqual({
      changed: ['condition', 'severity', 'tags'],
      added: ['severity'],
      removed: ['tags'],
      before: { condition: 'a > 1', severity: null, tags: ['x'] },
      after: { condition: 'a > 2', severity: 'major', tags: null },
    });
  });

  it('is empty for equal definitions', () => {
    expect(diffDefinitions({ id: 'r', version: 1 }, { id: 'r', version: 2 })).toMatchObject({ changed: [] });
  });
});

describe('summarizeDefinition', () => {
  it('names the rule and its fields', () => {
    expect(summarizeDefinition({ id: 'r', version: 1, name: 'R', condition: 'a > 1' })).toEqual({
      name: 'R',
      fields: ['condition', 'id', 'name', 'version'],
    });
  });
});
