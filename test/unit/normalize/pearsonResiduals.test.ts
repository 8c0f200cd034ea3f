import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { pearsonResidualsKernel } from '../../../src/normalize/pearsonResiduals.js';

describe('pearsonResiduals (Lause et al. 2021)', () => {
  it('matches the analytic formula on a 2 x 2 example', () => {
    // counts [[4, 0], [2, 2]]: cell totals 4, 4; gene totals 6, 2; grand total 8
    // mu00 = 4*6/8 = 3, mu01 = 1, mu10 = 3, mu11 = 1; theta = 100
    // r00 = (4-3)/sqrt(3 + 9/100) = 0.568880, r01 = (0-1)/sqrt(1.01) = -0.995037
    // r10 = (2-3)/sqrt(3.09) = -0.568880, r11 = (2-1)/sqrt(1.01) = 0.995037
    const x = csrFromDense(2, 2, [4, 0, 2, 2]);
    const r = pearsonResidualsKernel(x, Int32Array.of(0, 1), { theta: 100, clip: null });
    const expected = [1 / Math.sqrt(3.09), -1 / Math.sqrt(1.01), -1 / Math.sqrt(3.09), 1 / Math.sqrt(1.01)];
    for (let t = 0; t < 4; t++) expect(r.data[t]).toBeCloseTo(expected[t], 6);
  });

  it('clips at sqrt(nObs) by default and computes only the requested genes', () => {
    // cells [100,0],[100,0],[100,0],[100,5]: gene1 total 5, grand total 405
    // cell3: mu = 105*5/405 = 1.2963, r = 3.7037/sqrt(1.2963 + 0.0168) = 3.233 > sqrt(4) -> 2
    // cell0: mu = 100*5/405 = 1.2346, r = -1.2346/sqrt(1.2346 + 0.01524) = -1.1046 (not clipped)
    const x = csrFromDense(4, 2, [100, 0, 100, 0, 100, 0, 100, 5]);
    const r = pearsonResidualsKernel(x, Int32Array.of(1), { theta: 100, clip: null });
    expect(r.nCols).toBe(1);
    expect(r.data[3]).toBe(2);
    const mu = (100 * 5) / 405;
    expect(r.data[0]).toBeCloseTo(-mu / Math.sqrt(mu + (mu * mu) / 100), 6);
  });
});
