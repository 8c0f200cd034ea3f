import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import type { DenseMatrix } from '../../../src/core/dense.js';
import { clusterKmeansKernel, clusterKmeans } from '../../../src/cluster/clusterKmeans.js';
import { adjustedRandIndex } from '../../helpers/compare.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame } from '../../../src/core/frame.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { UsageError } from '../../../src/core/errors.js';

/** Blobs of unequal size (120, 80, 40) around well-separated centres in 5 dims. */
function blobs(seed: number): { x: DenseMatrix; truth: Int32Array } {
  const rng = createRng(seed);
  const sizes = [40, 120, 80];
  const n = 240;
  const data = new Float32Array(n * 5);
  const truth = new Int32Array(n);
  let i = 0;
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < sizes[c]; t++, i++) {
      truth[i] = c;
      for (let d = 0; d < 5; d++) data[i * 5 + d] = (d === c ? 10 : 0) + rng.normal();
    }
  }
  return { x: { nRows: n, nCols: 5, data }, truth };
}

describe('clusterKmeansKernel', () => {
  it('recovers separated blobs, labels by size, inertia equals the within-cluster sum of squares', () => {
    const { x, truth } = blobs(1);
    const res = clusterKmeansKernel(x, 3, { nStart: 5 }, createRng(2));
    expect(adjustedRandIndex(res.labels, truth)).toBe(1);
    expect(Array.from(res.sizes)).toEqual([120, 80, 40]);
    // Largest blob (truth 1, the cells 40..159) is label 0.
    expect(res.labels[40]).toBe(0);
    let wss = 0;
    for (let i = 0; i < x.nRows; i++) {
      const c = res.labels[i];
      for (let d = 0; d < 5; d++) wss += (x.data[i * 5 + d] - res.centroids[c * 5 + d]) ** 2;
    }
    expect(res.inertia).toBeCloseTo(wss, 6);
    // Roughly n * dims * unit variance.
    expect(res.inertia / (240 * 5)).toBeGreaterThan(0.8);
    expect(res.inertia / (240 * 5)).toBeLessThan(1.2);
  });

  it('keeps the best of several starts: inertia never exceeds a single start with the same first seed', () => {
    const { x } = blobs(3);
    const one = clusterKmeansKernel(x, 6, { nStart: 1 }, createRng(5));
    const many = clusterKmeansKernel(x, 6, { nStart: 10 }, createRng(5));
    expect(many.inertia).toBeLessThanOrEqual(one.inertia);
  });

  it('is deterministic for a seed', () => {
    const { x } = blobs(4);
    const a = clusterKmeansKernel(x, 5, {}, createRng(9));
    const b = clusterKmeansKernel(x, 5, {}, createRng(9));
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
  });

  it('the step writes obs.cluster and rejects k < 2', async () => {
    const { x, truth } = blobs(5);
    const names = Array.from({ length: 240 }, (_, i) => `c${i}`);
    const a = new AnnDataLite({ X: csrFromDense(240, 1, new Float32Array(240)), obs: new Frame(names), var: new Frame(['g']), obsm: { X_pca: x } });
    const out = await clusterKmeans(a, { k: 3 });
    const col = out.obs.require('cluster');
    expect(col.kind === 'categorical' && adjustedRandIndex(col.codes, truth)).toBe(1);
    await expect(clusterKmeans(a, { k: 1 })).rejects.toBeInstanceOf(UsageError);
  });
});
