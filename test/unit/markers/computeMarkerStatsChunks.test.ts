import { describe, expect, it } from 'vitest';
import { computeMarkerStats, type MarkerStats } from '../../../src/markers/findMarkers.js';
import { toCsc } from '../../../src/core/sparse.js';
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

describe('computeMarkerStats transposes a CSR input in gene chunks', () => {
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

  it('handles fewer genes than chunks and blocks (3 genes)', async () => {
    const { adata } = await readMatrix(fixture('lots', 'BM02'));
    const x = logNormalizeKernel(adata.X, totalSizeFactors(adata.X, 1e4));
    const few = adata.with({ X: x }).subsetVars([0, 5, 9]).X;
    const codes = Int32Array.from({ length: few.nRows }, (_, i) => i % 2);
    const a = await computeMarkerStats(few, codes, 2, { pairwise: true });
    const b = await computeMarkerStats(toCsc(few), codes, 2, { pairwise: true });
    expect(a.nGenes).toBe(3);
    expect(firstDiff(a, b)).toBeNull();
  });

  it('rejects a CSR row whose genes are not increasing (the chunk cursors need sorted rows)', async () => {
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
