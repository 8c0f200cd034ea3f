import { describe, expect, it } from 'vitest';
import { validateCandidates, VALIDATE_DEFAULTS } from '../../../src/cqa/validateCandidates.js';
import { createRng } from '../../../src/core/rng.js';
import { spearman } from '../../../src/stats/spearman.js';

describe('validateCandidates', () => {
  // 10 lots: 5 bone_marrow then 5 adipose. Readout rises with lot index.
  // Gene A tracks the readout in bone marrow perfectly, in adipose with one adjacent swap;
  // gene B is missing for one bone-marrow lot; gene Z is not in the cohort.
  const readout = Float64Array.of(1, 2, 3, 4, 5, 10, 20, 30, 40, 50);
  const a = [0.1, 0.2, 0.3, 0.4, 0.5, 1.1, 1.2, 1.4, 1.3, 1.5];
  const b = [5, NaN, 1, 4, 2, 3, 3, 1, 2, 5];
  const expr = new Float64Array(20);
  for (let l = 0; l < 10; l++) { expr[2 * l] = a[l]; expr[2 * l + 1] = b[l]; }
  const cohort = {
    lotNames: Array.from({ length: 10 }, (_, l) => `V${l}`), genes: ['A', 'B'], expr, readout,
    source: ['bone_marrow', 'bone_marrow', 'bone_marrow', 'bone_marrow', 'bone_marrow', 'adipose', 'adipose', 'adipose', 'adipose', 'adipose'],
  };

  it('reports rho, exact p per source and Monte Carlo p overall, with BH within each group', () => {
    const t = validateCandidates(['A', 'B', 'Z', 'A'], cohort, { ...VALIDATE_DEFAULTS, nPermutations: 20_000 }, createRng(5));
    expect(t.group).toEqual(['all', 'all', 'all', 'bone_marrow', 'bone_marrow', 'bone_marrow', 'adipose', 'adipose', 'adipose']);
    expect(t.gene).toEqual(['A', 'B', 'Z', 'A', 'B', 'Z', 'A', 'B', 'Z']);
    expect(Array.from(t.found)).toEqual([1, 1, 0, 1, 1, 0, 1, 1, 0]);
    expect(Array.from(t.n_lots)).toEqual([10, 9, 0, 5, 4, 0, 5, 5, 0]);
    // bone marrow, gene A: rho = 1; exact p = 2/120 (identity and reversal reach |rho| = 1)
    expect(t.rho[3]).toBe(1);
    expect(t.pval[3]).toBeCloseTo(2 / 120, 15);
    // adipose, gene A: one adjacent swap -> rho 0.9, p = 10/120 (see permutation.test.ts)
    expect(t.rho[6]).toBeCloseTo(0.9, 12);
    expect(t.pval[6]).toBeCloseTo(10 / 120, 15);
    // overall: rho equals direct Spearman, p small (Monte Carlo)
    expect(t.rho[0]).toBeCloseTo(spearman(a, readout), 12);
    expect(t.pval[0]).toBeLessThan(0.001);
    // B overall skips the missing lot
    expect(t.rho[1]).toBeCloseTo(spearman(b, readout), 12);
    // BH within group: bone marrow p (A, B) -> padj of A = min(1, 2 p_A) when p_A < p_B
    expect(t.padj[3]).toBeCloseTo(Math.min(1, 2 * t.pval[3]), 12);
    expect(t.pval[2]).toBeNaN();
    expect(t.padj[2]).toBeNaN();
  });
});
