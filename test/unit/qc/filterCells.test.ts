import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame, categoricalFrom } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { filterCells, filterCellsKernel, QC_REASONS } from '../../../src/qc/filterCells.js';

describe('filterCells', () => {
  it('applies strict absolute thresholds and records the first failing reason', () => {
    // Seurat tutorial rule: 200 < n_genes < 2500 and pct_mito < 5
    const r = filterCellsKernel(
      {
        nCounts: [1000, 1000, 1000, 1000, 1000],
        nGenes: [200, 201, 2500, 800, 800],
        pctMito: [1, 1, 1, 5, 4.99],
        lots: new Int32Array(5),
        nLots: 1,
      },
      { minCounts: null, maxCounts: null, minGenes: 200, maxGenes: 2500, maxPctMito: 5, nmads: null },
    );
    expect([...r.keep]).toEqual([0, 1, 0, 0, 1]);
    expect([...r.reason].map((c) => (c < 0 ? '' : QC_REASONS[c]))).toEqual(['low_genes', '', 'high_genes', 'high_mito', '']);
  });

  it('finds MAD outliers within each lot and reports a per-lot table', () => {
    // lot A counts 1000, 1100, 900, 1050, 100 -> 100 is a low log-count outlier in lot A;
    // lot B counts 100, 110, 90, 105 -> 100 is normal there (same value, different lot).
    // genes follow counts / 2; pct mito: lot B last cell 30 vs 2, 2.5, 3 -> high-mito outlier
    const nCounts = [1000, 1100, 900, 1050, 100, 100, 110, 90, 105];
    const nGenes = nCounts.map((c) => c / 2);
    const pctMito = [2, 2, 2, 2, 2, 2, 2.5, 3, 30];
    const lots = Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1, 1);
    const r = filterCellsKernel({ nCounts, nGenes, pctMito, lots, nLots: 2 }, { minCounts: null, maxCounts: null, minGenes: null, maxGenes: null, maxPctMito: null, nmads: 3 });
    expect([...r.keep]).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 0]);
    expect(QC_REASONS[r.reason[4]]).toBe('mad_low_counts');
    expect(QC_REASONS[r.reason[8]]).toBe('mad_high_mito');
    expect([...r.cellsIn]).toEqual([5, 4]);
    expect([...r.cellsKept]).toEqual([4, 3]);
    const madLow = QC_REASONS.indexOf('mad_low_counts');
    expect([r.removed[madLow * 2], r.removed[madLow * 2 + 1]]).toEqual([1, 0]);
  });

  it('step marks passed_qc / qc_reason, subsets and stores uns.qc_filter', async () => {
    const x = csrFromDense(3, 2, [5, 5, 1, 0, 3, 3]);
    const obs = new Frame(['c0', 'c1', 'c2'], [
      ['n_counts', { kind: 'numeric', values: Float64Array.of(10, 1, 6) }],
      ['n_genes', { kind: 'numeric', values: Float64Array.of(2, 1, 2) }],
      ['pct_mito', { kind: 'numeric', values: Float64Array.of(0, 0, 0) }],
      ['lot', categoricalFrom(['L1', 'L2', 'L2'])],
    ]);
    const adata = new AnnDataLite({ X: x, obs, var: new Frame(['g0', 'g1']) });
    const out = await filterCells(adata, { minGenes: 1, nmads: null });
    expect(out.obsNames).toEqual(['c0', 'c2']);
    const table = out.uns.qc_filter as Record<string, unknown>;
    expect(table.lot).toEqual(['L1', 'L2']);
    expect([...(table.cells_in as Int32Array)]).toEqual([1, 2]);
    expect([...(table.removed_low_genes as Int32Array)]).toEqual([0, 1]);
    expect([...(table.cells_kept as Int32Array)]).toEqual([1, 1]);
    const marked = await filterCells(adata, { minGenes: 1, nmads: null, subset: false });
    expect(marked.obs.require('passed_qc')).toEqual({ kind: 'bool', values: Uint8Array.of(1, 0, 1) });
    const reason = marked.obs.require('qc_reason');
    if (reason.kind !== 'categorical') throw new Error('not categorical');
    expect([...reason.codes].map((c) => reason.categories[c])).toEqual(['', 'low_genes', '']);
  });

  it('refuses to remove every cell', async () => {
    const obs = new Frame(['c0'], [
      ['n_counts', { kind: 'numeric', values: Float64Array.of(1) }],
      ['n_genes', { kind: 'numeric', values: Float64Array.of(1) }],
      ['pct_mito', { kind: 'numeric', values: Float64Array.of(0) }],
    ]);
    const adata = new AnnDataLite({ X: csrFromDense(1, 1, [1]), obs, var: new Frame(['g']) });
    await expect(filterCells(adata, { minGenes: 200 })).rejects.toThrow(/removed all 1 cells/);
  });
});
