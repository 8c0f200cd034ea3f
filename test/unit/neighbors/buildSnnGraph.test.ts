import { describe, expect, it } from 'vitest';
import { buildSnnGraph } from '../../../src/neighbors/buildSnnGraph.js';
import { checkCompressed, toDenseArray } from '../../../src/core/sparse.js';

describe('buildSnnGraph (Seurat Jaccard SNN)', () => {
  // 5 cells, k = 3 (self first):
  //   N(0) = {0,1,2}  N(1) = {1,0,2}  N(2) = {2,1,3}  N(3) = {3,4,2}  N(4) = {4,3,0}
  const knn = Int32Array.from([0, 1, 2, 1, 0, 2, 2, 1, 3, 3, 4, 2, 4, 3, 0]);
  // Shared counts s and Jaccard s / (2k - s) = s / (6 - s):
  //   (0,1): {0,1,2} -> 3 -> 3/3 = 1        (0,2): {1,2} -> 2 -> 2/4 = 0.5
  //   (0,3): {2} -> 1 -> 1/5 = 0.2          (0,4): {0} -> 1 -> 0.2
  //   (1,2): {1,2} -> 0.5   (1,3): {2} -> 0.2   (1,4): {0} -> 0.2
  //   (2,3): {2,3} -> 0.5   (2,4): {3} -> 0.2   (3,4): {3,4} -> 0.5
  //   diagonal: k shared -> 3/3 = 1
  const expected = [
    [1, 1, 0.5, 0.2, 0.2],
    [1, 1, 0.5, 0.2, 0.2],
    [0.5, 0.5, 1, 0.5, 0.2],
    [0.2, 0.2, 0.5, 1, 0.5],
    [0.2, 0.2, 0.2, 0.5, 1],
  ];

  it('equals the Jaccard values computed by hand, symmetric, with sorted CSR rows', () => {
    const g = buildSnnGraph(knn, 5, 3, 0);
    expect(checkCompressed(g)).toBeNull();
    const dense = toDenseArray(g);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(dense[i * 5 + j]).toBeCloseTo(expected[i][j], 6);
  });

  it('prunes values below the threshold to 0 (not stored)', () => {
    // prune 1/4: every 0.2 entry goes; 0.5 and 1 stay.
    const g = buildSnnGraph(knn, 5, 3, 0.25);
    const dense = toDenseArray(g);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) expect(dense[i * 5 + j]).toBeCloseTo(expected[i][j] < 0.25 ? 0 : expected[i][j], 6);
    }
    // 5 diagonal + (0,1),(0,2),(1,2),(2,3),(3,4) both ways = 15 stored entries.
    expect(g.indices.length).toBe(15);
    // Seurat's default 1/15 keeps 0.2 (1/5 >= 1/15).
    expect(buildSnnGraph(knn, 5, 3).indices.length).toBe(25);
  });
});
