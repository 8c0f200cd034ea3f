import { describe, expect, it } from 'vitest';
import { roundPct3, topMarkers } from '../../../src/markers/topMarkers.js';
import type { MarkerStats } from '../../../src/markers/findMarkers.js';

describe('roundPct3 = R round(x, 3) (R >= 4.0)', () => {
  it('matches R on the representation-tie cases Seurat hits', () => {
    // R 4.2.2: round(c(0.4625, 0.7875, 0.3125, 0.2875, 0.1625, 0.0625, 0.9995), 3)
    //        = 0.462 0.787 0.312 0.288 0.162 0.062 1.000
    const x = [0.4625, 0.7875, 0.3125, 0.2875, 0.1625, 0.0625, 0.9995];
    expect(x.map(roundPct3)).toEqual([0.462, 0.787, 0.312, 0.288, 0.162, 0.062, 1]);
    expect(roundPct3(2 / 3)).toBe(0.667);
    expect(roundPct3(0.1)).toBe(0.1);
    expect(roundPct3(0)).toBe(0);
    expect(roundPct3(NaN)).toBeNaN();
  });
});

/** Stats for 2 groups x 5 genes, given as [group][gene] rows. */
function stats(p: number[][], fc: number[][], pctIn: number[][], pctOut: number[][]): MarkerStats {
  const flat = (a: number[][]) => Float64Array.from(a.flat());
  return {
    nGroups: 2,
    nGenes: 5,
    test: 'wilcoxon',
    groupSizes: Float64Array.of(10, 10),
    restSizes: Float64Array.of(10, 10),
    pval: flat(p),
    stat: new Float64Array(10),
    auc: Float64Array.from({ length: 10 }, (_, t) => t / 10),
    log2fc: flat(fc),
    pctIn: flat(pctIn),
    pctOut: flat(pctOut),
    meanIn: new Float64Array(10),
    meanOut: new Float64Array(10),
  };
}

describe('topMarkers: Seurat filters, BH over tested genes, ranking', () => {
  // Group a: gene 0 passes; gene 1 fails min.pct: max(round(0.0994, 3), round(0.05, 3)) = 0.099 < 0.1;
  // gene 2 fails logfc (0.2); gene 3 passes with negative fc; gene 4 passes, p = 0.02.
  const s = stats(
    [[1e-10, 1e-12, 1e-9, 1e-8, 0.02], [0.5, 0.001, 0.001, 0.9, 0.3]],
    [[1, 2, 0.2, -0.5, 0.3], [0.3, 1.5, 0.8, 0.3, 0.3]],
    [[0.5, 0.0994, 0.5, 0.2, 0.3], [0.5, 0.5, 0.5, 0.5, 0.5]],
    [[0.1, 0.05, 0.1, 0.4, 0.2], [0.1, 0.1, 0.1, 0.1, 0.1]],
  );
  const base = { groups: ['a', 'b'], genes: ['G0', 'G1', 'G2', 'G3', 'G4'], geneIds: ['E0', 'E1', 'E2', 'E3', 'E4'], minPct: 0.1, logfcThreshold: 0.25, maxPval: 0.01 };

  it('tests genes passing min.pct and |log2FC|, adjusts by BH over them, reports p < maxPval', () => {
    const t = topMarkers(s, { ...base, nTop: 10, onlyPos: false });
    // Group a: tested = G0 (1e-10), G3 (1e-8), G4 (0.02): BH m = 3 -> 3e-10, 1.5e-8, 0.02; G4 not reported (p >= 0.01).
    // Group b: tested = G0, G1, G2, G3, G4 (pct_in 0.5); p = 0.5, 0.001, 0.001, 0.9, 0.3
    //   sorted 0.001 (G1, G2: ranks 1, 2), 0.3 (3), 0.5 (4), 0.9 (5): BH of the 0.001 pair = min(5*0.001/1, 5*0.001/2) = 0.0025.
    expect(t.cluster).toEqual(['a', 'a', 'b', 'b']);
    expect(t.gene).toEqual(['G0', 'G3', 'G1', 'G2']); // b: equal p, |log2FC| 1.5 > 0.8
    expect(t.geneId).toEqual(['E0', 'E3', 'E1', 'E2']);
    expect(Array.from(t.rank)).toEqual([1, 2, 1, 2]);
    expect(t.padj[0]).toBeCloseTo(3e-10, 24);
    expect(t.padj[1]).toBeCloseTo(1.5e-8, 22);
    expect(t.padj[2]).toBeCloseTo(0.0025, 16);
    expect(t.padj[3]).toBeCloseTo(0.0025, 16);
    expect(t.padjBonferroni[0]).toBeCloseTo(5e-10, 24);
    expect(Array.from(t.auc)).toEqual([0, 0.3, 0.6, 0.7]);
    expect(Array.from(t.pctIn)).toEqual([0.5, 0.2, 0.5, 0.5]);
  });

  it('with onlyPos drops negative log2FC from testing and reporting; nTop truncates per group', () => {
    const t = topMarkers(s, { ...base, nTop: 1, onlyPos: true });
    expect(t.gene).toEqual(['G0', 'G1']);
    // Group a tested = G0, G4 only (G3 negative): BH of 1e-10 with m = 2 -> 2e-10.
    expect(t.padj[0]).toBeCloseTo(2e-10, 24);
    const pairOnly = topMarkers(s, { ...base, nTop: 5, onlyPos: true, groupsToReport: [1] });
    expect(pairOnly.cluster.every((c) => c === 'b')).toBe(true);
  });
});
