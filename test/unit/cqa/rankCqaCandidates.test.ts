import { describe, expect, it } from 'vitest';
import { rankCqaCandidates, RANK_CQA_DEFAULTS } from '../../../src/cqa/rankCqaCandidates.js';
import { associateClusters, type ClusterAssociationTable } from '../../../src/cqa/associateClusters.js';
import { associateGenes, computePseudobulk, type GeneAssociationTable } from '../../../src/cqa/associateGenes.js';
import { computeComposition } from '../../../src/cqa/computeComposition.js';
import { computeMarkerStats } from '../../../src/markers/findMarkers.js';
import { topMarkers } from '../../../src/markers/topMarkers.js';
import { createRng } from '../../../src/core/rng.js';
import { simulateLots } from './simulateLots.js';

function clusterTable(rows: [string, number, number][]): ClusterAssociationTable {
  const n = rows.length;
  return {
    readout: rows.map(() => 'vegf'), cluster: rows.map((r) => r[0]), n_lots: new Int32Array(n).fill(11),
    rho: Float64Array.from(rows.map((r) => r[1])), pval: Float64Array.from(rows.map((r) => r[2])), padj: Float64Array.from(rows.map((r) => r[2])),
    pearson_r: new Float64Array(n), model_coef: new Float64Array(n), model_pval: new Float64Array(n),
    loo_min_abs_rho: new Float64Array(n).fill(0.5), loo_sign_flips: new Int32Array(n), method: {},
  };
}
function geneTable(rows: [string, number, number][]): GeneAssociationTable {
  const n = rows.length;
  return {
    readout: rows.map(() => 'vegf'), gene: rows.map((r) => r[0]), gene_id: rows.map((r) => `ID_${r[0]}`), gene_index: new Int32Array(n),
    n_lots: new Int32Array(n).fill(11), rho: Float64Array.from(rows.map((r) => r[1])), pval: Float64Array.from(rows.map((r) => r[2])),
    padj: Float64Array.from(rows.map((r) => r[2])), mean_expr: new Float64Array(n), method: {},
  };
}

describe('rankCqaCandidates score', () => {
  it('adds sign-consistent cluster and lot evidence and demotes contradicting genes', () => {
    // cluster 3: rho +0.8, padj 0.001 (-log10 = 3); cluster 1: rho -0.7, padj 0.01 (2)
    const clusters = clusterTable([['1', -0.7, 0.01], ['3', 0.8, 0.001]]);
    const markers = {
      cluster: ['3', '3', '1', '3'], gene: ['A', 'B', 'C', 'D'],
      log2fc: [4, 2, 1.5, 1], auc: [0.95, 0.8, 0.9, 0.6], padj: [1e-10, 1e-5, 1e-8, 0.2],
    };
    const genes = geneTable([['A', 0.9, 1e-4], ['B', -0.6, 1e-4], ['C', -0.8, 0.001], ['E', 0.5, 0.1], ['D', 0.3, 0.3]]);
    const t = rankCqaCandidates(clusters, genes, markers, RANK_CQA_DEFAULTS);
    // C(g, c) = -log10(cluster padj) * |log2fc| * |2 AUC - 1|
    // m(g, c) = -log10(marker padj) / top -log10(marker padj) of the cluster (D is excluded):
    // cluster 3 top = A (10): m(A) = 1, m(B) = 5/10; cluster 1 top = C: m(C) = 1.
    // C(g, c) = -log10(cluster padj) * m; G = -log10(gene padj) * agreement (padj = pval here).
    // A: C = 3 * 1 = 3, d = +1; G = +4 (rho +, agrees)                        -> 7
    // C: C = 2 * 1 = 2, d = sign(1.5) * sign(-0.7) = -1; G = +3 (rho -)        -> 5
    // E: no marker, G = 1                                                     -> 1
    // D: marker padj 0.2 >= 0.05 -> no cluster route; G = -log10(0.3) = 0.523 -> 0.523
    // B: C = 3 * 0.5 = 1.5, d = +1; G = -4 (rho negative contradicts)          -> -2.5 (dropped)
    expect(t.gene).toEqual(['A', 'C', 'E', 'D']);
    expect(t.score[0]).toBeCloseTo(3 + 4, 12);
    expect(t.score[1]).toBeCloseTo(2 + 3, 12);
    expect(t.score[2]).toBeCloseTo(1, 12);
    expect(t.score[3]).toBeCloseTo(-Math.log10(0.3), 12);
    expect(Array.from(t.rank)).toEqual([1, 2, 3, 4]);
    expect(t.cluster).toEqual(['3', '1', '', '']);
    expect(Array.from(t.direction)).toEqual([1, -1, 1, 1]);
    expect(t.gene_id[0]).toBe('ID_A');
    expect(t.cluster_rho[1]).toBe(-0.7);
    expect(t.marker_auc[0]).toBe(0.95);
    expect(t.loo_min_abs_rho[2]).toBeNaN();
  });
});

describe('rankCqaCandidates on simulated cohorts', () => {
  it('puts the planted marker of the potency cluster first', async () => {
    const fast = { nPermutations: 20_000, exactMaxLots: 8, pseudocount: 0.5, minLots: 4 };
    let top = 0;
    const seeds = [1, 2, 3, 4, 5];
    for (const seed of seeds) {
      const sim = simulateLots(seed);
      const clusterNames = ['0', '1', '2', '3', '4', '5'];
      const lotNames = Array.from({ length: 11 }, (_, l) => `L${l}`);
      const comp = await computeComposition({ lotCodes: sim.lot, lotNames, clusterCodes: sim.cluster, clusterNames }, { k: 15 });
      const readouts = [{ name: 'vegf_hypoxia', values: sim.vegf }];
      const ct = associateClusters(comp, readouts, fast, createRng(seed));
      const pb = computePseudobulk(sim.x, sim.lot, 11);
      const gt = associateGenes(pb.lotMeans, pb.lotDetected, sim.genes, sim.genes, readouts,
        { nPermutations: 20_000, exactMaxLots: 8, minCells: 20, minLots: 3, minReadoutLots: 4 }, createRng(seed));
      const stats = await computeMarkerStats(sim.x, sim.cluster, 6);
      const mk = topMarkers(stats, { groups: clusterNames, genes: sim.genes, geneIds: sim.genes, nTop: 20, minPct: 0.1, logfcThreshold: 0.25, onlyPos: true, maxPval: 0.01 });
      const cand = rankCqaCandidates(ct, gt, mk, RANK_CQA_DEFAULTS);
      if (cand.gene[0] === 'LRRC75A' && cand.cluster[0] === '3' && cand.direction[0] === 1) top++;
    }
    expect(top).toBe(seeds.length);
  });
});
