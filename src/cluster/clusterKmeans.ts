/**
 * k-means clustering of cells on their leading PCs, through ml-kmeans (the one adapter to that
 * library): k-means++ seeding (Arthur & Vassilvitskii 2007) with a seed drawn from our Rng for
 * each of `nStart` starts, Lloyd iterations, and the start with the lowest inertia (within-cluster
 * sum of squared distances, computed here in Float64) kept, as R's `kmeans(nstart = )` does.
 * Labels are renumbered by cluster size (largest = 0).
 */
import { kmeans } from 'ml-kmeans';
import type { DenseMatrix } from '../core/dense.js';
import type { Rng } from '../core/rng.js';
import { defineStep } from '../core/step.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { relabelBySize } from './relabelBySize.js';

/** Parameters of {@link clusterKmeans}. */
export interface ClusterKmeansParams {
  /** Number of clusters. @default 10 */
  k: number;
  /** Leading PCs used; `null` = all columns. @default null */
  nPcs: number | null;
  /** obsm key of the representation. @default 'X_pca' */
  useRep: string;
  /** Independent k-means++ starts; the lowest inertia wins. @default 10 */
  nStart: number;
  /** Lloyd iterations per start. @default 100 */
  maxIterations: number;
}

/** Defaults of {@link clusterKmeans}. */
export const CLUSTER_KMEANS_DEFAULTS: ClusterKmeansParams = { k: 10, nPcs: null, useRep: 'X_pca', nStart: 10, maxIterations: 100 };

/** Result of {@link clusterKmeansKernel}. */
export interface KmeansClustering {
  /** Cluster per cell, numbered by size (largest = 0). */
  readonly labels: Int32Array;
  /** Cluster sizes by label. */
  readonly sizes: Int32Array;
  /** Centroids, row-major `k x nDims`, rows in label order. */
  readonly centroids: Float64Array;
  /** Within-cluster sum of squared distances of the kept start. */
  readonly inertia: number;
}

/**
 * Kernel: best-of-`nStart` k-means on the first `nDims` columns of `x`.
 *
 * @param x cells x dims.
 * @param k clusters (2 <= k <= cells).
 * @param opts nDims (default all), nStart (default 10), maxIterations (default 100).
 * @param rng stream that seeds each start.
 * @example
 * const { labels, inertia } = clusterKmeansKernel(pcs, 8, { nDims: 10 }, createRng(0));
 */
export function clusterKmeansKernel(
  x: DenseMatrix,
  k: number,
  opts: { nDims?: number; nStart?: number; maxIterations?: number },
  rng: Rng,
): KmeansClustering {
  const n = x.nRows;
  const dim = opts.nDims ?? x.nCols;
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`k must be an integer in [1, ${n}], got ${k}`);
  // ml-kmeans takes number[][]: this is the only conversion, n x dim doubles (8 bytes each), made
  // once and shared by all starts.
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = new Array<number>(dim);
    for (let c = 0; c < dim; c++) r[c] = x.data[i * x.nCols + c];
    rows[i] = r;
  }
  let bestLabels: Int32Array | null = null;
  let bestInertia = Infinity;
  for (let s = 0; s < (opts.nStart ?? 10); s++) {
    const seed = rng.int(2 ** 31);
    const res = kmeans(rows, k, { initialization: 'kmeans++', seed, maxIterations: opts.maxIterations ?? 100 });
    const labels = Int32Array.from(res.clusters);
    const inertia = inertiaOf(x, dim, labels, k);
    if (inertia < bestInertia) {
      bestInertia = inertia;
      bestLabels = labels;
    }
  }
  const { labels, sizes } = relabelBySize(bestLabels!);
  const centroids = centroidsOf(x, dim, labels, sizes.length);
  return { labels, sizes, centroids, inertia: bestInertia };
}

/** Cluster means, row-major `k x dim`, accumulated in Float64. */
function centroidsOf(x: DenseMatrix, dim: number, labels: Int32Array, k: number): Float64Array {
  const sum = new Float64Array(k * dim);
  const count = new Float64Array(k);
  for (let i = 0; i < x.nRows; i++) {
    const c = labels[i];
    count[c]++;
    for (let d = 0; d < dim; d++) sum[c * dim + d] += x.data[i * x.nCols + d];
  }
  for (let c = 0; c < k; c++) for (let d = 0; d < dim; d++) sum[c * dim + d] /= Math.max(1, count[c]);
  return sum;
}

/** Within-cluster sum of squares of a labelling. */
function inertiaOf(x: DenseMatrix, dim: number, labels: Int32Array, k: number): number {
  const cent = centroidsOf(x, dim, labels, k);
  let s = 0;
  for (let i = 0; i < x.nRows; i++) {
    const c = labels[i];
    for (let d = 0; d < dim; d++) {
      const v = x.data[i * x.nCols + d] - cent[c * dim + d];
      s += v * v;
    }
  }
  return s;
}

/**
 * Step `kmeans`: k-means on `obsm[useRep]`, stored as obs `cluster` (categorical '0', '1', ...,
 * by size) and uns `kmeans` {params, inertia}.
 *
 * @example
 * const out = await clusterKmeans(adata, { k: 8, nPcs: 10 });
 */
export const clusterKmeans = defineStep<ClusterKmeansParams>({
  name: 'kmeans',
  allocatesLittle: () => true,
  defaults: CLUSTER_KMEANS_DEFAULTS,
  validate: (p) => {
    if (!(Number.isInteger(p.k) && p.k >= 2)) throw new UsageError(`k must be an integer >= 2, got ${p.k}`);
    if (p.nPcs !== null && !(Number.isInteger(p.nPcs) && p.nPcs >= 1)) throw new UsageError(`nPcs must be a positive integer or null, got ${p.nPcs}`);
    if (!(Number.isInteger(p.nStart) && p.nStart >= 1)) throw new UsageError(`nStart must be an integer >= 1, got ${p.nStart}`);
    if (!(Number.isInteger(p.maxIterations) && p.maxIterations >= 1)) throw new UsageError(`maxIterations must be an integer >= 1, got ${p.maxIterations}`);
  },
  run: (adata, p, ctx) => {
    const x = adata.obsm[p.useRep];
    if (!x) throw new AnalysisError(`kmeans needs obsm.${p.useRep}; run pca first`);
    if (p.nPcs !== null && p.nPcs > x.nCols) throw new AnalysisError(`kmeans: nPcs = ${p.nPcs} but obsm.${p.useRep} has ${x.nCols} columns`);
    if (p.k > adata.nObs) throw new AnalysisError(`kmeans: k = ${p.k} exceeds the number of cells (${adata.nObs})`);
    const res = clusterKmeansKernel(x, p.k, { nDims: p.nPcs ?? x.nCols, nStart: p.nStart, maxIterations: p.maxIterations }, ctx.rng);
    const categories = Array.from({ length: res.sizes.length }, (_, c) => String(c));
    ctx.log.info({ k: p.k, inertia: res.inertia }, 'k-means done');
    return adata.with({
      obs: adata.obs.with('cluster', { kind: 'categorical', codes: res.labels, categories, ordered: false }),
      uns: { ...adata.uns, kmeans: { params: { ...p }, inertia: res.inertia, sizes: Int32Array.from(res.sizes) } },
    });
  },
});
