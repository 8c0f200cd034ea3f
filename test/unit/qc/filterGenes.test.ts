import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { filterGenes, filterGenesFromTotals, filterGenesKernel, filterGenesOfCells, geneSumsOfVar } from '../../../src/qc/filterGenes.js';
import { computeQcMetrics } from '../../../src/qc/computeQcMetrics.js';
import { toDenseArray } from '../../../src/core/sparse.js';

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

  it('filters genes over chosen cells with one copy, as filterGenes after subsetObs', async () => {
    // Cells 3, 0, 1 (cell 2 dropped): gene0 in 2 of them, gene1 in 1, gene2 in 3.
    const adata = new AnnDataLite({ X: x, obs: new Frame(['a', 'b', 'c', 'd']), var: new Frame(['g0', 'g1', 'g2']) });
    const rows = Int32Array.of(3, 0, 1);
    const out = await filterGenesOfCells(adata, rows, { minCells: 3 });
    expect(out.obsNames).toEqual(['d', 'a', 'b']);
    expect(out.varNames).toEqual(['g2']);
    expect([...toDenseArray(out.X)]).toEqual([1, 1, 1]);
    expect(out.var.require('n_cells')).toEqual({ kind: 'numeric', values: Float64Array.of(3) });
    expect(out.history.map((h) => h.step)).toEqual(['filter_genes']);
    const twoCopies = await filterGenes(adata.subsetObs(rows), { minCells: 2 });
    const oneCopy = await filterGenesOfCells(adata, rows, { minCells: 2 });
    expect(oneCopy.varNames).toEqual(['g0', 'g2']);
    expect([...toDenseArray(oneCopy.X)]).toEqual([...toDenseArray(twoCopies.X)]);
    expect(oneCopy.var.require('total_counts')).toEqual(twoCopies.var.require('total_counts'));
  });

  it('in place: the same cells, genes and counts as the copy, written over the input counts', async () => {
    // Cells 3, 0, 1 (pool-first order, cell 3 set aside first) and genes 0, 2 (gene 1 in 1 of them).
    const rows = Int32Array.of(3, 0, 1);
    const copy = await filterGenesOfCells(new AnnDataLite({ X: x, obs: new Frame(['a', 'b', 'c', 'd']), var: new Frame(['g0', 'g1', 'g2']) }), rows, { minCells: 2 });
    const own = csrFromDense(4, 3, [...toDenseArray(x)]);
    const adata = new AnnDataLite({ X: own, layers: { counts: own }, obs: new Frame(['a', 'b', 'c', 'd']), var: new Frame(['g0', 'g1', 'g2']) });
    const moved = await filterGenesOfCells(adata, rows, { minCells: 2 }, {}, { inPlace: true });
    expect(moved.X.data.buffer).toBe(own.data.buffer);
    expect(moved.layers.counts).toBe(moved.X);
    expect(moved.obsNames).toEqual(['d', 'a', 'b']);
    expect(moved.varNames).toEqual(copy.varNames);
    expect([...toDenseArray(moved.X)]).toEqual([0, 1, 1, 1, 2, 1]);
    expect([...toDenseArray(moved.X)]).toEqual([...toDenseArray(copy.X)]);
  });

  it('finds the sums over most cells from the totals of all cells less the others', async () => {
    const qc = await computeQcMetrics(new AnnDataLite({ X: x, obs: new Frame(['a', 'b', 'c', 'd']), var: new Frame(['g0', 'g1', 'g2']) }));
    const all = geneSumsOfVar(qc)!;
    expect([...all.nCells]).toEqual([3, 2, 4]);
    // Without cell 1 (values 2, 0, 1): gene0 in 2 cells with 2 counts, gene1 in 2 with 4, gene2 in 3 with 3.
    const r = await filterGenesFromTotals(x, Int32Array.of(0, 2, 3), all, { minCells: 3, minCounts: 0 }, 1);
    expect([...r.nCells]).toEqual([2, 2, 3]);
    expect([...r.totalCounts]).toEqual([2, 4, 3]);
    expect([...r.keep]).toEqual([0, 0, 1]);
    const direct = filterGenesKernel(x, { minCells: 3, minCounts: 0 });
    const allRows = await filterGenesFromTotals(x, Int32Array.of(3, 2, 1, 0), all, { minCells: 3, minCounts: 0 }, 1);
    expect([...allRows.totalCounts]).toEqual([...direct.totalCounts]);
    const withTotals = await filterGenesOfCells(qc, Int32Array.of(0, 2, 3), { minCells: 3 }, {}, { allCells: all });
    expect(withTotals.varNames).toEqual(['g2']);
  });
});

