import { describe, expect, it } from 'vitest';
import { drawPermutations, permutationPValues } from '../../../src/stats/permutation.js';
import { createRng } from '../../../src/core/rng.js';

/** Centred ranks of distinct values (no ties here, so rank = order position + 1). */
function centred(v: number[]): Float64Array {
  const idx = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  idx.forEach((i, pos) => { r[i] = pos + 1 - (v.length + 1) / 2; });
  return r;
}

describe('drawPermutations', () => {
  it('enumerates all n! distinct permutations when n <= exactMaxN', () => {
    const p = drawPermutations(5, { nPermutations: 10, exactMaxN: 8 }, createRng(1));
    expect(p.exact).toBe(true);
    expect(p.count).toBe(120);
    const seen = new Set<string>();
    for (let b = 0; b < p.count; b++) seen.add(Array.from(p.order.subarray(b * 5, b * 5 + 5)).join(','));
    expect(seen.size).toBe(120);
    expect(seen.has('0,1,2,3,4')).toBe(true);
  });
  it('draws seeded random permutations above exactMaxN, reproducibly', () => {
    const a = drawPermutations(11, { nPermutations: 1000, exactMaxN: 8 }, createRng(7));
    const b = drawPermutations(11, { nPermutations: 1000, exactMaxN: 8 }, createRng(7));
    expect(a.exact).toBe(false);
    expect(a.count).toBe(1000);
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    // each row is a permutation: sum of 0..10 = 55
    for (let r = 0; r < 1000; r++) expect(a.order.subarray(r * 11, r * 11 + 11).reduce((s, v) => s + v, 0)).toBe(55);
  });
});

describe('permutationPValues', () => {
  it('gives the hand-counted exact p for n = 5', () => {
    // x = 1..5, y = (1,2,3,5,4): sum d^2 = 2, rho = 1 - 6*2/(5*24) = 0.9.
    // |rho*| >= 0.9 needs sum d^2 <= 2 (rho >= 0.9) or >= 38 (rho <= -0.9). sum d^2 is even:
    // 0 -> identity (1 permutation), 2 -> one adjacent swap (4 permutations); by reversal
    // symmetry 5 more on the negative side: 10 / 120 = 1/12.
    const x = centred([1, 2, 3, 4, 5]);
    const y = centred([1, 2, 3, 5, 4]);
    const perms = drawPermutations(5, { nPermutations: 1, exactMaxN: 8 }, createRng(0));
    const res = permutationPValues(x, 1, y, perms);
    expect(res.exceed[0]).toBe(10);
    expect(res.pval[0]).toBeCloseTo(1 / 12, 15);
    // rho = dot / (|x||y|); |x|^2 = |y|^2 = 10 here
    expect(res.dot[0] / 10).toBeCloseTo(0.9, 15);
  });

  it('Monte Carlo p is close to the exact p for n = 8 (three tests sharing draws)', () => {
    const y = centred([3.1, 1.2, 5.5, 4.4, 2.0, 8.8, 7.1, 6.3]);
    const xs = [centred([1, 2, 3, 4, 5, 6, 7, 8]), centred([8, 1, 6, 3, 5, 4, 7, 2]), centred([2, 1, 4, 3, 6, 5, 8, 7])];
    const x = new Float64Array(24);
    xs.forEach((v, i) => x.set(v, i * 8));
    const exact = permutationPValues(x, 3, y, drawPermutations(8, { nPermutations: 1, exactMaxN: 8 }, createRng(0)));
    const mc = permutationPValues(x, 3, y, drawPermutations(8, { nPermutations: 100_000, exactMaxN: 7 }, createRng(42)));
    for (let i = 0; i < 3; i++) {
      // SE of a Monte Carlo proportion with B = 1e5 is at most 0.0016; allow 4 SE.
      expect(Math.abs(mc.pval[i] - exact.pval[i])).toBeLessThan(0.0064);
    }
    // Rho of x0 vs y: ranks y = (3,1,5,4,2,8,7,6); sum d^2 = 4+1+4+0+9+4+0+4 = 26, rho = 1 - 156/504
    expect(exact.dot[0] / 42).toBeCloseTo(1 - 156 / 504, 12);
    // rho = 0.69 with 8 lots is borderline (normal approximation: z = 0.69 * sqrt(7) = 1.83, p = 0.067)
    expect(exact.pval[0]).toBeGreaterThan(0.05);
    expect(exact.pval[0]).toBeLessThan(0.1);
    // x1 is unrelated to y
    expect(exact.pval[1]).toBeGreaterThan(0.2);
  });

  it('returns NaN for a constant variable and honours a row range', () => {
    const y = centred([1, 2, 3, 4]);
    const x = new Float64Array([0, 0, 0, 0, -1.5, -0.5, 0.5, 1.5]);
    const perms = drawPermutations(4, { nPermutations: 1, exactMaxN: 8 }, createRng(0));
    const all = permutationPValues(x, 2, y, perms);
    expect(all.pval[0]).toBeNaN();
    // perfect correlation: 2 of 24 permutations reach |rho| = 1
    expect(all.pval[1]).toBeCloseTo(2 / 24, 15);
    const second = permutationPValues(x, 2, y, perms, [1, 2]);
    expect(second.pval.length).toBe(1);
    expect(second.pval[0]).toBe(all.pval[1]);
  });
});

describe('permutationPValues shares null distributions by rank pattern', () => {
  it('equals direct per-test enumeration for rearranged and tied rank vectors (n = 6)', () => {
    const y = Float64Array.of(-2.5, 0.5, -1.5, 2.5, -0.5, 1.5);
    // rows 0-1: tie-free rearrangements (same pattern); rows 2-3: pattern with a tied pair; row 4: three tied
    const rows = [
      [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5],
      [0.5, -2.5, 2.5, -1.5, 1.5, -0.5],
      [-2, -2, -0.5, 0.5, 1.5, 2.5],
      [2.5, -2, 0.5, -2, -0.5, 1.5],
      [-1.5, -1.5, -1.5, 1, 1.5, 2],
    ];
    const x = Float64Array.from(rows.flat());
    const perms = drawPermutations(6, { nPermutations: 1, exactMaxN: 8 }, createRng(0));
    const res = permutationPValues(x, 5, y, perms);
    expect(res.nPatterns).toBe(3);
    for (let i = 0; i < 5; i++) {
      // oracle: count |<x_i, y o pi>| >= |<x_i, y>| over all 720 permutations directly
      const obs = Math.abs(rows[i].reduce((s, v, t) => s + v * y[t], 0));
      let count = 0;
      for (let b = 0; b < 720; b++) {
        let s = 0;
        for (let t = 0; t < 6; t++) s += rows[i][t] * y[perms.order[b * 6 + t]];
        if (Math.abs(s) >= obs - 1e-9) count++;
      }
      expect(res.exceed[i]).toBe(count);
      expect(res.pval[i]).toBeCloseTo(count / 720, 15);
    }
  });
});
