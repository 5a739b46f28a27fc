import { describe, expect, it } from 'vitest';
import { SequenceWindow } from './sequence-window.js';

describe('SequenceWindow', () => {
  it('accepts any first seq, then refuses a jump beyond maxJump ahead of the newest', () => {
    const window = new SequenceWindow(100, 10);
    expect(window.isFarAhead('tbox-1:0', 4_000_000)).toBe(false);
    window.advance('tbox-1:0', 1000);
    expect(window.isFarAhead('tbox-1:0', 1100)).toBe(false);
    expect(window.isFarAhead('tbox-1:0', 1101)).toBe(true);
    expect(window.isFarAhead('tbox-1:0', 10)).toBe(false); // behind: backfill or redelivery
    window.advance('tbox-1:0', 1050);
    expect(window.isFarAhead('tbox-1:0', 1151)).toBe(true);
    window.advance('tbox-1:0', 5); // an older batch does not move the newest back
    expect(window.isFarAhead('tbox-1:0', 1151)).toBe(true);
  });

  it('keeps streams apart: a declared reset (new boot id) starts fresh', () => {
    const window = new SequenceWindow(100, 10);
    window.advance('tbox-1:0', 1000);
    expect(window.isFarAhead('tbox-1:7', 5)).toBe(false);
    expect(window.isFarAhead('tbox-2:0', 90_000)).toBe(false);
  });

  it('forgets the least recently used stream beyond maxStreams', () => {
    const window = new SequenceWindow(100, 2);
    window.advance('a', 1);
    window.advance('b', 1);
    window.advance('a', 2); // a is now the most recently used
    window.advance('c', 1);
    expect(window.size).toBe(2);
    expect(window.isFarAhead('b', 1_000)).toBe(false); // forgotten
    expect(window.isFarAhead('a', 1_000)).toBe(true);
  });
});
