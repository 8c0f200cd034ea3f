import { describe, expect, it } from 'vitest';
import { isOutlier, MAD_CONSTANT } from '../../../src/qc/isOutlier.js';

describe('isOutlier (scater definition)', () => {
  it('flags values beyond median +- 3 * 1.4826 * MAD on the linear scale', () => {
    // values 1,2,3,4,100: median 3; |x - 3| = 2,1,0,1,97 -> MAD = median = 1, scaled 1.4826
    // upper = 3 + 3 * 1.4826 = 7.4478, lower = 3 - 4.4478 = -1.4478 -> only 100 is an outlier
    const r = isOutlier(Float64Array.of(1, 2, 3, 4, 100), { type: 'both' });
    expect([...r.outlier]).toEqual([0, 0, 0, 0, 1]);
    expect(r.upper[0]).toBeCloseTo(3 + 3 * MAD_CONSTANT, 12);
    expect(r.lower[0]).toBeCloseTo(3 - 3 * MAD_CONSTANT, 12);
  });

  it('uses the log2 scale for the lower tail and reports thresholds on the original scale', () => {
    // log2 of 1000, 2000, 4000, 8000, 10: 9.966, 10.966, 11.966, 12.966, 3.322
    // median = 10.966 (2000); deviations 1, 0, 1, 2, 7.644 -> MAD 1, scaled 1.4826
    // lower (log2) = 10.966 - 4.4478 = 6.518 -> 2^6.518 = 2000 / 2^4.4478 = 91.65; 10 < 91.65 is an outlier
    const r = isOutlier(Float64Array.of(1000, 2000, 4000, 8000, 10), { type: 'lower', log: true });
    expect([...r.outlier]).toEqual([0, 0, 0, 0, 1]);
    expect(r.lower[0]).toBeCloseTo(2000 / 2 ** (3 * MAD_CONSTANT), 9);
    expect(r.upper[0]).toBe(Infinity);
  });

  it('computes medians and MADs within each batch', () => {
    // batch 1: 100, 110, 120, 200: median 115, deviations 15, 5, 5, 85 -> MAD = 10 -> scaled 14.826 -> upper 159.478
    const v = Float64Array.of(10, 11, 12, 100, 110, 120, 200, 16);
    const batch = Int32Array.of(0, 0, 0, 1, 1, 1, 1, 0);
    const r = isOutlier(v, { type: 'higher', batch });
    // batch 0 with 16 added: 10, 11, 12, 16 -> median 11.5, deviations 1.5, 0.5, 0.5, 4.5 -> MAD 1 -> upper 11.5 + 4.4478 = 15.9478
    expect(r.upper[0]).toBeCloseTo(11.5 + 3 * MAD_CONSTANT, 12);
    expect(r.upper[1]).toBeCloseTo(115 + 3 * 10 * MAD_CONSTANT, 12);
    expect([...r.outlier]).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it('ignores NaN values and never flags them', () => {
    const r = isOutlier(Float64Array.of(NaN, 1, 2, 3), { type: 'both', nmads: 1 });
    // median of 1,2,3 = 2, MAD 1 * 1.4826 -> [0.517, 3.483]: nothing is outside
    expect([...r.outlier]).toEqual([0, 0, 0, 0]);
    expect(r.median[0]).toBe(2);
  });

  it('treats a zero count on the log scale as a lower outlier', () => {
    const r = isOutlier(Float64Array.of(0, 100, 110, 120), { type: 'lower', log: true });
    expect(r.outlier[0]).toBe(1);
  });
});
