import { describe, expect, it } from 'vitest';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame } from '../../../src/core/frame.js';
import { createRng } from '../../../src/core/rng.js';
import { checkCompressed, csrFromDense, toDenseArray } from '../../../src/core/sparse.js';
import { UsageError, AnalysisError } from '../../../src/core/errors.js';
import { findNeighbors, findNeighborsKernel, FIND_NEIGHBORS_DEFAULTS } from '../../../src/neighbors/findNeighbors.js';
import { knnExact } from '../../../src/neighbors/knnExact.js';
import { buildSnnGraph } from '../../../src/neighbors/buildSnnGraph.js';

function adataWithPcs(n: number, d: number, seed: number): AnnDataLite {
  const rng = createRng(seed);
  const data = new Float32Array(n * d);
  for (let t = 0; t < data.length; t++) data[t] = rng.normal();
  const names = Array.from({ length: n }, (_, i) => `c${i}`);
  return new AnnDataLite({
    X: csrFromDense(n, 1, new Float32Array(n)),
    obs: new Frame(names),
    var: new Frame(['g']),
    obsm: { X_pca: { nRows: n, nCols: d, data } },
  });
}

describe('findNeighbors step', () => {
  it('writes obsp distances (k - 1 per row, no self), connectivities and snn, and uns.neighbors', async () => {
    const a = adataWithPcs(300, 8, 1);
    const out = await findNeighbors(a, { nNeighbors: 10, nPcs: 5 });
    const { distances, connectivities, snn } = out.obsp;
    for (const m of [distances, connectivities, snn]) expect(checkCompressed(m)).toBeNull();
    for (let i = 0; i < 300; i++) {
      expect(distances.indptr[i + 1] - distances.indptr[i]).toBe(9);
      for (let e = distances.indptr[i]; e < distances.indptr[i + 1]; e++) expect(distances.indices[e]).not.toBe(i);
    }
    // SNN equals the kernel on the same exact kNN of the first 5 PCs.
    const knn = await knnExact(a.obsm.X_pca, 10, { nDims: 5 });
    expect(Array.from(snn.data)).toEqual(Array.from(buildSnnGraph(knn.indices, 300, 10).data));
    // Connectivities are symmetric.
    const w = toDenseArray(connectivities);
    for (let i = 0; i < 300; i++) for (let j = 0; j < i; j++) expect(w[i * 300 + j]).toBe(w[j * 300 + i]);
    expect(out.uns.neighbors).toMatchObject({ params: { n_neighbors: 10, n_pcs: 5, method: 'exact', includes_self: true } });
    expect(out.history.at(-1)?.step).toBe('neighbors');
  });

  it('uses the approximate index above exactMaxCells and it agrees with exact on most edges', async () => {
    const a = adataWithPcs(600, 6, 2);
    const p = { ...FIND_NEIGHBORS_DEFAULTS, nNeighbors: 10 };
    const exact = await findNeighborsKernel(a.obsm.X_pca, p);
    const approx = await findNeighborsKernel(a.obsm.X_pca, { ...p, exactMaxCells: 500 });
    let same = 0;
    for (let t = 0; t < exact.knn.indices.length; t++) same += exact.knn.indices[t] === approx.knn.indices[t] ? 1 : 0;
    expect(same / exact.knn.indices.length).toBeGreaterThan(0.95);
  });

  it('keeps k - 1 distances per row when cells are duplicated more than k times (exact and HNSW)', async () => {
    // 40 copies of one cell among 400: with k = 10 the later copies' lists hold 10 other copies.
    const a = adataWithPcs(400, 6, 4);
    const x = a.obsm.X_pca;
    for (let i = 1; i < 40; i++) for (let c = 0; c < 6; c++) x.data[i * 6 + c] = x.data[c];
    for (const method of ['exact', 'hnsw'] as const) {
      const g = await findNeighborsKernel(x, { ...FIND_NEIGHBORS_DEFAULTS, nNeighbors: 10, method });
      for (let i = 0; i < 400; i++) {
        expect(g.distances.indptr[i + 1] - g.distances.indptr[i]).toBe(9);
        for (let e = g.distances.indptr[i]; e < g.distances.indptr[i + 1]; e++) expect(g.distances.indices[e]).not.toBe(i);
      }
      // Copy 39's list (ties by index): copies 0-9, so its stored row is copies 0-8 at distance 0.
      const row = g.distances.indices.subarray(g.distances.indptr[39], g.distances.indptr[40]);
      if (method === 'exact') expect(Array.from(row)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('rejects bad parameters and missing inputs', async () => {
    const a = adataWithPcs(30, 4, 3);
    await expect(findNeighbors(a, { nNeighbors: 1 })).rejects.toBeInstanceOf(UsageError);
    await expect(findNeighbors(a, { nPcs: 9 })).rejects.toBeInstanceOf(AnalysisError);
    await expect(findNeighbors(a, { nNeighbors: 31 })).rejects.toBeInstanceOf(AnalysisError);
    await expect(findNeighbors(a.with({ obsm: {} }))).rejects.toThrow(/obsm.X_pca/);
    await expect(findNeighbors(a, { k: 3 } as never)).rejects.toThrow(/unknown parameter 'k'/);
  });
});
