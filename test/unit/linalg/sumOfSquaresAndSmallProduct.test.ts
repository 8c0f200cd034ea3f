import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { toShared } from '../../../src/core/parallel.js';
import { sumOfSquares } from '../../../src/linalg/sumOfSquares.js';
import { denseMulSmall } from '../../../src/linalg/denseMulSmall.js';

/** Seeded normal values in shared memory. */
function normals(len: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return toShared(Float64Array.from({ length: len }, () => rng.normal()));
}

describe('sumOfSquares', () => {
  it('sums squares (about the means when given), with the same bits for 1 and 2 threads', async () => {
    // 4 x 2: [[1, 2], [3, 4], [5, 6], [7, 8]]; sum of squares 204; about means (4, 5): 2 * (9 + 1 + 1 + 9) = 40.
    const small = { nRows: 4, nCols: 2, data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) };
    expect(await sumOfSquares(small, null, 1)).toBe(204);
    expect(await sumOfSquares(small, Float64Array.of(4, 5), 1)).toBe(40);
    // Large enough for workers: 9,000 x 500 normals, sum near n * p.
    const big = { nRows: 9000, nCols: 500, data: toShared(Float32Array.from(normals(9000 * 500, 3))) };
    let serial = 0;
    for (let t = 0; t < big.data.length; t++) serial += big.data[t] * big.data[t];
    const one = await sumOfSquares(big, null, 1);
    expect(await sumOfSquares(big, null, 2)).toBe(one);
    expect(Math.abs(one - serial) / serial).toBeLessThan(1e-12);
    expect(one / (9000 * 500)).toBeCloseTo(1, 1);
  });
});

describe('denseMulSmall', () => {
  it('equals the row-by-row product, with the same bits for 1 and 2 threads', async () => {
    // [[1, 2], [3, 4]] x [[1, 0, 2], [0, 1, 3]] = [[1, 2, 8], [3, 4, 18]].
    expect([...(await denseMulSmall(Float64Array.of(1, 2, 3, 4), 2, 2, Float64Array.of(1, 0, 2, 0, 1, 3), 3, 1))]).toEqual([1, 2, 8, 3, 4, 18]);
    const n = 10000, l = 60, k = 50;
    const x = normals(n * l, 5), b = normals(l * k, 6);
    const one = await denseMulSmall(x, n, l, b, k, 1);
    const two = await denseMulSmall(x, n, l, b, k, 2);
    expect(two.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    // Spot check against a direct dot product (same order of additions: exact).
    for (const [i, c] of [[0, 0], [9999, 49], [4321, 17]]) {
      let s = 0;
      for (let d = 0; d < l; d++) s += x[i * l + d] * b[d * k + c];
      expect(one[i * k + c]).toBe(s);
    }
  });
});
