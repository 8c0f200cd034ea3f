import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { allocIndptr, type CsrMatrix } from '../../../src/core/sparse.js';
import { scranSizeFactorsKernel, selectKth } from '../../../src/normalize/scranSizeFactors.js';
import { pearson } from '../../helpers/compare.js';

/** Poisson draw by inversion (small means). */
function poisson(mu: number, rng: ReturnType<typeof createRng>): number {
  let k = 0, p = Math.exp(-mu), s = p;
  const u = rng.next();
  while (u > s && k < 1000) { k++; p *= mu / k; s += p; }
  return k;
}

/** Cells x genes Poisson counts with known size factors and two cell types with different profiles. */
function simulate(nCells: number, nGenes: number, seed: number): { x: CsrMatrix; truth: Float64Array } {
  const rng = createRng(seed);
  const base = Float64Array.from({ length: nGenes }, () => Math.exp(rng.normal() * 1.2 - 1));
  const truth = Float64Array.from({ length: nCells }, () => Math.exp(rng.normal() * 0.5));
  const rows: number[][] = [], vals: number[][] = [];
  for (let i = 0; i < nCells; i++) {
    const type = i % 2;
    const r: number[] = [], v: number[] = [];
    for (let j = 0; j < nGenes; j++) {
      // type 1 has 5x expression in the first 10% of genes (composition difference)
      const mu = truth[i] * base[j] * (type === 1 && j < nGenes / 10 ? 5 : 1);
      const c = poisson(mu, rng);
      if (c > 0) { r.push(j); v.push(c); }
    }
    rows.push(r); vals.push(v);
  }
  const nnz = rows.reduce((s, r) => s + r.length, 0);
  const indptr = allocIndptr(nCells + 1, nnz), indices = new Int32Array(nnz), data = new Float32Array(nnz);
  let pos = 0;
  for (let i = 0; i < nCells; i++) {
    for (let t = 0; t < rows[i].length; t++) { indices[pos] = rows[i][t]; data[pos] = vals[i][t]; pos++; }
    indptr[i + 1] = pos;
  }
  return { x: { format: 'csr', nRows: nCells, nCols: nGenes, indptr, indices, data }, truth };
}

describe('scranSizeFactors (pooled deconvolution)', () => {
  it('selects order statistics', () => {
    const a = Float64Array.of(5, 1, 4, 2, 3);
    expect(selectKth(a.slice(), 5, 2)).toBe(3);
    expect(selectKth(a.slice(), 5, 0)).toBe(1);
    expect(selectKth(a.slice(), 5, 4)).toBe(5);
  });

  it('recovers simulated size factors (mean 1) better than library size under composition bias', () => {
    const { x, truth } = simulate(300, 400, 5);
    const { sizeFactors, nNonPositive } = scranSizeFactorsKernel(x, {});
    expect(nNonPositive).toBe(0);
    const mean = sizeFactors.reduce((s, v) => s + v, 0) / sizeFactors.length;
    expect(mean).toBeCloseTo(1, 10);
    const logSf = Array.from(sizeFactors, Math.log), logTruth = Array.from(truth, Math.log);
    const r = pearson(logSf, logTruth);
    expect(r).toBeGreaterThan(0.95);
    // With type clusters the composition bias (type 1 has more counts for the same factor) is removed:
    // the ratio sf / truth should not differ by type.
    const clusters = Int32Array.from({ length: 300 }, (_, i) => i % 2);
    const byCluster = scranSizeFactorsKernel(x, { clusters }).sizeFactors;
    const ratioMean = (sf: Float64Array, type: number): number => {
      let s = 0, n = 0;
      for (let i = type; i < 300; i += 2) { s += Math.log(sf[i] / truth[i]); n++; }
      return s / n;
    };
    const gap = Math.abs(ratioMean(byCluster, 1) - ratioMean(byCluster, 0));
    // Library sizes carry the composition bias (type 1 has 5x counts in 10% of genes).
    const lib = new Float64Array(300);
    for (let i = 0; i < 300; i++) for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) lib[i] += x.data[k];
    const libGap = Math.abs(ratioMean(lib, 1) - ratioMean(lib, 0));
    expect(libGap).toBeGreaterThan(0.3);
    expect(gap).toBeLessThan(0.1);
  });
});
