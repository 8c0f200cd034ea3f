import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { computeQcMetrics, computeQcMetricsKernel, geneMask } from '../../../src/qc/computeQcMetrics.js';

// 3 cells x 4 genes: MT-CO1, RPS3, GAPDH, RPL10
//   cell0: 2 1 5 2  -> total 10, genes 4, mito 2/10 = 20%, ribo (1+2)/10 = 30%
//   cell1: 0 0 4 0  -> total 4,  genes 1, mito 0%,  ribo 0%
//   cell2: 0 0 0 0  -> total 0,  genes 0, pct 0 (empty cell, no NaN)
const names = ['MT-CO1', 'RPS3', 'GAPDH', 'RPL10'];
const x = csrFromDense(3, 4, [2, 1, 5, 2, 0, 0, 4, 0, 0, 0, 0, 0]);

describe('computeQcMetrics', () => {
  it('computes per-cell totals, detected genes and mito/ribo percentages by hand', () => {
    const m = computeQcMetricsKernel(x, geneMask(names, ['MT-']), geneMask(names, ['RPS', 'RPL']));
    expect([...m.nCounts]).toEqual([10, 4, 0]);
    expect([...m.nGenes]).toEqual([4, 1, 0]);
    expect([...m.pctMito]).toEqual([20, 0, 0]);
    expect([...m.pctRibo]).toEqual([30, 0, 0]);
    // per gene: cells detected 1,1,2,1; totals 2,1,9,2
    expect([...m.geneNCells]).toEqual([1, 1, 2, 1]);
    expect([...m.geneTotalCounts]).toEqual([2, 1, 9, 2]);
  });

  it('accepts an explicit mitochondrial gene list instead of prefixes', () => {
    expect([...geneMask(names, ['MT-'], ['GAPDH'])]).toEqual([0, 0, 1, 0]);
    expect([...geneMask(['mt-Co1', 'Actb'], ['MT-', 'mt-'])]).toEqual([1, 0]);
  });

  it('writes the shared obs/var keys from layers.counts', async () => {
    const adata = new AnnDataLite({ X: x, layers: { counts: x }, obs: new Frame(['a', 'b', 'c']), var: new Frame(names) });
    const out = await computeQcMetrics(adata, {});
    const col = (k: string) => out.obs.require(k);
    expect(col('n_counts')).toEqual({ kind: 'numeric', values: Float64Array.of(10, 4, 0) });
    expect(col('pct_mito')).toEqual({ kind: 'numeric', values: Float64Array.of(20, 0, 0) });
    expect(out.var.require('mito')).toEqual({ kind: 'bool', values: Uint8Array.of(1, 0, 0, 0) });
    expect(out.var.require('ribo')).toEqual({ kind: 'bool', values: Uint8Array.of(0, 1, 0, 1) });
    expect(out.history.at(-1)?.step).toBe('qc_metrics');
  });

  it('rejects unknown parameters', async () => {
    const adata = new AnnDataLite({ X: x, obs: new Frame(['a', 'b', 'c']), var: new Frame(names) });
    await expect(computeQcMetrics(adata, { mitoPrefix: 'MT-' } as never)).rejects.toThrow(/unknown parameter 'mitoPrefix'/);
  });
});
