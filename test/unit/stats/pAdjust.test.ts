import { describe, expect, it } from 'vitest';
import { pAdjustBH, pAdjustBonferroni } from '../../../src/stats/pAdjust.js';

describe('pAdjustBH equals R p.adjust(method = "BH")', () => {
  it('handles ties and NA on a hand-made vector', () => {
    // p = c(0.01, 0.04, 0.03, 0.005, NA, 0.5, 0.04); n = 6 non-NA.
    // Sorted: 0.005 (i=1), 0.01 (2), 0.03 (3), 0.04 (4), 0.04 (5), 0.5 (6).
    // n/i * p: 0.03, 0.03, 0.06, 0.06, 0.048, 0.5; cummin from i = 6 down:
    //          0.03, 0.03, 0.048, 0.048, 0.048, 0.5.
    // R: p.adjust(p, "BH") = 0.030 0.048 0.048 0.030 NA 0.500 0.048
    const p = Float64Array.of(0.01, 0.04, 0.03, 0.005, NaN, 0.5, 0.04);
    const adj = pAdjustBH(p);
    const expected = [0.03, 0.048, 0.048, 0.03, NaN, 0.5, 0.048];
    for (let t = 0; t < p.length; t++) {
      if (Number.isNaN(expected[t])) expect(adj[t]).toBeNaN();
      else expect(adj[t]).toBeCloseTo(expected[t], 15);
    }
    expect(p[1]).toBe(0.04); // input untouched
  });

  it('caps at 1 and keeps monotonicity in p', () => {
    // p = c(0.9, 0.8, 0.95): n/i*p = 0.8*3 = 2.4, 0.9*1.5 = 1.35, 0.95 -> cummin 0.95 everywhere.
    const adj = pAdjustBH(Float64Array.of(0.9, 0.8, 0.95));
    expect(Array.from(adj)).toEqual([0.95, 0.95, 0.95]);
    // A single p-value is unchanged; empty input gives empty output.
    expect(Array.from(pAdjustBH(Float64Array.of(0.2)))).toEqual([0.2]);
    expect(pAdjustBH(new Float64Array(0)).length).toBe(0);
  });

  it('agrees with a naive O(n^2) definition min_{k: p_k >= p_i} min(1, n p_k / rank_k) on random data', () => {
    let seed = 12345;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 300;
    const p = new Float64Array(n);
    for (let t = 0; t < n; t++) p[t] = Math.round(next() ** 3 * 1000) / 1000; // many ties
    const adj = pAdjustBH(p);
    for (let t = 0; t < n; t++) {
      let best = 1;
      for (let k = 0; k < n; k++) {
        if (p[k] < p[t]) continue;
        // rank of p[k] = largest position among its ties = count of values <= p[k].
        let rank = 0;
        for (let u = 0; u < n; u++) if (p[u] <= p[k]) rank++;
        best = Math.min(best, (n / rank) * p[k]);
      }
      expect(adj[t]).toBeCloseTo(best, 14);
    }
  });
});

describe('pAdjustBonferroni', () => {
  it('is min(1, n p) with n = non-NA count by default or given (Seurat uses all genes)', () => {
    const p = Float64Array.of(0.01, NaN, 0.3, 1e-200);
    const b = pAdjustBonferroni(p);
    expect(b[0]).toBe(3 * 0.01);
    expect(b[1]).toBeNaN();
    expect(b[2]).toBe(3 * 0.3); // 0.8999999999999999 in doubles, as R prints 0.9
    expect(b[3]).toBe(3e-200);
    const q = pAdjustBonferroni(p, 13714);
    expect(q[0]).toBe(1);
    expect(q[3]).toBe(13714 * 1e-200);
    expect(() => pAdjustBonferroni(p, 2)).toThrow(/must be >=/);
  });
});
