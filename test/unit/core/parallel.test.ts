import { describe, expect, it } from 'vitest';
import { parallelMap, splitRange, toShared } from '../../../src/core/parallel.js';

const probeUrl = new URL('../../../src/core/parallelProbe.ts', import.meta.url).href;

describe('parallelMap', () => {
  it('splits a range into near-equal contiguous parts', () => {
    expect([...splitRange(10, 3)]).toEqual([0, 3, 3, 6, 6, 10]);
    expect([...splitRange(2, 4)]).toEqual([0, 1, 1, 2]);
  });

  it('gives the same results in task order with 1 and 2 threads', async () => {
    const values = toShared(Float64Array.from({ length: 1000 }, (_, t) => t));
    const ranges = splitRange(values.length, 7);
    const tasks = Array.from({ length: 7 }, (_, t) => [values, ranges[2 * t], ranges[2 * t + 1]]);
    const one = await parallelMap<number>(probeUrl, 'sumRange', tasks, 1);
    const two = await parallelMap<number>(probeUrl, 'sumRange', tasks, 2);
    expect(two).toEqual(one);
    // 0 + 1 + ... + 999 = 499500
    expect(one.reduce((a, b) => a + b, 0)).toBe(499500);
  });
});
