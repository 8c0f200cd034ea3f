import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { filterGenes, filterGenesKernel } from '../../../src/qc/filterGenes.js';

// 4 cells x 3 genes; gene0 in 3 cells, gene1 in 2, gene2 in 4
const x = csrFromDense(4, 3, [1, 1, 1, 2, 0, 1, 1, 3, 1, 0, 0, 1]);

describe('filterGenes', () => {
  it('keeps genes detected in at least minCells cells (inclusive, as Seurat min.cells)', () => {
    const r = filterGenesKernel(x, { minCells: 3, minCounts: 0 });
    expect([...r.nCells]).toEqual([3, 2, 4]);
    expect([...r.totalCounts]).toEqual([4, 4, 4]);
    expect([...r.keep]).toEqual([1, 0, 1]);
  });

  it('step subsets X, layers and var', async () => {
    const adata = new AnnDataLite({ X: x, layers: { counts: x }, obs: new Frame(['a', 'b', 'c', 'd']), var: new Frame(['g0', 'g1', 'g2']) });
    const out = await filterGenes(adata, {});
    expect(out.varNames).toEqual(['g0', 'g2']);
    expect(out.layers.counts.nCols).toBe(2);
    expect(out.var.require('n_cells')).toEqual({ kind: 'numeric', values: Float64Array.of(3, 4) });
  });
});
