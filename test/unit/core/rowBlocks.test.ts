import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { ROW_BLOCK_ENTRIES, rowBlocks, threadsFor } from '../../../src/core/rowBlocks.js';
import { allocIndices, allocIndptr, allocValues, type CsrMatrix } from '../../../src/core/sparse.js';
import { computeQcMetricsKernel, computeQcMetricsParallel } from '../../../src/qc/computeQcMetrics.js';
import { logNormalizeByTotalParallel, logNormalizeKernel, logNormalizeParallel, totalSizeFactors } from '../../../src/normalize/logNormalize.js';
import { dispersionStats, vstStats } from '../../../src/reduce/selectHvgs.js';
import { projectPcaKernel, projectPcaParallel } from '../../../src/reduce/projectPca.js';

/**
 * Counts big enough for the worker path (more than two blocks of entries): 4,500 cells x 2,000 genes,
 * every entry stored, small integer counts from a seeded stream (zeros included, as explicit zeros).
 */
function bigCounts(): CsrMatrix {
  const nRows = 4500, nCols = 2000, nnz = nRows * nCols;
  const rng = createRng(7);
  const indptr = allocIndptr(nRows + 1, nnz);
  const indices = allocIndices(nnz);
  const data = allocValues(nnz);
  for (let i = 0; i < nRows; i++) {
    indptr[i + 1] = (i + 1) * nCols;
    for (let j = 0; j < nCols; j++) {
      indices[i * nCols + j] = j;
      // Gene-dependent depth so that means and variances differ between genes.
      data[i * nCols + j] = rng.int(1 + (j % 7));
    }
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.prototype.every.call(a, (v: number, t: number) => Object.is(v, b[t]));

describe('row-block kernels in worker threads', () => {
  const x = bigCounts();

  it('splits rows into a fixed number of blocks that does not depend on threads', () => {
    expect(x.data.length).toBeGreaterThan(2 * ROW_BLOCK_ENTRIES);
    const blocks = rowBlocks(x.nRows, x.data.length);
    expect(blocks.length / 2).toBe(Math.ceil(x.data.length / ROW_BLOCK_ENTRIES));
    expect(blocks[0]).toBe(0);
    expect(blocks[blocks.length - 1]).toBe(x.nRows);
    expect(threadsFor(2, x.data.length)).toBe(2);
    expect(threadsFor(2, ROW_BLOCK_ENTRIES)).toBe(1);
  });

  it('QC metrics, log-normalization, HVG moments and PC projection are bit-identical with 1 and 2 threads', async () => {
    const mito = new Uint8Array(x.nCols), ribo = new Uint8Array(x.nCols);
    mito[3] = 1;
    ribo[10] = ribo[11] = 1;
    const serial = computeQcMetricsKernel(x, mito, ribo);
    const two = await computeQcMetricsParallel(x, mito, ribo, 2);
    for (const key of ['nCounts', 'nGenes', 'pctMito', 'pctRibo', 'geneNCells', 'geneTotalCounts'] as const) expect(same(two[key], serial[key])).toBe(true);
    // Integer counts: gene 6 holds 0..6 uniformly, so its total is close to 3 per cell.
    expect(serial.geneTotalCounts[6] / x.nRows).toBeCloseTo(3, 1);

    const sf = totalSizeFactors(x, 1e4);
    const y1 = logNormalizeKernel(x, sf);
    const y2 = await logNormalizeParallel(x, sf, 2);
    expect(same(y2.data, y1.data)).toBe(true);
    // Size factors found by each row's task: the same bits as the separate pass, on 1 and 2 threads.
    for (const threads of [1, 2]) {
      const byTotal = await logNormalizeByTotalParallel(x, 1e4, threads);
      expect(same(byTotal.sizeFactors, sf)).toBe(true);
      expect(same(byTotal.x.data, y1.data)).toBe(true);
    }
    // Each cell holds about 1.5 counts per gene (gene j uniform on 0..j % 7, mean 0..3 by gene).
    expect((sf[0] * 1e4) / x.nCols).toBeCloseTo(1.5, 1);

    const v1 = await vstStats(x, null, 0.3, 'interpolate', 1);
    const v2 = await vstStats(x, null, 0.3, 'interpolate', 2);
    expect(same(v2.score, v1.score)).toBe(true);
    expect(same(v2.variances, v1.variances)).toBe(true);
    // Gene 6 ~ uniform on 0..6: mean 3, variance (7^2 - 1) / 12 = 4.
    expect(v1.means[6]).toBeCloseTo(3, 1);
    expect(v1.variances[6]).toBeCloseTo(4, 1);
    const d1 = await dispersionStats(y1, null, 1);
    const d2 = await dispersionStats(y1, null, 2);
    expect(same(d2.score, d1.score)).toBe(true);

    // Projection onto 5 components of 300 genes, clipped at 2.
    const genes = Int32Array.from({ length: 300 }, (_, t) => 5 * t);
    const rng = createRng(3);
    const loadings = { nRows: x.nCols, nCols: 5, data: Float32Array.from({ length: x.nCols * 5 }, () => rng.normal()) };
    const proj = { genes, means: Float64Array.from(genes, (j) => v1.means[j]), sds: Float64Array.from(genes, (j) => Math.sqrt(v1.variances[j])), maxValue: 2, loadings };
    const p1 = projectPcaKernel(x, proj);
    const p2 = await projectPcaParallel(x, proj, 2);
    expect(same(p2.data, p1.data)).toBe(true);
    // Cell 0 by the definition: sum over the genes of min(2, (x - mean) / sd) x loading (0 for a constant gene).
    let pc0 = 0;
    for (let t = 0; t < genes.length; t++) {
      const z = proj.sds[t] > 0 ? Math.min(2, (x.data[genes[t]] - proj.means[t]) / proj.sds[t]) : 0;
      pc0 += z * loadings.data[genes[t] * 5];
    }
    expect(p1.data[0]).toBeCloseTo(pc0, 3);
  }, 60_000);
});
