import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { fastRngFrom } from '../../../src/simulate/fastRng.js';
import {
  buildAliasTable,
  sampleAlias,
  sampleDirichlet,
  sampleGamma,
  sampleLogNormal,
  sampleNegBinomial,
  samplePoisson,
} from '../../../src/simulate/distributions.js';

/** Sample mean and variance of `n` draws. */
function moments(n: number, draw: () => number): { mean: number; variance: number } {
  let s = 0;
  let ss = 0;
  for (let t = 0; t < n; t++) {
    const x = draw();
    s += x;
    ss += x * x;
  }
  const mean = s / n;
  return { mean, variance: ss / n - mean * mean };
}

const N = 200_000;

describe('distributions', () => {
  it.each([0.3, 1, 4, 25])('gamma(shape %d) has mean = variance = shape', (shape) => {
    const rng = createRng(1);
    const m = moments(N, () => sampleGamma(rng, shape));
    // Standard error of the mean is sqrt(shape / N): < 0.012 for shape 25.
    expect(m.mean).toBeCloseTo(shape, 1);
    expect(m.variance / shape).toBeGreaterThan(0.95);
    expect(m.variance / shape).toBeLessThan(1.05);
  });

  it.each([0.01, 0.5, 3, 11.9, 12, 40, 500])('Poisson(%d) has mean = variance = lambda, on both sides of the inversion/PTRS switch', (lambda) => {
    const rng = fastRngFrom(createRng(2));
    const m = moments(N, () => samplePoisson(rng, lambda));
    expect(Math.abs(m.mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / N) + 1e-4);
    expect(m.variance / lambda).toBeGreaterThan(0.97);
    expect(m.variance / lambda).toBeLessThan(1.03);
  });

  it('Poisson(40) matches the pmf at its mode (PTRS is exact, not an approximation)', () => {
    const rng = createRng(3);
    let hits = 0;
    for (let t = 0; t < N; t++) if (samplePoisson(rng, 40) === 40) hits++;
    // P(X = 40) = e^-40 40^40 / 40! = 0.06297 (log-gamma by Stirling); SE = sqrt(p(1-p)/N) = 0.00054.
    expect(hits / N).toBeCloseTo(0.06297, 2);
  });

  it.each([
    [0.05, 0.25],
    [0.3, 0.5],
    [5, 0.4],
    [7.9, 1.5],
    [8, 0.4],
    [60, 0.2],
  ])('negative binomial(mean %d, phi %d) has variance mean + phi * mean^2 and P(0) = (1 + phi mean)^(-1/phi), by inversion and by gamma-Poisson', (mean, phi) => {
    const rng = fastRngFrom(createRng(4));
    let zeros = 0;
    const m = moments(N, () => {
      const x = sampleNegBinomial(rng, mean, phi);
      if (x === 0) zeros++;
      return x;
    });
    const variance = mean + phi * mean * mean;
    // SE of the mean is sqrt(variance / N); of the variance about variance * sqrt((2 + 6 phi) / N).
    expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / N));
    expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.05);
    const p0 = (1 + phi * mean) ** (-1 / phi);
    expect(Math.abs(zeros / N - p0)).toBeLessThan(5 * Math.sqrt((p0 * (1 - p0)) / N) + 1e-4);
  });

  it('negative binomial degenerates to 0 at mean 0 and to Poisson at phi 0', () => {
    const rng = fastRngFrom(createRng(4));
    expect(sampleNegBinomial(rng, 0, 0.4)).toBe(0);
    const m = moments(N, () => sampleNegBinomial(rng, 3, 0));
    expect(m.variance / 3).toBeGreaterThan(0.97);
    expect(m.variance / 3).toBeLessThan(1.03);
  });

  it('log-normal has median exp(meanlog)', () => {
    const rng = createRng(5);
    const xs = Float64Array.from({ length: 20_001 }, () => sampleLogNormal(rng, 1, 0.5)).sort();
    expect(xs[10_000]).toBeCloseTo(Math.E, 1);
  });

  it('Dirichlet draws sum to 1 and average alpha / sum(alpha)', () => {
    const rng = createRng(6);
    const alpha = [1, 2, 7];
    const acc = new Float64Array(3);
    let worstSum = 0;
    for (let t = 0; t < 20_000; t++) {
      const x = sampleDirichlet(rng, alpha);
      worstSum = Math.max(worstSum, Math.abs(x[0] + x[1] + x[2] - 1));
      for (let k = 0; k < 3; k++) acc[k] += x[k] / 20_000;
    }
    expect(worstSum).toBeLessThan(1e-12);
    expect(acc[0]).toBeCloseTo(0.1, 2);
    expect(acc[1]).toBeCloseTo(0.2, 2);
    expect(acc[2]).toBeCloseTo(0.7, 2);
  });

  it('alias table reproduces the weights, including zero weights', () => {
    const rng = fastRngFrom(createRng(7));
    const w = [5, 0, 1, 3, 1];
    const table = buildAliasTable(w);
    const hits = new Float64Array(w.length);
    for (let t = 0; t < N; t++) hits[sampleAlias(rng, table)]++;
    expect(hits[1]).toBe(0);
    for (let k = 0; k < w.length; k++) expect(hits[k] / N).toBeCloseTo(w[k] / 10, 2);
    expect(() => buildAliasTable([0, 0])).toThrow(/positive total/);
  });

  it('the fast stream is uniform, seeded by its parent and forks by label', () => {
    const a = fastRngFrom(createRng(8));
    const b = fastRngFrom(createRng(8));
    const c = fastRngFrom(createRng(9));
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
    const m = moments(N, () => a.next());
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 3);
    expect(a.fork('x').next()).toBe(fastRngFrom(createRng(8)).fork('x').next());
  });
});
