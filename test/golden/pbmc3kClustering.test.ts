/**
 * pbmc3k clustering against Seurat 4.3 (../shared/reference/pbmc3k-seurat): Seurat's own PC
 * embeddings (PC1..PC10, 2,638 cells) go through our kNN (k = 20, self included), SNN (Jaccard,
 * prune 1/15) and Louvain/Leiden at resolution 0.5, as `FindNeighbors(dims = 1:10)` +
 * `FindClusters(resolution = 0.5)`. Clusters are compared by ARI, never by raw labels.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData, sharedReference } from '../helpers/paths.js';
import { adjustedRandIndex } from '../helpers/compare.js';
import type { DenseMatrix } from '../../src/core/dense.js';
import { createRng } from '../../src/core/rng.js';
import { knnExact } from '../../src/neighbors/knnExact.js';
import { buildSnnGraph } from '../../src/neighbors/buildSnnGraph.js';
import { computeConnectivities } from '../../src/neighbors/computeConnectivities.js';
import { clusterGraphKernel, CLUSTER_GRAPH_DEFAULTS, type GraphClustering } from '../../src/cluster/clusterGraph.js';
import type { CsrMatrix } from '../../src/core/sparse.js';
import { AnnDataLite } from '../../src/core/adata.js';
import { Frame, columnStrings } from '../../src/core/frame.js';
import { csrFromDense } from '../../src/core/sparse.js';
import { findNeighbors } from '../../src/neighbors/findNeighbors.js';
import { clusterGraph } from '../../src/cluster/clusterGraph.js';

interface Reference {
  pcs: DenseMatrix;
  seuratCluster: string[];
  cellType: (string | null)[];
}

/** Reads cells.csv (barcode, cluster, umap1, umap2, PC1..PC10) and the tutorial cell types. */
export function readPbmcReference(): Reference {
  const lines = readFileSync(sharedReference('pbmc3k-seurat', 'cells.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const pc1 = header.indexOf('PC1');
  const n = lines.length - 1;
  const data = new Float32Array(n * 10);
  const seuratCluster: string[] = [];
  const barcodes: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].split(',');
    barcodes.push(f[0]);
    seuratCluster.push(f[header.indexOf('cluster')]);
    for (let c = 0; c < 10; c++) data[i * 10 + c] = Number(f[pc1 + c]);
  }
  const types = new Map<string, string>();
  const tl = gunzipSync(readFileSync(sharedData('pbmc3k', 'cell_types.tsv.gz'))).toString('utf8').trim().split('\n');
  for (let t = 1; t < tl.length; t++) {
    const [b, ty] = tl[t].split('\t');
    types.set(b, ty);
  }
  const cellType = barcodes.map((b) => {
    const ty = types.get(b);
    return ty === undefined || ty === 'NA' ? null : ty;
  });
  return { pcs: { nRows: n, nCols: 10, data }, seuratCluster, cellType };
}

/** ARI restricted to cells with a tutorial cell type. */
function ariVsTypes(labels: Int32Array, types: (string | null)[]): number {
  const a: number[] = [];
  const b: string[] = [];
  for (let i = 0; i < labels.length; i++) if (types[i] !== null) { a.push(labels[i]); b.push(types[i]!); }
  return adjustedRandIndex(a, b);
}

describe('pbmc3k clustering vs Seurat 4.3 (Seurat PCs 1-10, k = 20, resolution 0.5)', () => {
  let ref: Reference;
  let snn: CsrMatrix;
  let conn: CsrMatrix;
  // One run per method at seed 0, shared by the tests below (Louvain's 10 starts are the slow part).
  const first: Record<'louvain' | 'leiden', GraphClustering | null> = { louvain: null, leiden: null };
  beforeAll(async () => {
    ref = readPbmcReference();
    const knn = await knnExact(ref.pcs, 20);
    snn = buildSnnGraph(knn.indices, knn.nRows, 20);
    conn = computeConnectivities(knn.indices, knn.distances, knn.nRows, 20);
    for (const method of ['louvain', 'leiden'] as const) {
      first[method] = clusterGraphKernel(snn, { ...CLUSTER_GRAPH_DEFAULTS, method, resolution: 0.5 }, createRng(0));
    }
  });

  it('reads 2,638 cells in 9 Seurat clusters', () => {
    expect(ref.pcs.nRows).toBe(2638);
    expect(new Set(ref.seuratCluster).size).toBe(9);
  });

  for (const method of ['louvain', 'leiden'] as const) {
    it(`${method} on the SNN graph agrees with Seurat's clusters (ARI >= 0.8) and the tutorial cell types (ARI >= 0.75)`, () => {
      const res = first[method]!;
      const ariSeurat = adjustedRandIndex(res.labels, ref.seuratCluster);
      const ariTypes = ariVsTypes(res.labels, ref.cellType);
      console.info(`${method}: ${res.sizes.length} clusters, modularity ${res.quality.toFixed(4)}, ARI vs Seurat ${ariSeurat.toFixed(3)}, ARI vs cell types ${ariTypes.toFixed(3)}`);
      expect(ariSeurat).toBeGreaterThanOrEqual(0.8);
      expect(ariTypes).toBeGreaterThanOrEqual(0.75);
      expect(res.sizes.length).toBeGreaterThanOrEqual(8);
      expect(res.sizes.length).toBeLessThanOrEqual(11);
    });
  }

  it('Leiden is reproducible for a seed and stable across seeds (ARI >= 0.9)', () => {
    const p = { ...CLUSTER_GRAPH_DEFAULTS, method: 'leiden' as const, resolution: 0.5 };
    const a = first.leiden!;
    const b = clusterGraphKernel(snn, p, createRng(0));
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    for (const seed of [1, 2, 3]) {
      const c = clusterGraphKernel(snn, p, createRng(seed));
      expect(adjustedRandIndex(c.labels, a.labels)).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('Louvain is stable across seeds (ARI >= 0.9)', () => {
    const c = clusterGraphKernel(snn, { ...CLUSTER_GRAPH_DEFAULTS, method: 'louvain', resolution: 0.5 }, createRng(1));
    expect(adjustedRandIndex(c.labels, first.louvain!.labels)).toBeGreaterThanOrEqual(0.9);
  });

  it('Leiden on UMAP connectivities (the scanpy route) also recovers Seurat clusters (ARI >= 0.7)', () => {
    const res = clusterGraphKernel(conn, { ...CLUSTER_GRAPH_DEFAULTS, method: 'leiden', resolution: 0.5 }, createRng(0));
    const ari = adjustedRandIndex(res.labels, ref.seuratCluster);
    console.info(`leiden on connectivities: ${res.sizes.length} clusters, ARI vs Seurat ${ari.toFixed(3)}`);
    expect(ari).toBeGreaterThanOrEqual(0.7);
  });

  it('Leiden with 10 starts reaches at least Louvain\'s modularity (- 0.001) on the pbmc3k SNN', () => {
    const lo = first.louvain!;
    const le = clusterGraphKernel(snn, { ...CLUSTER_GRAPH_DEFAULTS, method: 'leiden', resolution: 0.5, nStart: 10 }, createRng(0));
    console.info(`modularity at resolution 0.5: Louvain (10 starts) ${lo.quality.toFixed(5)}, Leiden (10 starts) ${le.quality.toFixed(5)}`);
    expect(le.quality).toBeGreaterThanOrEqual(lo.quality - 0.001);
  });

  it('the neighbors and cluster steps give the same graph with 1 and 2 threads and store string cluster labels', async () => {
    const n = ref.pcs.nRows;
    const adata = new AnnDataLite({
      X: csrFromDense(n, 1, new Float32Array(n)),
      obs: new Frame(Array.from({ length: n }, (_, i) => `cell${i}`)),
      var: new Frame(['g']),
      obsm: { X_pca: ref.pcs },
    });
    const one = await findNeighbors(adata, { nNeighbors: 20, nPcs: 10 }, { threads: 1 });
    const two = await findNeighbors(adata, { nNeighbors: 20, nPcs: 10 }, { threads: 2 });
    expect(Array.from(two.obsp.snn.indices)).toEqual(Array.from(one.obsp.snn.indices));
    expect(Array.from(two.obsp.snn.data)).toEqual(Array.from(one.obsp.snn.data));
    expect(Array.from(two.obsp.distances.data)).toEqual(Array.from(one.obsp.distances.data));
    const clustered = await clusterGraph(two, { method: 'leiden', resolution: 0.5 }, { rng: createRng(0), threads: 2 });
    const labels = columnStrings(clustered.obs.require('cluster'));
    expect(labels[0]).toMatch(/^[0-9]+$/);
    const ari = adjustedRandIndex(labels, ref.seuratCluster);
    console.info(`step chain (threads 2): ARI vs Seurat ${ari.toFixed(3)}`);
    expect(ari).toBeGreaterThanOrEqual(0.8);
  });
});
