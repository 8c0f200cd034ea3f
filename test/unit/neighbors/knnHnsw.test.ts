import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { DenseMatrix } from '../../../src/core/dense.js';
import { knnExact } from '../../../src/neighbors/knnExact.js';
import { knnHnsw } from '../../../src/neighbors/knnHnsw.js';

/** Seeded mixture of 8 Gaussian clusters in 30 dimensions, like a PC embedding. */
function mixture(n: number, d: number, seed: number): DenseMatrix {
  const rng = createRng(seed);
  const centers = new Float64Array(8 * d);
  for (let t = 0; t < centers.length; t++) centers[t] = rng.normal() * 5;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(8);
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c * d + j] + rng.normal();
  }
  return { nRows: n, nCols: d, data };
}

describe('knnHnsw (approximate)', () => {
  it('recalls >= 0.97 of the exact 20-NN on 3,000 mixture points and is deterministic', async () => {
    const x = mixture(3000, 30, 11);
    const exact = await knnExact(x, 20);
    const a = await knnHnsw(x, 20, { seed: 5 });
    const b = await knnHnsw(x, 20, { seed: 5 });
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
    expect(Array.from(b.distances)).toEqual(Array.from(a.distances));
    let hit = 0;
    const set = new Uint8Array(x.nRows);
    for (let i = 0; i < x.nRows; i++) {
      for (let t = 0; t < 20; t++) set[exact.indices[i * 20 + t]] = 1;
      for (let t = 0; t < 20; t++) hit += set[a.indices[i * 20 + t]];
      for (let t = 0; t < 20; t++) set[exact.indices[i * 20 + t]] = 0;
    }
    const recall = hit / (x.nRows * 20);
    console.info(`HNSW recall@20 = ${recall.toFixed(4)}`);
    expect(recall).toBeGreaterThanOrEqual(0.97);
    // Rows sorted ascending; distances are Euclidean (not squared): compare a found pair directly.
    for (let i = 0; i < 50; i++) {
      for (let t = 1; t < 20; t++) expect(a.distances[i * 20 + t]).toBeGreaterThanOrEqual(a.distances[i * 20 + t - 1]);
      const j = a.indices[i * 20 + 5];
      let s = 0;
      for (let c = 0; c < 30; c++) s += (x.data[i * 30 + c] - x.data[j * 30 + c]) ** 2;
      expect(a.distances[i * 20 + 5]).toBeCloseTo(Math.sqrt(s), 3);
    }
  });

  it('builds its parts and answers queries in worker threads with the same lists as in one thread (1, 2, 3 threads)', async () => {
    const x = mixture(2500, 30, 12);
    const one = await knnHnsw(x, 15, { seed: 3 });
    for (const threads of [2, 3]) {
      const other = await knnHnsw(x, 15, { seed: 3, threads });
      expect(Buffer.from(other.indices.buffer).equals(Buffer.from(one.indices.buffer))).toBe(true);
      expect(Buffer.from(other.distances.buffer).equals(Buffer.from(one.distances.buffer))).toBe(true);
      expect(other.indices.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('merges the parts: every list has k distinct points, itself first, and the parts split the points', async () => {
    // 3 parts over 1,000 points: points i mod 3 = 0, 1, 2 each form one index; a list draws on all.
    const x = mixture(1000, 10, 13);
    const r = await knnHnsw(x, 12, { seed: 1, parts: 3 });
    const fromPart = new Int32Array(3);
    for (let i = 0; i < x.nRows; i++) {
      const row = Array.from(r.indices.subarray(i * 12, i * 12 + 12));
      expect(new Set(row).size).toBe(12);
      expect(row[0]).toBe(i);
      expect(r.distances[i * 12]).toBe(0);
      for (const j of row) fromPart[j % 3]++;
    }
    for (let p = 0; p < 3; p++) expect(fromPart[p]).toBeGreaterThan(0.25 * x.nRows * 12);
    // With one part the lists are those of a single index; its recall is also >= 0.97 here.
    const exact = await knnExact(x, 12);
    for (const parts of [1, 3]) {
      const a = await knnHnsw(x, 12, { seed: 1, parts });
      let hit = 0;
      for (let i = 0; i < x.nRows; i++) {
        const want = new Set(exact.indices.subarray(i * 12, i * 12 + 12));
        for (let t = 0; t < 12; t++) if (want.has(a.indices[i * 12 + t])) hit++;
      }
      expect(hit / (x.nRows * 12)).toBeGreaterThanOrEqual(0.97);
    }
  });
});
