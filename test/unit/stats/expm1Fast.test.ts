import { describe, expect, it } from 'vitest';
import { expm1Fast } from '../../../src/stats/expm1Fast.js';
import { createRng } from '../../../src/core/rng.js';

/** Distance to the next double above |y|. */
function ulp(y: number): number {
  const b = new Float64Array([Math.abs(y)]);
  const u = new BigInt64Array(b.buffer);
  u[0] += 1n;
  return b[0] - Math.abs(y);
}

describe('expm1Fast', () => {
  it('agrees with Math.expm1 within its stated error over log-expression values and beyond', () => {
    const rng = createRng(7);
    let worstSmall = 0; // |x| < ln2/128: relative, in ulps
    let worstAbsBelow1 = 0;
    let worstUlpAbove1 = 0;
    let worstRel = 0;
    for (let t = 0; t < 200_000; t++) {
      // Float32 inputs, as log-normalized data hold: wide values, small ones and tiny ones.
      const scale = t % 3 === 0 ? 40 : t % 3 === 1 ? 1 : 0.01;
      const x = Math.fround((rng.next() - 0.3) * scale);
      const got = expm1Fast(x);
      const want = Math.expm1(x);
      const err = Math.abs(got - want);
      if (Math.abs(x) < Math.LN2 / 128) worstSmall = Math.max(worstSmall, err / ulp(want));
      if (Math.abs(x) < 1) worstAbsBelow1 = Math.max(worstAbsBelow1, err);
      else worstUlpAbove1 = Math.max(worstUlpAbove1, err / ulp(want));
      if (want !== 0) worstRel = Math.max(worstRel, err / Math.abs(want));
    }
    expect(worstSmall).toBeLessThanOrEqual(2);
    expect(worstAbsBelow1).toBeLessThan(5e-16);
    expect(worstUlpAbove1).toBeLessThanOrEqual(4);
    expect(worstRel).toBeLessThan(3e-14);
  });

  it('is exact where the answer is, and falls back outside its range', () => {
    expect(expm1Fast(0)).toBe(0);
    expect(expm1Fast(Math.LN2)).toBeCloseTo(1, 15);
    expect(expm1Fast(-800)).toBe(-1);
    expect(expm1Fast(800)).toBe(Infinity);
    expect(expm1Fast(Infinity)).toBe(Infinity);
    expect(expm1Fast(-Infinity)).toBe(-1);
    expect(Number.isNaN(expm1Fast(NaN))).toBe(true);
    // Both sides of the table's seams (k = +-1, +-64) and of the fallback threshold.
    for (const x of [Math.LN2 / 128, -Math.LN2 / 128, Math.LN2 / 64, Math.LN2, -Math.LN2, 699.9, -699.9, 700, -700]) {
      expect(Math.abs(expm1Fast(x) - Math.expm1(x)) / Math.abs(Math.expm1(x))).toBeLessThan(1e-14);
    }
  });
});
