import { describe, expect, it } from 'vitest';
import { topicName } from './topics.js';

describe('topicName', () => {
  it('uses the bare name without a prefix', () => {
    expect(topicName('frames', '-')).toBe('tbox.frames.v1');
    expect(topicName('frames', '')).toBe('tbox.frames.v1');
  });

  it('adds the separator a prefix lacks, and keeps one it has', () => {
    expect(topicName('frames', 'ci')).toBe('ci.tbox.frames.v1');
    expect(topicName('frames', 'ci.')).toBe('ci.tbox.frames.v1');
    expect(topicName('frames', 'ci_')).toBe('ci_tbox.frames.v1');
    expect(topicName('frames', 'ci-')).toBe('ci-tbox.frames.v1');
  });
});
