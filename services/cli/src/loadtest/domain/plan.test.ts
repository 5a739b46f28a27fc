import { describe, expect, it } from 'vitest';
import { offeredFramesPerS, parseSteps, stepsSeconds } from './plan.js';

describe('parseSteps', () => {
  it('reads increasing vehicle counts', () => {
    expect(parseSteps('1, 2,4,8')).toEqual([1, 2, 4, 8]);
  });
  it.each([
    ['1,1', 'steps must increase'],
    ['2,1', 'steps must increase'],
    ['0', 'step "0" must be a vehicle count'],
    ['1,,2', 'step "" must be a vehicle count'],
    ['1.5', 'step "1.5" must be a vehicle count'],
  ])('refuses %s, naming the problem', (text, message) => {
    expect(parseSteps(text)).toContain(message);
  });
});

describe('plan arithmetic', () => {
  it('bounds the steps and offers vehicles × frames/s', () => {
    expect(stepsSeconds({ steps: [1, 2, 4], stepSeconds: 30 })).toBe(90);
    expect(offeredFramesPerS(4, 5425)).toBe(21700);
  });
});
