/**
 * Snapshot, not truth: these values record what the seeded code produced when the snapshot was
 * written, so that an unintended change in UMAP, k-means or Leiden output is noticed. A deliberate
 * algorithm change updates them (`vitest -u`) with a note in the commit message.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import type { DenseMatrix } from '../../src/core/dense.js';
import { knnExact } from '../../src/neighbors/knnExact.js';
import { buildSnnGraph } from '../../src/neighbors/buildSnnGraph.js';
import { runUmapKernel, RUN_UMAP_DEFAULTS } from '../../src/reduce/runUmap.js';
import { clusterKmeansKernel } from '../../src/cluster/clusterKmeans.js';
import { clusterGraphKernel, CLUSTER_GRAPH_DEFAULTS } from '../../src/cluster/clusterGraph.js';

/** 120 points: 3 Gaussian blobs in 4 dims, seeded. */
function points(): DenseMatrix {
  const rng = createRng(2024);
  const data = new Float32Array(120 * 4);
  for (let i = 0; i < 120; i++) for (let d = 0; d < 4; d++) data[i * 4 + d] = (d === i % 3 ? 6 : 0) + rng.normal();
  return { nRows: 120, nCols: 4, data };
}

const round = (a: ArrayLike<number>, digits: number): number[] => Array.from(a, (v) => Number(v.toFixed(digits)));

describe('noreg snapshots (snapshot, not truth)', () => {
  it('seeded UMAP of 120 points (k = 10, 50 epochs)', async () => {
    // One block: umap-learn's sequential order, unchanged since this snapshot was first written.
    const x = points();
    const knn = await knnExact(x, 10);
    const emb = await runUmapKernel(knn.indices, knn.distances, 120, 10, { ...RUN_UMAP_DEFAULTS, nEpochs: 50, blocks: 1 }, createRng(1));
    expect(round(emb.data.subarray(0, 40), 4)).toMatchSnapshot();
  });

  it('seeded UMAP of the same points in the default 4 blocks', async () => {
    const x = points();
    const knn = await knnExact(x, 10);
    const emb = await runUmapKernel(knn.indices, knn.distances, 120, 10, { ...RUN_UMAP_DEFAULTS, nEpochs: 50 }, createRng(1));
    expect(round(emb.data.subarray(0, 40), 4)).toMatchSnapshot();
  });

  it('seeded k-means (k = 3) and Leiden on the SNN graph of the same points', async () => {
    const x = points();
    const km = clusterKmeansKernel(x, 3, { nStart: 3 }, createRng(1));
    expect({ labels: Array.from(km.labels).join(''), inertia: Number(km.inertia.toFixed(4)) }).toMatchSnapshot();
    const knn = await knnExact(x, 10);
    const snn = buildSnnGraph(knn.indices, 120, 10);
    const le = clusterGraphKernel(snn, { ...CLUSTER_GRAPH_DEFAULTS, resolution: 0.8 }, createRng(1));
    expect({ labels: Array.from(le.labels).join(''), quality: Number(le.quality.toFixed(6)) }).toMatchSnapshot();
  });
});
