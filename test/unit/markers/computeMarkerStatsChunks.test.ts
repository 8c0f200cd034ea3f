import { describe, expect, it } from 'vitest';
import { computeMarkerStats, type MarkerStats } from '../../../src/markers/findMarkers.js';
import { csrFromDense, toCsc } from '../../../src/core/sparse.js';
import { createRng } from '../../../src/core/rng.js';
import { readMatrix } from '../../../src/io/readMatrix.js';
import { logNormalizeKernel, totalSizeFactors } from '../../../src/normalize/logNormalize.js';
import { fixture } from '../../helpers/paths.js';

const FIELDS = ['pval', 'stat', 'auc', 'log2fc', 'pctIn', 'pctOut', 'meanIn', 'meanOut'] as const;

/** Index of the first entry where two statistics differ bit for bit (NaN equals NaN), or -1. */
function firstDiff(a: MarkerStats, b: MarkerStats): string | null {
  for (const f of FIELDS) {
    for (let t = 0; t < a[f].length; t++) if (!Object.is(a[f][t], b[f][t])) return `${f}[${t}]: ${a[f][t]} vs ${b[f][t]}`;
  }
  return null;
}

describe('computeMarkerStats transposes a CSR input in gene blocks', () => {
  it('gives bit-identical statistics to a whole-matrix CSC input, for 1 and 2 threads', async () => {
    // One real lot (300 cells x 2,000 genes), log-normalized; 5 groups from the cell order, some cells left out.
    const { adata } = await readMatrix(fixture('lots', 'BM02'));
    const x = logNormalizeKernel(adata.X, totalSizeFactors(adata.X, 1e4));
    const codes = Int32Array.from({ length: x.nRows }, (_, i) => (i % 11 === 0 ? -1 : (i * 7) % 5));
    const whole = await computeMarkerStats(toCsc(x), codes, 5, { threads: 1 });
    expect(whole.nGenes).toBe(2000);
    // The statistics are real: some gene separates some group (p < 1e-3).
    let minP = 1;
    for (let t = 0; t < whole.pval.length; t++) minP = Math.min(minP, whole.pval[t]);
    expect(minP).toBeLessThan(1e-3);
    for (const threads of [1, 2]) {
      for (const test of ['wilcoxon', 'welch'] as const) {
        const chunked = await computeMarkerStats(x, codes, 5, { threads, test });
        const ref = test === 'wilcoxon' ? whole : await computeMarkerStats(toCsc(x), codes, 5, { threads: 1, test });
        expect(firstDiff(chunked, ref), `${test}, ${threads} threads`).toBeNull();
      }
    }
  });

  it('handles fewer genes than blocks (3 genes)', async () => {
    const { adata } = await readMatrix(fixture('lots', 'BM02'));
    const x = logNormalizeKernel(adata.X, totalSizeFactors(adata.X, 1e4));
    const few = adata.with({ X: x }).subsetVars([0, 5, 9]).X;
    const codes = Int32Array.from({ length: few.nRows }, (_, i) => i % 2);
    const a = await computeMarkerStats(few, codes, 2, { pairwise: true });
    const b = await computeMarkerStats(toCsc(few), codes, 2, { pairwise: true });
    expect(a.nGenes).toBe(3);
    expect(firstDiff(a, b)).toBeNull();
  });

  it('rejects a CSR row whose genes are not increasing (the block starts need sorted rows)', async () => {
    // 2 cells x 3 genes; cell 1 lists gene 2 before gene 0.
    const x = {
      format: 'csr' as const,
      nRows: 2,
      nCols: 3,
      indptr: Uint32Array.from([0, 1, 3]),
      indices: Int32Array.from([1, 2, 0]),
      data: Float32Array.from([1, 2, 3]),
    };
    await expect(computeMarkerStats(x, Int32Array.from([0, 1]), 2)).rejects.toThrow(/row 1 has gene 0 after gene 2/);
  });
});

describe('computeMarkerStats ranks Float32 values by radix sort', () => {
  /** Genes that reach every path of the ranking: insertion sort, one to three radix passes, negatives, ties, constant and empty genes. */
  function designedGenes(nCells: number): Float64Array {
    const rng = createRng(5);
    const nGenes = 9;
    const dense = new Float64Array(nCells * nGenes);
    const set = (i: number, j: number, v: number): void => {
      dense[i * nGenes + j] = Math.fround(v);
    };
    for (let i = 0; i < nCells; i++) {
      const u = rng.next();
      if (i % 150 === 0) set(i, 0, 1 + rng.next()); // 20 non-zeros: insertion sort
      if (u < 0.4) set(i, 1, -1.5); // one negative value, tied everywhere
      if (u > 0.5) set(i, 2, 2); // one positive value
      // Both signs over twelve orders of magnitude: 32-bit key range.
      if (rng.next() < 0.9) set(i, 3, (rng.next() < 0.5 ? -1 : 1) * 10 ** (12 * rng.next() - 6));
      if (rng.next() < 0.7) set(i, 4, 0.4 + rng.int(20) / 2000); // narrow range, many ties
      if (rng.next() < 0.5) set(i, 5, Math.log1p((1 + rng.int(8)) * (1e4 / (5000 + rng.int(20000))))); // log-normalized
      if (i === 7) set(i, 6, 3.25); // a single non-zero
      // gene 7 stays empty
      if (rng.next() < 0.3) set(i, 8, -rng.int(5) / 4); // negatives with ties, and explicit zeros
    }
    return dense;
  }

  it('exactly as a comparison sort of the same values in Float64, for every statistic', async () => {
    const nCells = 3000;
    const nGenes = 9;
    const dense = designedGenes(nCells);
    const rng = createRng(9);
    const codes = Int32Array.from({ length: nCells }, () => (rng.next() < 0.1 ? -1 : rng.int(4)));
    const csr = csrFromDense(nCells, nGenes, dense);
    // The same values as a Float64 CSC: the native-sort path.
    const csc = toCsc(csr);
    const csc64 = { nRows: nCells, nCols: nGenes, indptr: csc.indptr, indices: csc.indices, data: Float64Array.from(csc.data) };
    for (const test of ['wilcoxon', 'welch'] as const) {
      const radix = await computeMarkerStats(csr, codes, 4, { test });
      const native = await computeMarkerStats(csc64, codes, 4, { test });
      expect(firstDiff(radix, native), test).toBeNull();
      // The statistics are real: the empty gene gives p = 1; gene 1 is in ~40% of every group.
      expect(radix.pval[0 * nGenes + 7]).toBe(1);
      expect(radix.pctIn[0 * nGenes + 1]).toBeGreaterThan(0.3);
      expect(radix.pctIn[0 * nGenes + 1]).toBeLessThan(0.5);
    }
    const w = await computeMarkerStats(csr, codes, 4);
    // AUC of the empty gene is 1/2 for every group (all tied).
    for (let g = 0; g < 4; g++) expect(w.auc[g * nGenes + 7]).toBe(0.5);
  });
});
