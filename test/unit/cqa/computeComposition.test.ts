import { describe, expect, it } from 'vitest';
import { computeComposition, knnVoteKernel, type KnnQuery } from '../../../src/cqa/computeComposition.js';
import type { DenseMatrix } from '../../../src/core/dense.js';

/** Naive exact kNN oracle (ties to the smaller reference index). */
const bruteKnn: KnnQuery = (ref: DenseMatrix, query: DenseMatrix, k: number) => {
  const indices = new Int32Array(query.nRows * k);
  for (let q = 0; q < query.nRows; q++) {
    const d: [number, number][] = [];
    for (let r = 0; r < ref.nRows; r++) {
      let s = 0;
      for (let c = 0; c < ref.nCols; c++) s += (ref.data[r * ref.nCols + c] - query.data[q * query.nCols + c]) ** 2;
      d.push([s, r]);
    }
    d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let t = 0; t < k; t++) indices[q * k + t] = d[t][1];
  }
  return { indices };
};

describe('knnVoteKernel', () => {
  it('takes the majority and breaks ties towards the smaller cluster code', () => {
    const labels = Int32Array.of(0, 1, 1, 2, 2);
    // query 0: neighbours 1,2,3 -> labels 1,1,2 -> 1; query 1: neighbours 0,3,1 -> 0,2,1 tie -> 0;
    // query 2: neighbours 3,4,1 -> 2,2,1 -> 2
    const idx = Int32Array.of(1, 2, 3, 0, 3, 1, 3, 4, 1);
    expect(Array.from(knnVoteKernel(idx, 3, labels, 3))).toEqual([1, 0, 2]);
    // k = 2, neighbours 4,1 -> labels 2,1: a tie between 1 and 2 goes to 1
    expect(Array.from(knnVoteKernel(Int32Array.of(4, 1), 2, labels, 3))).toEqual([1]);
  });
});

describe('computeComposition', () => {
  it('counts clustered cells and assigns unpooled cells by kNN vote in PC space', async () => {
    // 1-D PCs. Pooled: cells 0-2 at 0,1,2 (cluster 0), cells 3-4 at 10,11 (cluster 1).
    // Unpooled: cell 5 at 0.5 -> nearest 0,1,2 -> cluster 0; cell 6 at 10.4 -> nearest 10,11,2 -> cluster 1;
    // cell 7 has lot -1 (excluded). Lots: A = cells 0,1,3,5 ; B = cells 2,4,6.
    const pcs: DenseMatrix = { nRows: 8, nCols: 1, data: Float32Array.of(0, 1, 2, 10, 11, 0.5, 10.4, 5) };
    const res = await computeComposition(
      {
        lotCodes: Int32Array.of(0, 0, 1, 0, 1, 0, 1, -1),
        lotNames: ['A', 'B'],
        clusterCodes: Int32Array.of(0, 0, 0, 1, 1, -1, -1, -1),
        clusterNames: ['0', '1'],
        pcs,
      },
      { k: 3 },
      bruteKnn,
    );
    expect(Array.from(res.assigned)).toEqual([0, 0, 0, 1, 1, 0, 1, -1]);
    expect(res.nVoted).toBe(2);
    // A: clusters (0,0,1,0) -> 3 and 1 of 4; B: (0,1,1) -> 1 and 2 of 3
    expect(Array.from(res.counts)).toEqual([3, 1, 1, 2]);
    expect(Array.from(res.totals)).toEqual([4, 3]);
    expect(Array.from(res.fractions)).toEqual([0.75, 0.25, 1 / 3, 2 / 3]);
    expect(res.table.lot).toEqual(['A', 'A', 'B', 'B']);
    expect(res.table.cluster).toEqual(['0', '1', '0', '1']);
    expect(res.method).toContain('k=3');
  });

  it('needs PCs and a kNN search only when some cells are unclustered', async () => {
    const ok = await computeComposition({ lotCodes: Int32Array.of(0, 0, 1), lotNames: ['A', 'B'], clusterCodes: Int32Array.of(0, 1, 1), clusterNames: ['0', '1'] }, { k: 5 });
    expect(Array.from(ok.fractions)).toEqual([0.5, 0.5, 0, 1]);
    await expect(computeComposition({ lotCodes: Int32Array.of(0, 0), lotNames: ['A'], clusterCodes: Int32Array.of(0, -1), clusterNames: ['0'] }, { k: 5 })).rejects.toThrow(/kNN/);
  });
});
