import { describe, expect, it } from 'vitest';
import { computeMarkerStats, findMarkers, markerStatsBlock, type MarkerStats } from '../../../src/markers/findMarkers.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame, categoricalFrom } from '../../../src/core/frame.js';
import { createRng } from '../../../src/core/rng.js';
import { rankWithTies } from '../../../src/stats/rankWithTies.js';
import { normalUpperTail } from '../../../src/stats/normal.js';
import { UsageError, AnalysisError } from '../../../src/core/errors.js';

const rel = (a: number, b: number): number => Math.abs(a / b - 1);

/** One gene as a 1-column CSR (cells x 1). */
function column(values: number[]) {
  return csrFromDense(values.length, 1, values);
}

describe('computeMarkerStats: Wilcoxon as R wilcox.test(exact = FALSE, correct = TRUE)', () => {
  // Group 0: x = (0, 0, 1.5, 2); rest: y = (0, 1.5, 0.5, 0, 0) split over groups 1 and 2; one
  // excluded cell (code -1, value 9) must not count anywhere.
  // Pooled sort: 0 x5 -> ranks 1..5, mean 3; 0.5 -> 6; 1.5 x2 -> 7, 8, mean 7.5; 2 -> 9.
  // R1 = 3 + 3 + 7.5 + 9 = 22.5; W = R1 - 4*5/2 = 12.5; n1 n2 / 2 = 10; d = 2.5.
  // ties: (5^3 - 5) + (2^3 - 2) = 126; sigma^2 = (20/12) (10 - 126/72) = 13.75.
  // z = (2.5 - 0.5)/sqrt(13.75) = 0.539360..., p = 2 Q(z) = 0.58963855162656698 (R).
  // AUC = 12.5/20 = 0.625. pct_in = 2/4, pct_out = 2/5.
  // log2FC = log2(mean(expm1(x)) + 1) - log2(mean(expm1(y)) + 1) = 0.92522178490662743 (R).
  // Welch (R t.test(x, y)): t = 0.80218062874942331, df = 4.8543833580980671, p = 0.45989838277309059.
  const values = [0, 0, 0, 1.5, 9, 0.5, 1.5, 0, 0, 2];
  const codes = Int32Array.of(0, 1, 0, 0, -1, 2, 1, 2, 1, 0);

  it('reproduces W, p, AUC, pct and log2FC of group 0 vs the rest with ties, zeros and continuity', async () => {
    const s = await computeMarkerStats(column(values), codes, 3);
    expect(s.stat[0]).toBe(12.5);
    expect(rel(s.pval[0], 0.58963855162656698)).toBeLessThan(1e-14);
    expect(s.auc[0]).toBe(0.625);
    expect(s.pctIn[0]).toBe(0.5);
    expect(s.pctOut[0]).toBe(0.4);
    expect(rel(s.log2fc[0], 0.92522178490662743)).toBeLessThan(1e-14);
    expect(Array.from(s.groupSizes)).toEqual([4, 3, 2]);
    expect(Array.from(s.restSizes)).toEqual([5, 6, 7]);
  });

  it('gives the Welch t-test of R t.test when asked', async () => {
    const s = await computeMarkerStats(column(values), codes, 3, { test: 'welch' });
    expect(rel(s.stat[0], 0.80218062874942331)).toBeLessThan(1e-13);
    expect(rel(s.pval[0], 0.45989838277309059)).toBeLessThan(1e-12);
    expect(s.auc[0]).toBe(0.625); // AUC does not depend on the test
  });

  it('places the zero block between negative and positive values (pairwise, others excluded)', async () => {
    // x = (-1, 0, 2, 2, 3.5) (code 0), y = (0, 0, -1, 2, 0.25, 0, 1) (code 1), two cells code -1.
    // Sorted: -1 x2 -> 1.5; 0 x4 -> 4.5; 0.25 -> 7; 1 -> 8; 2 x3 -> 10; 3.5 -> 12.
    // R1 = 1.5 + 4.5 + 10 + 10 + 12 = 38; W = 38 - 15 = 23; ties 6 + 60 + 24 = 90.
    // R: W = 23, p = 0.40418656470225728; t.test: t = 1.1172727913345519, p = 0.30950927204997214.
    const v = [-1, 0, 7, 0, 2, 0, 2, -1, 3.5, 2, 0.25, 0, -5, 1];
    const c = Int32Array.of(0, 1, -1, 0, 0, 1, 0, 1, 0, 1, 1, 1, -1, 1);
    const s = await computeMarkerStats(column(v), c, 2, { pairwise: true });
    expect(s.stat[0]).toBe(23);
    expect(rel(s.pval[0], 0.40418656470225728)).toBeLessThan(1e-14);
    // The reverse direction: W' = n1 n2 - W = 12, same two-sided p.
    expect(s.stat[1]).toBe(12);
    expect(s.pval[1]).toBe(s.pval[0]);
    const t = await computeMarkerStats(column(v), c, 2, { pairwise: true, test: 'welch' });
    expect(rel(t.stat[0], 1.1172727913345519)).toBeLessThan(1e-13);
    expect(rel(t.pval[0], 0.30950927204997214)).toBeLessThan(1e-12);
  });

  it('returns p = 1 for a gene constant over the compared cells and NaN for an empty group', async () => {
    const s = await computeMarkerStats(column([0, 0, 0, 0]), Int32Array.of(0, 0, 1, 1), 3);
    expect(s.pval[0]).toBe(1);
    expect(s.auc[0]).toBe(0.5);
    expect(s.pval[2]).toBeNaN(); // group 2 has no cells
  });
});

/** Naive oracle: dense column, R's formula through rankWithTies over the included cells. */
function naiveWilcoxon(col: Float64Array, codes: Int32Array, g: number): { w: number; p: number; fc: number } {
  const inc: number[] = [];
  for (let i = 0; i < col.length; i++) if (codes[i] >= 0) inc.push(i);
  const vals = Float64Array.from(inc.map((i) => col[i]));
  const { ranks, tieSum } = rankWithTies(vals);
  let r1 = 0, n1 = 0, e1 = 0, e2 = 0;
  inc.forEach((i, t) => {
    if (codes[i] === g) { r1 += ranks[t]; n1++; e1 += Math.expm1(col[i]); } else e2 += Math.expm1(col[i]);
  });
  const n = inc.length, n2 = n - n1;
  const w = r1 - (n1 * (n1 + 1)) / 2;
  const d = w - (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1))));
  const z = (d - Math.sign(d) * 0.5) / sigma;
  return { w, p: Math.min(1, 2 * normalUpperTail(Math.abs(z))), fc: Math.log2(e1 / n1 + 1) - Math.log2(e2 / n2 + 1) };
}

describe('sparse one-pass kernel agrees with a dense naive oracle', () => {
  it('on random sparse data with negatives, ties, 5 groups and excluded cells', async () => {
    const rng = createRng(11);
    const nCells = 300, nGenes = 40, nGroups = 5;
    const dense = new Float64Array(nCells * nGenes);
    for (let t = 0; t < dense.length; t++) {
      const u = rng.next();
      // ~60% zeros, a few negatives, values on a coarse grid so that ties are common.
      dense[t] = u < 0.6 ? 0 : u < 0.65 ? -Math.ceil(rng.next() * 4) / 4 : Math.ceil(rng.next() * 12) / 4;
    }
    const codes = new Int32Array(nCells);
    for (let i = 0; i < nCells; i++) codes[i] = rng.next() < 0.05 ? -1 : rng.int(nGroups);
    const x = csrFromDense(nCells, nGenes, dense);
    const s: MarkerStats = await computeMarkerStats(x, codes, nGroups);
    for (let j = 0; j < nGenes; j++) {
      const col = new Float64Array(nCells);
      for (let i = 0; i < nCells; i++) col[i] = dense[i * nGenes + j];
      for (let g = 0; g < nGroups; g++) {
        const ref = naiveWilcoxon(col, codes, g);
        const o = g * nGenes + j;
        expect(s.stat[o]).toBe(ref.w);
        expect(rel(s.pval[o], ref.p)).toBeLessThan(1e-12);
        expect(Math.abs(s.log2fc[o] - ref.fc)).toBeLessThan(1e-12);
      }
    }
  });

  it('gives the same result for a single block call and the stitched 64-block result', async () => {
    const x = csrFromDense(6, 3, [0, 1, 2, 3, 0, 1, 0, 0, 2, 1, 1, 0, 5, 0, 0, 0, 2, 2]);
    const codes = Int32Array.of(0, 1, 0, 1, 0, 1);
    const s = await computeMarkerStats(x, codes, 2);
    // CSC of x built by hand: gene 0 = (0, 3, 0, 1, 5, 0), gene 1 = (1, 0, 0, 1, 0, 2), gene 2 = (2, 1, 2, 0, 0, 2).
    const indptr = Float64Array.of(0, 3, 6, 10);
    const indices = Int32Array.of(1, 3, 4, 0, 3, 5, 0, 1, 2, 5);
    const data = Float32Array.of(3, 1, 5, 1, 1, 2, 2, 1, 2, 2);
    const block = markerStatsBlock(indptr, indices, data, codes, 2, false, 0, 3, 'wilcoxon');
    expect(Array.from(block[0])).toEqual(Array.from(s.pval));
    expect(Array.from(block[3])).toEqual(Array.from(s.log2fc));
  });
});

describe('find_markers step', () => {
  function tinyAdata(): AnnDataLite {
    // 8 cells x 3 genes; gene 'A' is high in cluster '0', 'B' in cluster '1', 'C' flat.
    const dense = [
      3, 0, 1,
      2.5, 0, 1,
      3.2, 0.1, 1,
      2.8, 0, 1,
      0, 2, 1,
      0, 2.2, 1,
      0.2, 1.9, 1,
      0, 2.4, 1,
    ];
    const obs = new Frame(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'], [
      ['cluster', categoricalFrom(['0', '0', '0', '0', '1', '1', '1', '1'])],
    ]);
    const v = new Frame(['A', 'B', 'C'], [['gene_ids', { kind: 'string', values: ['ENSG1', 'ENSG2', 'ENSG3'] }]]);
    return new AnnDataLite({ X: csrFromDense(8, 3, dense), obs, var: v });
  }

  it('stores a ranked top-N table in uns.markers with Seurat-style filters', async () => {
    const out = await findMarkers(tinyAdata(), { onlyPos: true, maxPval: 1, nTop: 5 });
    const m = out.uns.markers as unknown as { groups: string[]; table: Record<string, unknown> };
    expect(m.groups).toEqual(['0', '1']);
    const t = m.table as { cluster: string[]; gene: string[]; gene_id: string[]; rank: Int32Array; auc: Float64Array; pval: Float64Array; padj: Float64Array };
    // Only the positive marker of each cluster passes only.pos and the log2FC threshold; 'C' is flat.
    expect(t.cluster).toEqual(['0', '1']);
    expect(t.gene).toEqual(['A', 'B']);
    expect(t.gene_id).toEqual(['ENSG1', 'ENSG2']);
    expect(Array.from(t.rank)).toEqual([1, 1]);
    expect(Array.from(t.auc)).toEqual([1, 1]);
    // Gene A, cluster 0 vs 1: perfect separation 4 vs 4, W = 16, d = 16 - 8 = 8, corrected 7.5;
    // values of cluster 1 = (0, 0, 0.2, 0): zeros x3 -> tie term 3^3 - 3 = 24;
    // sigma^2 = (16/12)(9 - 24/56) = 11.428571; z = 7.5/3.380617 = 2.218529; p = 2 Q(z) = 0.026519...
    expect(rel(t.pval[0], 2 * normalUpperTail(7.5 / Math.sqrt((16 / 12) * (9 - 24 / 56))))).toBeLessThan(1e-14);
    expect(t.padj[0]).toBe(t.pval[0]); // one tested gene in the group -> BH = p
    expect(out.history.at(-1)?.step).toBe('find_markers');
  });

  it('compares two named groups and rejects bad parameters and inputs', async () => {
    const out = await findMarkers(tinyAdata(), { groupA: '1', groupB: '0', maxPval: 1 });
    const t = (out.uns.markers as unknown as { table: { cluster: string[]; gene: string[] } }).table;
    expect(t.cluster.every((c) => c === '1')).toBe(true);
    // A (down in '1') and B (up) have the same tie structure and W distance, hence the same p;
    // |log2FC| breaks the tie: A: log2(expm1(0.2)/4 + 1) - log2(mean expm1(3, 2.5, 3.2, 2.8) + 1)
    // = 0.077 - 4.19 = -4.11; B: 3.09 - 0.037 = 3.06, so A ranks first.
    expect(t.gene).toEqual(['A', 'B']);
    await expect(findMarkers(tinyAdata(), { groupA: '7' })).rejects.toBeInstanceOf(UsageError);
    await expect(findMarkers(tinyAdata(), { minPct: 2 })).rejects.toBeInstanceOf(UsageError);
    await expect(findMarkers(tinyAdata(), { groupby: 'louvain' })).rejects.toBeInstanceOf(AnalysisError);
    await expect(findMarkers(tinyAdata(), { nope: 1 } as never)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('Float64 input (exact R tie structure) takes the generic path with the same results', () => {
  it('equals the Float32 packed-sort path on values exactly representable in both', async () => {
    const rng = createRng(5);
    const nCells = 200, nGenes = 12;
    const dense = new Float64Array(nCells * nGenes);
    for (let t = 0; t < dense.length; t++) {
      const u = rng.next();
      dense[t] = u < 0.5 ? 0 : u < 0.55 ? -0.5 : Math.ceil(rng.next() * 8) / 8;
    }
    const codes = new Int32Array(nCells);
    for (let i = 0; i < nCells; i++) codes[i] = rng.int(4);
    const x32 = csrFromDense(nCells, nGenes, dense);
    const s32 = await computeMarkerStats(x32, codes, 4);
    // The same matrix as a Float64 CSC.
    const indptr = new Float64Array(nGenes + 1);
    const idx: number[] = [];
    const val: number[] = [];
    for (let j = 0; j < nGenes; j++) {
      for (let i = 0; i < nCells; i++) if (dense[i * nGenes + j] !== 0) { idx.push(i); val.push(dense[i * nGenes + j]); }
      indptr[j + 1] = idx.length;
    }
    const s64 = await computeMarkerStats({ nRows: nCells, nCols: nGenes, indptr, indices: Int32Array.from(idx), data: Float64Array.from(val) }, codes, 4);
    expect(Array.from(s64.stat)).toEqual(Array.from(s32.stat));
    expect(Array.from(s64.pval)).toEqual(Array.from(s32.pval));
    expect(Array.from(s64.auc)).toEqual(Array.from(s32.auc));
  });
});
