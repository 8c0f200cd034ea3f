import { describe, expect, it } from 'vitest';
import { centeredRanks, pearsonKernel, spearman } from '../../../src/stats/spearman.js';

describe('spearman', () => {
  it('equals R cor(method = "spearman") with ties (Pearson on average ranks)', () => {
    // x = (1,2,2,3): ranks (1, 2.5, 2.5, 4), centred (-1.5, 0, 0, 1.5)
    // y = (1,3,2,4): ranks (1, 3, 2, 4),     centred (-1.5, 0.5, -0.5, 1.5)
    // rho = 4.5 / sqrt(4.5 * 5) = 0.9486833
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486833, 7);
    // x = (1,1,2,2,3): centred ranks (-1.5,-1.5,0.5,0.5,2); y = (5,3,3,1,2): centred (2,0.5,0.5,-2,-1)
    // dot = -6.5, |x|^2 = 9, |y|^2 = 9.5: rho = -6.5 / sqrt(85.5) = -0.7029595
    // (the no-ties shortcut 1 - 6 sum d^2 / (n (n^2 - 1)) would give -0.575: wrong with ties)
    expect(spearman([1, 1, 2, 2, 3], [5, 3, 3, 1, 2])).toBeCloseTo(-0.7029595, 7);
  });
  it('drops pairs with a missing value and is NaN for constant input', () => {
    expect(spearman([1, 2, NaN, 2, 3], [1, 3, 7, 2, 4])).toBeCloseTo(0.9486833, 7);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1], [2])).toBeNaN();
    // monotone but nonlinear: exactly 1
    expect(spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 1000])).toBe(1);
  });
  it('centredRanks are average ranks minus (n + 1) / 2, and pearsonKernel matches the definition', () => {
    expect(Array.from(centeredRanks(Float64Array.of(10, 20, 20, 5)))).toEqual([-0.5, 1, 1, -1.5]);
    // x = (1,2,3), y = (2,4,7): means 2 and 13/3; sxy = 5, sxx = 2, syy = 12.6667 -> r = 0.9933993
    expect(pearsonKernel(Float64Array.of(1, 2, 3), Float64Array.of(2, 4, 7))).toBeCloseTo(0.9933993, 7);
  });
});
