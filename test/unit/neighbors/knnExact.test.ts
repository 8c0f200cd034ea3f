import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { DenseMatrix } from '../../../src/core/dense.js';
import { knnExact } from '../../../src/neighbors/knnExact.js';

/** Seeded Gaussian points, rounded to 1 decimal so exact distance ties occur. */
function randomPoints(n: number, d: number, seed: number, round = false): DenseMatrix {
  const rng = createRng(seed);
  const data = new Float32Array(n * d);
  for (let t = 0; t < data.length; t++) data[t] = round ? Math.round(rng.normal() * 10) / 10 : rng.normal();
  return { nRows: n, nCols: d, data };
}

/** Naive O(n^2) oracle: all distances in Float64, sorted by (distance, index). */
function naiveKnn(ref: DenseMatrix, query: DenseMatrix, k: number, dim: number): { idx: number[][]; dist: number[][] } {
  const idx: number[][] = [];
  const dist: number[][] = [];
  for (let i = 0; i < query.nRows; i++) {
    const all: [number, number][] = [];
    for (let j = 0; j < ref.nRows; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) {
        const v = query.data[i * query.nCols + c] - ref.data[j * ref.nCols + c];
        s += v * v;
      }
      all.push([s, j]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    idx.push(all.slice(0, k).map((p) => p[1]));
    dist.push(all.slice(0, k).map((p) => Math.fround(Math.sqrt(p[0]))));
  }
  return { idx, dist };
}

describe('knnExact', () => {
  it('equals a naive O(n^2) oracle on random data (indices and distances), spanning several blocks and tiles', async () => {
    // 1,100 points: 3 query blocks of 512 and 5 reference tiles of 256.
    const x = randomPoints(1100, 12, 1);
    const got = await knnExact(x, 15, { nDims: 8 });
    const want = naiveKnn(x, x, 15, 8);
    for (let i = 0; i < x.nRows; i++) {
      expect(Array.from(got.indices.subarray(i * 15, i * 15 + 15))).toEqual(want.idx[i]);
      expect(Array.from(got.distances.subarray(i * 15, i * 15 + 15))).toEqual(want.dist[i]);
    }
    // Each point is its own nearest neighbour at distance 0 (no duplicates in continuous data).
    for (let i = 0; i < x.nRows; i++) {
      expect(got.indices[i * 15]).toBe(i);
      expect(got.distances[i * 15]).toBe(0);
    }
  });

  it('breaks exact distance ties by the smaller index (data rounded to create ties)', async () => {
    const x = randomPoints(400, 2, 2, true);
    const got = await knnExact(x, 10);
    const want = naiveKnn(x, x, 10, 2);
    expect(Array.from(got.indices)).toEqual(want.idx.flat());
    // Ties really occur here: some row has equal consecutive distances.
    let ties = 0;
    for (let t = 1; t < got.distances.length; t++) if (t % 10 !== 0 && got.distances[t] === got.distances[t - 1]) ties++;
    expect(ties).toBeGreaterThan(0);
  });

  it('searches separate query points against a reference', async () => {
    const ref = randomPoints(600, 5, 3);
    const query = randomPoints(70, 5, 4);
    const got = await knnExact(ref, 7, { query });
    const want = naiveKnn(ref, query, 7, 5);
    expect(Array.from(got.indices)).toEqual(want.idx.flat());
    expect(Array.from(got.distances)).toEqual(want.dist.flat());
  });

  it('gives identical output with 1, 2 and 3 threads', async () => {
    const x = randomPoints(2000, 20, 5);
    const one = await knnExact(x, 20, { threads: 1 });
    for (const threads of [2, 3]) {
      const other = await knnExact(x, 20, { threads });
      expect(Array.from(other.indices)).toEqual(Array.from(one.indices));
      expect(Array.from(other.distances)).toEqual(Array.from(one.distances));
    }
  });

  it('stays bit-identical to the oracle when the dot-product screen cancels badly (large common offset, near ties)', async () => {
    // Column 0 is 1e6 + j/16 (unit spread), the others unit Gaussians: |q|^2 + |r|^2 - 2 q.r (about
    // 1e12) keeps only ~4 of its 16 digits for the distance, errors near 1e-4 against distances whose
    // column-0 part moves in steps of 1/256, so the screen alone misorders near neighbours; the exact
    // refinement must not.
    // 1,101 points (not a multiple of 4: padded panels) and 6 exact duplicates of point 0.
    const n = 1101;
    const d = 9;
    const rng = createRng(8);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) data[i * d + c] = c === 0 ? 1e6 + Math.round(rng.normal() * 16) / 16 : rng.normal();
    for (let t = 1; t <= 6; t++) data.copyWithin(t * 150 * d, 0, d);
    const x: DenseMatrix = { nRows: n, nCols: d, data };
    const got = await knnExact(x, 12);
    const want = naiveKnn(x, x, 12, d);
    expect(Array.from(got.indices)).toEqual(want.idx.flat());
    expect(Array.from(got.distances)).toEqual(want.dist.flat());
    // Point 0 and its duplicates (150, 300, ..., 900) come first, at distance 0, in index order.
    expect(Array.from(got.indices.subarray(0, 7))).toEqual([0, 150, 300, 450, 600, 750, 900]);
    expect(Array.from(got.distances.subarray(0, 7))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // The case is hard: ranking by the Float64 estimate alone gives other lists for some rows.
    const norms = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += data[i * d + c] * data[i * d + c];
      return s;
    });
    let differ = 0;
    for (let i = 0; i < n; i += 10) {
      const est: [number, number][] = [];
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += data[i * d + c] * data[j * d + c];
        est.push([norms[i] + norms[j] - 2 * dot, j]);
      }
      est.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      if (est.slice(0, 12).some((p, t) => p[1] !== want.idx[i][t])) differ++;
    }
    expect(differ).toBeGreaterThan(0);
  });

  it('equals the oracle on Float64 input (screen and refinement read the Float64 values)', async () => {
    const f = randomPoints(300, 7, 9);
    const x: DenseMatrix = { nRows: 300, nCols: 7, data: Float64Array.from(f.data, (v) => v + 1 / 3) };
    const got = await knnExact(x, 5);
    const want = naiveKnn(x, x, 5, 7);
    expect(Array.from(got.indices)).toEqual(want.idx.flat());
    expect(Array.from(got.distances)).toEqual(want.dist.flat());
  });

  it('rejects k outside [1, n]', async () => {
    const x = randomPoints(5, 2, 6);
    await expect(knnExact(x, 6)).rejects.toThrow(/k must be in/);
    await expect(knnExact(x, 0)).rejects.toThrow(/k must be in/);
  });
});
