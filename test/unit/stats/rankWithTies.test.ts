import { describe, expect, it } from 'vitest';
import { rankWithTies } from '../../../src/stats/rankWithTies.js';
import { createRng } from '../../../src/core/rng.js';

describe('rankWithTies = R rank(ties.method = "average", na.last = "keep")', () => {
  it('averages tied ranks and sums t^3 - t over tie groups', () => {
    // x = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5); sorted: 1 1 2 3 3 4 5 5 5 6 9
    // ranks: 1,1 -> 1.5; 2 -> 3; 3,3 -> 4.5; 4 -> 6; 5,5,5 -> 8; 6 -> 10; 9 -> 11
    // R: rank(x) = 4.5 1.5 6.0 1.5 8.0 11.0 3.0 10.0 8.0 4.5 8.0
    // ties: sizes 2, 2, 3 -> (8-2) + (8-2) + (27-3) = 36
    const { ranks, tieSum } = rankWithTies(Float64Array.of(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5));
    expect(Array.from(ranks)).toEqual([4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8]);
    expect(tieSum).toBe(36);
  });

  it('keeps NaN as NaN and ranks the rest among themselves; handles negatives, zeros, -0', () => {
    // c(NA, -2, 0, -0, 7) -> NA 1 2.5 2.5 4 ; one tie of 2 -> 6
    const { ranks, tieSum } = rankWithTies(Float64Array.of(NaN, -2, 0, -0, 7));
    expect(ranks[0]).toBeNaN();
    expect(Array.from(ranks.subarray(1))).toEqual([1, 2.5, 2.5, 4]);
    expect(tieSum).toBe(6);
  });

  it('writes into out and handles empty and all-equal inputs', () => {
    const out = new Float64Array(3);
    const r = rankWithTies(Float64Array.of(2, 2, 2), out);
    expect(r.ranks).toBe(out);
    expect(Array.from(out)).toEqual([2, 2, 2]);
    expect(r.tieSum).toBe(24);
    expect(rankWithTies(new Float64Array(0)).ranks.length).toBe(0);
  });

  it('matches a naive O(n^2) oracle (rank = #less + (#equal + 1) / 2) on random tied data', () => {
    const rng = createRng(3);
    const n = 500;
    const x = new Float64Array(n);
    for (let t = 0; t < n; t++) x[t] = rng.int(60) - 20;
    const { ranks, tieSum } = rankWithTies(x);
    let naiveTie = 0;
    const counts = new Map<number, number>();
    for (let t = 0; t < n; t++) {
      let less = 0, equal = 0;
      for (let u = 0; u < n; u++) {
        if (x[u] < x[t]) less++;
        else if (x[u] === x[t]) equal++;
      }
      expect(ranks[t]).toBe(less + (equal + 1) / 2);
      counts.set(x[t], equal);
    }
    for (const c of counts.values()) naiveTie += c ** 3 - c;
    expect(tieSum).toBe(naiveTie);
  });
});
