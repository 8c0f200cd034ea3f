import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { csrFromDense, type CsrMatrix } from '../../../src/core/sparse.js';
import { Frame, categoricalFrom } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { combineBatchRanks, dispersionStats, selectHvgs, topRanks, vstStats } from '../../../src/reduce/selectHvgs.js';
import { loessFit } from '../../../src/reduce/loess.js';
import { maxRelDiff } from '../../helpers/compare.js';

/** Negative-binomial-ish counts: gamma-Poisson via sums of exponentials (small integer shapes). */
function simulateCounts(nCells: number, nGenes: number, seed: number): CsrMatrix {
  const rng = createRng(seed);
  const dense = new Float64Array(nCells * nGenes);
  for (let j = 0; j < nGenes; j++) {
    const mean = Math.exp(rng.normal() * 1.5 - 1);
    const noisy = j % 7 === 0; // every 7th gene is overdispersed
    for (let i = 0; i < nCells; i++) {
      const rate = noisy ? mean * -Math.log(1 - rng.next()) : mean;
      let k = 0, t = -Math.log(1 - rng.next());
      while (t < rate && k < 500) { k++; t += -Math.log(1 - rng.next()); }
      dense[i * nGenes + j] = k;
    }
  }
  return csrFromDense(nCells, nGenes, dense);
}

describe('selectHvgs', () => {
  it('ranks by decreasing score, ties by gene order, NaN never ranked', () => {
    // scores 1, 5, 3, NaN, 5 -> order g1, g4 (tie, later gene), g2
    expect([...topRanks(Float64Array.of(1, 5, 3, NaN, 5), 3)]).toEqual([NaN, 0, 2, NaN, 1]);
  });

  it('combines batches by median rank, then by number of batches (scanpy seurat_v3)', () => {
    // g0 ranks 0, 1, 0 -> median 0 (3 batches); g1 1, -, 2 -> 1.5 (2); g2 -, 0, 1 -> 0.5 (2);
    // g3 2, 2, - -> 2 (2); g4 -, 1.5, - -> 1.5 (1 batch). Order: g0, g2, then g1 before g4 (same
    // median, more batches), then g3. Top 3 = g0, g2, g1.
    const N = NaN;
    const r = combineBatchRanks([Float64Array.of(0, 1, N, 2, N), Float64Array.of(1, N, 0, 2, 1.5), Float64Array.of(0, 2, 1, N, N)], 3);
    expect([...r.nBatches]).toEqual([3, 2, 2, 2, 1]);
    expect([...r.highlyVariable]).toEqual([1, 1, 1, 0, 0]);
    expect([...r.rank]).toEqual([0, 1.5, 0.5, N, N]);
    // top 4 adds g4 (median 1.5) before g3 (median 2)
    expect([...combineBatchRanks([Float64Array.of(0, 1, N, 2, N), Float64Array.of(1, N, 0, 2, 1.5), Float64Array.of(0, 2, 1, N, N)], 4).highlyVariable]).toEqual([1, 1, 1, 0, 1]);
  });

  it('vst standardized variance equals a naive dense computation with the same loess fit', async () => {
    const x = simulateCounts(150, 120, 3);
    const st = await vstStats(x, null, 0.3, 'direct');
    const n = 150, G = 120;
    const dense = new Float64Array(n * G);
    for (let i = 0; i < n; i++) for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) dense[i * G + x.indices[k]] = x.data[k];
    const mean = new Float64Array(G), vr = new Float64Array(G);
    for (let j = 0; j < G; j++) {
      for (let i = 0; i < n; i++) mean[j] += dense[i * G + j] / n;
      for (let i = 0; i < n; i++) vr[j] += (dense[i * G + j] - mean[j]) ** 2 / (n - 1);
    }
    expect(maxRelDiff(st.means, mean)).toBeLessThan(1e-12);
    expect(maxRelDiff(st.variances, vr, 1e-12)).toBeLessThan(1e-10);
    const keep = [...vr.keys()].filter((j) => vr[j] > 0);
    const fit = loessFit(keep.map((j) => Math.log10(mean[j])), keep.map((j) => Math.log10(vr[j])), { span: 0.3, degree: 2 });
    const naive = new Float64Array(G);
    keep.forEach((j, t) => {
      const sd = Math.sqrt(10 ** fit[t]);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.min((dense[i * G + j] - mean[j]) / sd, Math.sqrt(n)) ** 2;
      naive[j] = s / (n - 1);
    });
    expect(maxRelDiff(st.score, naive, 1e-12)).toBeLessThan(1e-9);
  });

  it('vst variances: one pass from exact sums for integer counts, two passes otherwise; a constant gene has variance 0 exactly', async () => {
    const n = 150, G = 60;
    const base = simulateCounts(n, G, 5);
    for (const scale of [1, 0.37]) {
      const dense = new Float64Array(n * G);
      for (let i = 0; i < n; i++) for (let k = base.indptr[i]; k < base.indptr[i + 1]; k++) dense[i * G + base.indices[k]] = base.data[k] * scale;
      // Gene 0 is constant: 3 counts (or 3 x scale) in every cell.
      for (let i = 0; i < n; i++) dense[i * G] = 3 * scale;
      const x = csrFromDense(n, G, Float32Array.from(dense));
      const st = await vstStats(x, null, 0.3, 'direct');
      const vr = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += Math.fround(dense[i * G + j]) / n;
        for (let i = 0; i < n; i++) vr[j] += (Math.fround(dense[i * G + j]) - m) ** 2 / (n - 1);
      }
      expect(st.variances[0], `scale ${scale}`).toBe(0);
      expect(maxRelDiff(st.variances, vr, 1e-12), `scale ${scale}`).toBeLessThan(1e-10);
    }
  });

  it('dispersion flavor: log mean of expm1, log VMR, z-scored within mean bins', async () => {
    // gene0 constant zero -> NaN dispersion, never selected
    const logX = csrFromDense(3, 2, [0, Math.log1p(1), 0, Math.log1p(3), 0, Math.log1p(2)]);
    const st = await dispersionStats(logX, null);
    // gene1 expm1 values 1, 3, 2: mean 2, var 1 -> log mean = log1p(2), dispersion log(1/2)
    expect(st.means[1]).toBeCloseTo(Math.log(3), 6);
    expect(st.dispersions![1]).toBeCloseTo(Math.log(0.5), 6);
    expect(Number.isNaN(st.dispersions![0])).toBe(true);
    expect(Number.isNaN(st.score[0])).toBe(true);
    expect(st.score[1]).toBe(1); // one gene in its bin (scanpy)
  });

  it('step selects nTopGenes, writes the shared var keys, and supports a batch key', async () => {
    const x = simulateCounts(120, 80, 9);
    const lots = Array.from({ length: 120 }, (_, i) => (i < 60 ? 'A' : 'B'));
    const adata = new AnnDataLite({
      X: x,
      layers: { counts: x },
      obs: new Frame(lots.map((_, i) => `c${i}`), [['lot', categoricalFrom(lots)]]),
      var: new Frame(Array.from({ length: 80 }, (_, j) => `g${j}`)),
    });
    const one = await selectHvgs(adata, { nTopGenes: 10 });
    const hv = one.var.require('highly_variable');
    if (hv.kind !== 'bool') throw new Error('not bool');
    expect(hv.values.reduce((s, v) => s + v, 0)).toBe(10);
    // the overdispersed genes (every 7th: 12 of 80, 15%) dominate the top 10 (measured: 7)
    let noisy = 0;
    hv.values.forEach((v, j) => { if (v && j % 7 === 0) noisy++; });
    expect(noisy).toBeGreaterThanOrEqual(6);
    for (const key of ['means', 'variances', 'variances_norm', 'highly_variable_rank', 'highly_variable_nbatches']) expect(one.var.has(key)).toBe(true);
    const two = await selectHvgs(adata, { nTopGenes: 10, batchKey: 'lot' });
    const nb = two.var.require('highly_variable_nbatches');
    if (nb.kind !== 'numeric') throw new Error('not numeric');
    expect(Math.max(...nb.values)).toBe(2);
    expect(two.uns.hvg).toEqual({ flavor: 'seurat_v3', n_top_genes: 10 });
  });
});
