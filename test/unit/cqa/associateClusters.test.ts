import { describe, expect, it } from 'vitest';
import { associateClusters, leaveOneOutRho, type AssociateClustersParams } from '../../../src/cqa/associateClusters.js';
import type { Composition } from '../../../src/cqa/computeComposition.js';
import { createRng, type Rng } from '../../../src/core/rng.js';
import { ksUniformDistance } from '../../../src/stats/ks.js';

const FAST: AssociateClustersParams = { nPermutations: 20_000, exactMaxLots: 8, pseudocount: 0.5, minLots: 4 };

/** A composition from a row-major lot x cluster count matrix. */
function compositionOf(counts: number[][]): Composition {
  const nLots = counts.length;
  const nClusters = counts[0].length;
  const c = new Float64Array(nLots * nClusters);
  const totals = new Float64Array(nLots);
  counts.forEach((row, l) => row.forEach((v, k) => { c[l * nClusters + k] = v; totals[l] += v; }));
  const fractions = c.map((v, t) => v / totals[Math.floor(t / nClusters)]);
  return {
    lotNames: counts.map((_, l) => `lot${l}`), clusterNames: counts[0].map((_, k) => String(k)),
    nLots, nClusters, counts: c, totals, fractions, method: 'test',
  };
}

/** Naive BH oracle: padj_i = min_{j: p_j >= p_i} min(1, m p_j / rank_j). */
function naiveBH(p: Float64Array): number[] {
  const m = p.length;
  return Array.from(p, (pi) => {
    let best = 1;
    for (let j = 0; j < m; j++) {
      if (p[j] < pi) continue;
      let rank = 0;
      for (let t = 0; t < m; t++) if (p[t] <= p[j]) rank++;
      best = Math.min(best, (m * p[j]) / rank);
    }
    return best;
  });
}

/**
 * Synthetic lot-level cohort: 11 lots, `nClusters` clusters with random log-normal base shares;
 * cluster 3 is the potency cluster with a log-uniform share in [0.02, 0.2] (as the simulator);
 * counts are a multinomial sample of 1500-3000 cells per lot; the readout is
 * vegf = 200 + slope * fraction + N(0, 30^2), so slope 0 gives a null cohort.
 */
function synthCohort(rng: Rng, nClusters: number, slope: number): { comp: Composition; vegf: Float64Array } {
  const nLots = 11;
  const counts: number[][] = [];
  const vegf = new Float64Array(nLots);
  const base = Array.from({ length: nClusters }, () => Math.exp(0.5 * rng.normal()));
  for (let l = 0; l < nLots; l++) {
    const potency = 0.02 * Math.pow(10, rng.next());
    const w = base.map((b) => b * Math.exp(0.4 * rng.normal()));
    w[3] = 0;
    const ws = w.reduce((s, v) => s + v, 0);
    const p = w.map((v) => (v / ws) * (1 - potency));
    p[3] = potency;
    const nCells = 1500 + rng.int(1500);
    const row = new Array<number>(nClusters).fill(0);
    for (let i = 0; i < nCells; i++) {
      let u = rng.next();
      let c = 0;
      while (c < nClusters - 1 && u >= p[c]) { u -= p[c]; c++; }
      row[c]++;
    }
    counts.push(row);
    vegf[l] = 200 + slope * (row[3] / nCells) + 30 * rng.normal();
  }
  return { comp: compositionOf(counts), vegf };
}

describe('leaveOneOutRho', () => {
  it('finds the minimum |rho| and counts no flips for a stable association', () => {
    // x = 1..5, y = (1,2,3,5,4): rho = 0.9. Dropping lot 1, 2 or 3 leaves ranks (1,2,4,3): rho = 0.8;
    // dropping lot 4 or 5 leaves a monotone pair: rho = 1. Minimum 0.8, no flips.
    const loo = leaveOneOutRho(Float64Array.of(1, 2, 3, 4, 5), Float64Array.of(1, 2, 3, 5, 4), 0.9);
    expect(loo.minAbs).toBeCloseTo(0.8, 12);
    expect(loo.flips).toBe(0);
  });
  it('detects one influential lot that flips the sign', () => {
    // x = 1..5, y = (1, 0, -1, 0.5, 10): y ranks (4,2,1,3,5), sum d^2 = 14, rho = 1 - 84/120 = 0.3.
    // Drop 1: ranks (2,1,3,4) rho 0.8; drop 2: (3,1,2,4) 0.4; drop 3: (3,1,2,4) 0.4;
    // drop 4: (3,2,1,4) sum d^2 8 -> 0.2; drop 5: (4,2,1,3) sum d^2 14 -> -0.4 (flip).
    const loo = leaveOneOutRho(Float64Array.of(1, 2, 3, 4, 5), Float64Array.of(1, 0, -1, 0.5, 10), 0.3);
    expect(loo.minAbs).toBeCloseTo(0.2, 12);
    expect(loo.flips).toBe(1);
  });
});

describe('associateClusters', () => {
  it('gives the exact permutation p, BH over all clusters x readouts, and skips missing readouts', () => {
    // Cluster 0 fractions rise with lot order (10..50 of 100 cells); readout A ranks (1,2,3,5,4)
    // -> rho 0.9, exact p = 10/120 (see permutation.test.ts). Readout B is missing for lot 4.
    const comp = compositionOf([[10, 30, 60], [20, 50, 30], [30, 25, 45], [40, 40, 20], [50, 10, 40]]);
    const a = Float64Array.of(1, 2, 3, 5, 4);
    const b = Float64Array.of(3, 1, 4, 2, NaN);
    const t = associateClusters(comp, [{ name: 'A', values: a }, { name: 'B', values: b }], FAST, createRng(3));
    expect(t.readout).toEqual(['A', 'A', 'A', 'B', 'B', 'B']);
    expect(t.cluster).toEqual(['0', '1', '2', '0', '1', '2']);
    expect(Array.from(t.n_lots)).toEqual([5, 5, 5, 4, 4, 4]);
    expect(t.rho[0]).toBeCloseTo(0.9, 12);
    expect(t.pval[0]).toBeCloseTo(1 / 12, 14);
    // B with 4 lots: cluster 0 fractions (0.1,0.2,0.3,0.4) vs (3,1,4,2): rho = 1 - 6*10/60 = 0.0
    expect(t.rho[3]).toBeCloseTo(0, 12);
    expect(t.method.A).toContain('exact');
    const oracle = naiveBH(t.pval);
    for (let r = 0; r < 6; r++) expect(t.padj[r]).toBeCloseTo(oracle[r], 14);
    // logit with pseudocount: pearson_r equals Pearson of log((k + .5)/(N - k + .5)) vs readout
    const lg = [10, 20, 30, 40, 50].map((k) => Math.log((k + 0.5) / (100 - k + 0.5)));
    const mx = lg.reduce((s, v) => s + v, 0) / 5;
    const my = 3;
    let sxy = 0, sxx = 0, syy = 0;
    lg.forEach((v, i) => { sxy += (v - mx) * (a[i] - my); sxx += (v - mx) ** 2; syy += (a[i] - my) ** 2; });
    expect(t.pearson_r[0]).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 12);
    expect(t.model_coef[0]).toBeGreaterThan(0);
    expect(t.loo_min_abs_rho[0]).toBeCloseTo(0.8, 12);
  });

  it('is calibrated on null cohorts: few FDR hits, uniform p-values', () => {
    const pAll: number[] = [];
    let seedsWithHit = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { comp, vegf } = synthCohort(createRng(1000 + seed), 8, 0);
      const t = associateClusters(comp, [{ name: 'vegf', values: vegf }], FAST, createRng(seed));
      if (t.padj.some((q) => q < 0.1)) seedsWithHit++;
      pAll.push(...t.pval);
    }
    const d = ksUniformDistance(pAll);
    // 160 null tests: 1% critical value 1.628 / sqrt(160) = 0.129
    expect(pAll.length).toBe(160);
    expect(d).toBeLessThan(1.628 / Math.sqrt(160));
    expect(seedsWithHit).toBeLessThanOrEqual(3);
  });

  it('ranks the planted potency cluster first in at least 18 of 20 cohorts', () => {
    let top = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { comp, vegf } = synthCohort(createRng(2000 + seed), 8, 2000);
      const t = associateClusters(comp, [{ name: 'vegf', values: vegf }], FAST, createRng(seed));
      let best = 0;
      for (let c = 1; c < 8; c++) {
        if (t.pval[c] < t.pval[best] || (t.pval[c] === t.pval[best] && Math.abs(t.rho[c]) > Math.abs(t.rho[best]))) best = c;
      }
      if (best === 3 && t.rho[3] > 0) top++;
    }
    expect(top).toBeGreaterThanOrEqual(18);
  });
});
