import { describe, expect, it } from 'vitest';
import { associateGenes, computePseudobulk, ASSOCIATE_GENES_DEFAULTS } from '../../../src/cqa/associateGenes.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { createRng } from '../../../src/core/rng.js';
import { spearman } from '../../../src/stats/spearman.js';

describe('computePseudobulk', () => {
  it('averages log expression per lot and per cluster within lot from CSR', () => {
    // 5 cells x 3 genes; lots (0,0,1,1,-1); clusters (0,1,0,0,1)
    const x = csrFromDense(5, 3, [
      1, 0, 2,
      3, 0, 0,
      0, 4, 1,
      2, 0, 1,
      9, 9, 9,
    ]);
    const pb = computePseudobulk(x, Int32Array.of(0, 0, 1, 1, -1), 2, Int32Array.of(0, 1, 0, 0, 1), 2);
    // lot 0: cells 0,1 -> (2, 0, 1); lot 1: cells 2,3 -> (1, 2, 1); cell 4 excluded
    expect(Array.from(pb.lotMeans)).toEqual([2, 0, 1, 1, 2, 1]);
    expect(Array.from(pb.lotDetected)).toEqual([2, 0, 1, 1, 1, 2]);
    expect(Array.from(pb.lotCells)).toEqual([2, 2]);
    // cluster 0: lot 0 = cell 0 (1,0,2); lot 1 = cells 2,3 (1,2,1). cluster 1: lot 0 = cell 1 (3,0,0); lot 1 none (NaN)
    const c = Array.from(pb.clusterMeans);
    expect(c.slice(0, 6)).toEqual([1, 0, 2, 1, 2, 1]);
    expect(c.slice(6, 9)).toEqual([3, 0, 0]);
    expect(c.slice(9, 12).every(Number.isNaN)).toBe(true);
    expect(Array.from(pb.clusterCells)).toEqual([1, 2, 1, 0]);
  });
});

describe('associateGenes', () => {
  it('finds the planted gene, filters sparse genes, and matches direct Spearman', async () => {
    const rng = createRng(11);
    const nLots = 11, nVars = 200;
    const vegf = new Float64Array(nLots);
    for (let l = 0; l < nLots; l++) vegf[l] = 200 + 20 * l + 15 * rng.normal();
    const expr = new Float64Array(nLots * nVars);
    const detected = new Float64Array(nLots * nVars).fill(50);
    for (let l = 0; l < nLots; l++) {
      for (let j = 0; j < nVars; j++) expr[l * nVars + j] = 1 + 0.2 * rng.normal();
      expr[l * nVars + 7] = 0.5 + 0.01 * vegf[l] + 0.1 * rng.normal(); // planted
      // gene 9: expressed in 2 lots only -> skipped (minLots 3)
      expr[l * nVars + 9] = l < 2 ? 1 : 0;
    }
    const genes = Array.from({ length: nVars }, (_, j) => `G${j}`);
    const t = associateGenes(expr, detected, genes, genes.map((g) => `ID${g}`), [{ name: 'vegf', values: vegf }],
      { ...ASSOCIATE_GENES_DEFAULTS, nPermutations: 5000 }, createRng(1));
    expect(t.gene.length).toBe(nVars - 1);
    expect(t.gene).not.toContain('G9');
    const at = t.gene.indexOf('G7');
    expect(t.gene_id[at]).toBe('IDG7');
    expect(t.pval[at]).toBeLessThan(0.001);
    expect(t.padj[at]).toBeLessThan(0.05);
    // smallest p overall
    expect(Math.min(...t.pval)).toBe(t.pval[at]);
    // rho equals the direct Spearman on the pseudobulk
    const g3 = Array.from({ length: nLots }, (_, l) => expr[l * nVars + 3]);
    expect(t.rho[t.gene.indexOf('G3')]).toBeCloseTo(spearman(g3, vegf), 12);
    expect(t.method.vegf).toContain('monte_carlo');
    // null genes are not significant after BH
    expect(t.padj.filter((q) => q < 0.05).length).toBeLessThanOrEqual(2);
  });
});

describe('associateGenes on a within-cluster pseudobulk', () => {
  it('skips lots without cells in the cluster (NaN rows)', () => {
    // 6 lots x 2 cells, 1 gene; cluster 1 holds the second cell of lots 0-4 only (lot 5 has none).
    const vals: number[] = [];
    const lots: number[] = [];
    const clusters: number[] = [];
    for (let l = 0; l < 6; l++) {
      vals.push(1, l + 1);
      lots.push(l, l);
      clusters.push(0, l < 5 ? 1 : 0);
    }
    const x = csrFromDense(12, 1, vals);
    const pb = computePseudobulk(x, Int32Array.from(lots), 6, Int32Array.from(clusters), 2);
    const block = pb.clusterMeans.subarray(6, 12); // cluster 1: lots x 1 gene
    expect(Array.from(block.subarray(0, 5))).toEqual([1, 2, 3, 4, 5]);
    expect(block[5]).toBeNaN();
    const det = pb.lotDetected; // detection over the whole lot is a fine filter input here
    const t = associateGenes(block, det, ['G'], ['G'], [{ name: 'r', values: Float64Array.of(1, 2, 3, 4, 5, 6) }],
      { ...ASSOCIATE_GENES_DEFAULTS, minCells: 0, minLots: 1 }, createRng(0));
    // 5 lots used (exact): rho = 1, p = 2/120
    expect(Array.from(t.n_lots)).toEqual([5]);
    expect(t.rho[0]).toBe(1);
    expect(t.pval[0]).toBeCloseTo(2 / 120, 15);
  });
});
