import { describe, expect, it } from 'vitest';
import { fitQuasiBinomial, studentTwoSidedP } from '../../../src/stats/glm.js';

/** Independent oracle: Newton-Raphson on the binomial log-likelihood, intercept + one slope. */
function newtonLogistic(k: number[], m: number[], x: number[]): { b0: number; b1: number; phi: number; se1: number } {
  let b0 = 0, b1 = 0;
  for (let it = 0; it < 100; it++) {
    let g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (let i = 0; i < k.length; i++) {
      const p = 1 / (1 + Math.exp(-(b0 + b1 * x[i])));
      g0 += k[i] - m[i] * p;
      g1 += (k[i] - m[i] * p) * x[i];
      const w = m[i] * p * (1 - p);
      h00 += w; h01 += w * x[i]; h11 += w * x[i] * x[i];
    }
    const det = h00 * h11 - h01 * h01;
    b0 += (h11 * g0 - h01 * g1) / det;
    b1 += (-h01 * g0 + h00 * g1) / det;
  }
  let chi2 = 0, h00 = 0, h01 = 0, h11 = 0;
  for (let i = 0; i < k.length; i++) {
    const p = 1 / (1 + Math.exp(-(b0 + b1 * x[i])));
    chi2 += (k[i] - m[i] * p) ** 2 / (m[i] * p * (1 - p));
    const w = m[i] * p * (1 - p);
    h00 += w; h01 += w * x[i]; h11 += w * x[i] * x[i];
  }
  const phi = chi2 / (k.length - 2);
  const se1 = Math.sqrt((phi * h00) / (h00 * h11 - h01 * h01));
  return { b0, b1, phi, se1 };
}

function design(x: number[]): Float64Array {
  const d = new Float64Array(x.length * 2);
  x.forEach((v, i) => { d[2 * i] = 1; d[2 * i + 1] = v; });
  return d;
}

describe('studentTwoSidedP', () => {
  it('equals the closed forms for df = 1 (Cauchy) and df = 2', () => {
    for (const t of [0.1, 0.5, 1, 2.5, 10]) {
      // df = 1: P(|T| > t) = 1 - (2 / pi) atan(t)
      expect(studentTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 12);
      // df = 2: P(|T| > t) = 1 - t / sqrt(t^2 + 2)
      expect(studentTwoSidedP(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(t * t + 2), 12);
    }
  });
  it('approaches the normal tail for large df and matches R pt for df = 9', () => {
    // 2 * pnorm(-1.959964) = 0.05
    expect(studentTwoSidedP(1.959964, 1e7)).toBeCloseTo(0.05, 6);
    // qt(0.975, 9) = 2.262157 (R), so the two-sided p is 0.05
    expect(studentTwoSidedP(2.262157, 9)).toBeCloseTo(0.05, 6);
    expect(studentTwoSidedP(0, 5)).toBe(1);
    expect(studentTwoSidedP(1, 0)).toBeNaN();
  });
});

describe('fitQuasiBinomial', () => {
  it('reproduces the hand-derived two-group case', () => {
    // Group x=0: 2/10 and 4/10 (pooled 0.3); group x=1: 6/10 and 8/10 (pooled 0.7).
    // MLE: intercept = logit(0.3) = -0.847298, slope = logit(0.7) - logit(0.3) = 1.694596.
    // Pearson X^2 = 4 * 1 / (10 * 0.3 * 0.7) = 1.904762, df = 2, phi = 0.952381.
    // Var(slope) = phi * (1 / (20 * 0.21) + 1 / (20 * 0.21)) = 0.453515, SE = 0.673436,
    // t = 2.516346, p (df 2) = 1 - t / sqrt(t^2 + 2) = 0.128227.
    const fit = fitQuasiBinomial(new Float64Array([2, 4, 6, 8]), new Float64Array([10, 10, 10, 10]), design([0, 0, 1, 1]), 2);
    expect(fit.converged).toBe(true);
    expect(fit.coef[0]).toBeCloseTo(Math.log(0.3 / 0.7), 8);
    expect(fit.coef[1]).toBeCloseTo(2 * Math.log(0.7 / 0.3), 8);
    expect(fit.dispersion).toBeCloseTo(4 / 2.1 / 2, 8);
    expect(fit.se[1]).toBeCloseTo(Math.sqrt((4 / 2.1 / 2) * (2 / 4.2)), 7);
    const t = fit.coef[1] / fit.se[1];
    expect(fit.t[1]).toBeCloseTo(2.516346, 5);
    expect(fit.pval[1]).toBeCloseTo(1 - t / Math.sqrt(t * t + 2), 7);
    expect(fit.dfResidual).toBe(2);
  });

  it('agrees with an independent Newton solve on a continuous covariate with unequal lot sizes', () => {
    const k = [12, 30, 8, 55, 41, 20, 70, 15, 33, 60, 25];
    const m = [400, 500, 350, 600, 450, 520, 610, 300, 480, 560, 500];
    const x = [-1.2, 0.1, -0.8, 1.3, 0.6, -0.4, 1.9, -1.5, 0.2, 1.1, -0.3];
    const fit = fitQuasiBinomial(Float64Array.from(k), Float64Array.from(m), design(x), 2);
    const ref = newtonLogistic(k, m, x);
    expect(fit.converged).toBe(true);
    expect(fit.coef[0]).toBeCloseTo(ref.b0, 7);
    expect(fit.coef[1]).toBeCloseTo(ref.b1, 7);
    expect(fit.dispersion).toBeCloseTo(ref.phi, 6);
    expect(fit.se[1]).toBeCloseTo(ref.se1, 6);
    expect(fit.pval[1]).toBeCloseTo(studentTwoSidedP(ref.b1 / ref.se1, 9), 6);
    expect(fit.pval[1]).toBeLessThan(0.01);
  });

  it('ignores lots with zero cells and returns NaN for an absent cluster or too few lots', () => {
    const withEmpty = fitQuasiBinomial(new Float64Array([2, 4, 0, 6, 8]), new Float64Array([10, 10, 0, 10, 10]), design([0, 0, 5, 1, 1]), 2);
    expect(withEmpty.coef[1]).toBeCloseTo(2 * Math.log(0.7 / 0.3), 8);
    expect(withEmpty.dfResidual).toBe(2);
    const absent = fitQuasiBinomial(new Float64Array([0, 0, 0]), new Float64Array([10, 10, 10]), design([0, 1, 2]), 2);
    expect(absent.coef[1]).toBeNaN();
    const tooFew = fitQuasiBinomial(new Float64Array([1, 2]), new Float64Array([10, 10]), design([0, 1]), 2);
    expect(tooFew.pval[1]).toBeNaN();
  });
});
