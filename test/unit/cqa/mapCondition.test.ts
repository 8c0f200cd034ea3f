import { describe, expect, it } from 'vitest';
import { mapCondition } from '../../../src/cqa/mapCondition.js';
import type { KnnQuery } from '../../../src/cqa/computeComposition.js';

/** Naive 1-D kNN oracle (ties to the smaller reference index). */
const knn1d: KnnQuery = (ref, query, k) => {
  const indices = new Int32Array(query.nRows * k);
  for (let q = 0; q < query.nRows; q++) {
    const d = Array.from({ length: ref.nRows }, (_, r) => [Math.abs(ref.data[r] - query.data[q]), r]);
    d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let t = 0; t < k; t++) indices[q * k + t] = d[t][1];
  }
  return { indices };
};

describe('mapCondition', () => {
  it('maps the other condition onto reference clusters and reports per-lot and mean shifts', async () => {
    // Reference condition 'ischemia' (code 0): lot A cells at 0, 1, 10 (clusters 0, 0, 1);
    // lot B cells at 2, 11 (clusters 0, 1).
    // Condition 'normoxia' (code 1): lot A cells at 0.4, 10.2, 10.6, 11.1 -> clusters 0, 1, 1, 1;
    // lot B cells at 0.9, 1.5 -> clusters 0, 0.
    const pos = [0, 1, 10, 2, 11, 0.4, 10.2, 10.6, 11.1, 0.9, 1.5];
    const m = await mapCondition(
      {
        lotCodes: Int32Array.of(0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1),
        lotNames: ['A', 'B'],
        conditionCodes: Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1),
        conditionNames: ['ischemia', 'normoxia'],
        reference: 0,
        clusterCodes: Int32Array.of(0, 0, 1, 0, 1, -1, -1, -1, -1, -1, -1),
        clusterNames: ['0', '1'],
        pcs: { nRows: 11, nCols: 1, data: Float32Array.from(pos) },
      },
      { k: 3 },
      knn1d,
    );
    expect(Array.from(m.assigned)).toEqual([0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0]);
    // ischemia: A (2/3, 1/3), B (1/2, 1/2); normoxia: A (1/4, 3/4), B (1, 0)
    expect(Array.from(m.compositions[0].fractions)).toEqual([2 / 3, 1 / 3, 0.5, 0.5]);
    expect(Array.from(m.compositions[1].fractions)).toEqual([0.25, 0.75, 1, 0]);
    // shifts normoxia - ischemia: A (-5/12, +5/12), B (+1/2, -1/2); means (1/24, -1/24)
    expect(m.shift.lot).toEqual(['A', 'A', 'B', 'B', 'mean', 'mean']);
    const s = Array.from(m.shift.shift);
    [-5 / 12, 5 / 12, 0.5, -0.5, 1 / 24, -1 / 24].forEach((v, t) => expect(s[t]).toBeCloseTo(v, 12));
    expect(Array.from(m.shift.n_lots)).toEqual([1, 1, 1, 1, 2, 2]);
    expect(m.shift.condition.every((c) => c === 'normoxia')).toBe(true);
    expect(m.composition.condition.length).toBe(8);
    expect(m.method).toContain("'ischemia'");
  });
});
