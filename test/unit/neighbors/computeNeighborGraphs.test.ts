import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { CsrMatrix } from '../../../src/core/sparse.js';
import { knnExact } from '../../../src/neighbors/knnExact.js';
import { buildSnnGraph } from '../../../src/neighbors/buildSnnGraph.js';
import { computeConnectivities } from '../../../src/neighbors/computeConnectivities.js';
import { computeNeighborGraphs } from '../../../src/neighbors/computeNeighborGraphs.js';

/** Byte-level equality of two CSR matrices (structure and values). */
function expectSameCsr(a: CsrMatrix, b: CsrMatrix): void {
  expect(a.nRows).toBe(b.nRows);
  expect(Array.from(a.indptr)).toEqual(Array.from(b.indptr));
  expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
}

describe('computeNeighborGraphs', () => {
  it('returns the SNN graph and connectivities of the direct calls, in workers or not, and the caller work result', async () => {
    // 600 Gaussian points in 6 dims, k = 10: a few thousand SNN edges.
    const rng = createRng(21);
    const data = new Float32Array(600 * 6);
    for (let t = 0; t < data.length; t++) data[t] = rng.normal();
    const knn = await knnExact({ nRows: 600, nCols: 6, data }, 10);
    const snn = buildSnnGraph(knn.indices, 600, 10, 1 / 15);
    const conn = computeConnectivities(knn.indices, knn.distances, 600, 10);
    expect(snn.indices.length).toBeGreaterThan(600);
    for (const threads of [1, 2]) {
      let calls = 0;
      const g = await computeNeighborGraphs(knn.indices, knn.distances, 600, 10, 1 / 15, threads, () => ++calls);
      expectSameCsr(g.snn, snn);
      expectSameCsr(g.connectivities, conn);
      expect(g.other).toBe(1);
      expect(calls).toBe(1);
    }
  });
});
