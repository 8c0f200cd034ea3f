/**
 * UMAP embedding (McInnes, Healy & Melville 2018). The fuzzy simplicial set is ours
 * (`computeConnectivities`: smooth kNN distances + fuzzy union, the same graph umap-js builds
 * from our kNN lists), the curve parameters a, b come from umap-js (`findABParams`), and the
 * layout is optimised by umap-learn's stochastic gradient descent in `umapLayout.ts` (umap-js runs
 * the same loop on nested JS arrays and took 3-5x scran.js's time, benchmarks/compare). The
 * uniform initial layout in [-10, 10] and the negative-sample streams come from our Rng, so a seed
 * fixes the embedding; the layout's cell blocks run on worker threads with the same result for any
 * number of threads.
 *
 * Defaults: minDist 0.3 (Seurat `RunUMAP`; scanpy uses 0.5), spread 1, nEpochs by umap-js's size
 * rule (500 up to 2,500 cells, 400 up to 5,000, 300 up to 7,500, else 200 — umap-learn's cap).
 */
import { findABParams } from 'umap-js/dist/umap.js';
import type { DenseMatrix } from '../core/dense.js';
import type { CsrMatrix } from '../core/sparse.js';
import type { Rng } from '../core/rng.js';
import { defineStep } from '../core/step.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { computeConnectivities } from '../neighbors/computeConnectivities.js';
import { sharedWhen } from '../core/parallel.js';
import { layoutBlocks, runLayout, type LayoutState } from './umapLayout.js';
import { fixedPowTable } from '../core/fixedPow.js';

/** Parameters of {@link runUmap}. */
export interface RunUmapParams {
  /** Output dimensions. @default 2 */
  nComponents: number;
  /** Minimum distance between embedded points (Seurat's 0.3; scanpy's is 0.5). @default 0.3 */
  minDist: number;
  /** Scale of embedded points. @default 1 */
  spread: number;
  /** Optimisation epochs; `null` = umap-js's rule (200 above 7,500 cells). @default null */
  nEpochs: number | null;
  /** Negative samples per positive sample. @default 5 */
  negativeSampleRate: number;
  /** Initial learning rate. @default 1 */
  learningRate: number;
  /**
   * Cell blocks of the layout optimisation (see umapLayout.ts): blocks run on separate threads and
   * see each other's cells as they stood at the start of the epoch; 1 = umap-learn's sequential
   * order. The result depends on this number, never on the number of threads. @default 4
   */
  blocks: number;
}

/** Defaults of {@link runUmap}. */
export const RUN_UMAP_DEFAULTS: RunUmapParams = { nComponents: 2, minDist: 0.3, spread: 1, nEpochs: null, negativeSampleRate: 5, learningRate: 1, blocks: 4 };

/** Below this many edges an epoch is too short to be worth a round trip to the workers. */
const MIN_EDGES_FOR_THREADS = 20_000;

/** umap-js's default epoch count for n cells. */
export function defaultEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/** A non-zero 32-bit word from `rng` (xorshift state must not be all zero). */
function seedWord(rng: Rng): number {
  return (Math.floor(rng.next() * 4294967296) | 0) || 0x9e3779b9;
}

/**
 * Kernel: UMAP layout from kNN lists.
 *
 * @param indices row-major `n x k` neighbour indices (self included), ascending distance.
 * @param distances matching distances.
 * @param n cells (must exceed k).
 * @param k neighbours per cell.
 * @param p parameters.
 * @param rng random stream (layout initialisation and negative sampling).
 * @param progress called with the fraction of epochs done.
 * @param threads worker threads for the layout's blocks (the result is the same for any number).
 * @returns row-major `n x nComponents` Float32 coordinates.
 * @example
 * const xy = await runUmapKernel(knn.indices, knn.distances, knn.nRows, knn.k, RUN_UMAP_DEFAULTS, createRng(0));
 */
export async function runUmapKernel(
  indices: Int32Array,
  distances: Float32Array,
  n: number,
  k: number,
  p: RunUmapParams,
  rng: Rng,
  progress?: (fraction: number) => void,
  threads = 1,
): Promise<DenseMatrix> {
  if (n <= k) throw new Error(`UMAP needs more cells (${n}) than neighbours (${k})`);
  const graph = computeConnectivities(indices, distances, n, k);
  const nEpochs = p.nEpochs ?? defaultEpochs(n);
  const dim = p.nComponents;
  const { a, b } = findABParams(p.spread, p.minDist);

  // Edges of the symmetric graph; weights below max / nEpochs would never be sampled (umap-learn).
  const nnz = graph.indptr[n];
  let wMax = 0;
  for (let e = 0; e < nnz; e++) if (graph.data[e] > wMax) wMax = graph.data[e];
  let m = 0;
  for (let e = 0; e < nnz; e++) if (graph.data[e] >= wMax / nEpochs) m++;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  const epochsPerSample = new Float64Array(m);
  for (let i = 0, t = 0; i < n; i++) {
    for (let e = graph.indptr[i]; e < graph.indptr[i + 1]; e++) {
      if (graph.data[e] < wMax / nEpochs) continue;
      head[t] = i;
      tail[t] = graph.indices[e];
      epochsPerSample[t] = wMax / graph.data[e];
      t++;
    }
  }
  // Workers share every array they read or write; one thread keeps plain memory.
  const threadsUsed = m >= MIN_EDGES_FOR_THREADS ? Math.max(1, Math.min(threads, p.blocks)) : 1;
  const shared = threadsUsed > 1;
  const perNegative = new Float64Array(m);
  for (let t = 0; t < m; t++) perNegative[t] = epochsPerSample[t] / p.negativeSampleRate;
  const emb = new Float64Array(n * dim);
  for (let t = 0; t < emb.length; t++) emb[t] = rng.next() * 20 - 10;
  const seeds = new Int32Array(4 * p.blocks);
  for (let w = 0; w < seeds.length; w++) seeds[w] = seedWord(rng);
  const { cellStart, edgeStart } = layoutBlocks(head, epochsPerSample, n, p.blocks);
  const layout: LayoutState = {
    emb: sharedWhen(emb, shared),
    snapshot: sharedWhen(Float64Array.from(emb), shared),
    deltas: sharedWhen(new Float64Array(p.blocks > 1 ? p.blocks * emb.length : 0), shared),
    dim, n, a, b, powB: fixedPowTable(b),
    head: sharedWhen(head, shared),
    tail: sharedWhen(tail, shared),
    epochsPerSample: sharedWhen(epochsPerSample, shared),
    epochsPerNegative: sharedWhen(perNegative, shared),
    nextSample: sharedWhen(Float64Array.from(epochsPerSample), shared),
    nextNegative: sharedWhen(Float64Array.from(perNegative), shared),
    cellStart, edgeStart,
    seeds: sharedWhen(seeds, shared),
  };
  await runLayout(layout, nEpochs, p.learningRate, threadsUsed, progress);
  progress?.(1);
  return { nRows: n, nCols: dim, data: Float32Array.from(layout.emb) };
}

/**
 * kNN lists back from scanpy's distance matrix (k - 1 stored neighbours per row, self excluded):
 * the cell itself first at distance 0, then its neighbours by (distance, index).
 *
 * @param d CSR kNN distances as written by `findNeighbors`.
 */
export function knnFromDistanceCsr(d: CsrMatrix): { indices: Int32Array; distances: Float32Array; k: number } {
  const n = d.nRows;
  const m = n > 0 ? d.indptr[1] - d.indptr[0] : 0;
  for (let i = 0; i < n; i++) {
    if (d.indptr[i + 1] - d.indptr[i] !== m) {
      throw new AnalysisError(`umap: obsp.distances row ${i} has ${d.indptr[i + 1] - d.indptr[i]} neighbours, row 0 has ${m}; expected a kNN graph`);
    }
  }
  const k = m + 1;
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const order = new Int32Array(m);
  for (let i = 0; i < n; i++) {
    const s = d.indptr[i];
    for (let t = 0; t < m; t++) order[t] = s + t;
    order.sort((a, b) => d.data[a] - d.data[b] || d.indices[a] - d.indices[b]);
    indices[i * k] = i;
    distances[i * k] = 0;
    for (let t = 0; t < m; t++) {
      indices[i * k + 1 + t] = d.indices[order[t]];
      distances[i * k + 1 + t] = d.data[order[t]];
    }
  }
  return { indices, distances, k };
}

/**
 * Step `umap`: embeds cells from the stored kNN (obsp.distances) into obsm `X_umap` (Float32).
 *
 * @example
 * const out = await runUmap(adata, { minDist: 0.3 });
 */
export const runUmap = defineStep<RunUmapParams>({
  name: 'umap',
  defaults: RUN_UMAP_DEFAULTS,
  validate: (p) => {
    if (!(Number.isInteger(p.nComponents) && p.nComponents >= 1)) throw new UsageError(`nComponents must be a positive integer, got ${p.nComponents}`);
    if (!(p.minDist >= 0)) throw new UsageError(`minDist must be >= 0, got ${p.minDist}`);
    if (!(p.spread > 0)) throw new UsageError(`spread must be > 0, got ${p.spread}`);
    if (p.minDist > p.spread) throw new UsageError(`minDist (${p.minDist}) must not exceed spread (${p.spread})`);
    if (p.nEpochs !== null && !(Number.isInteger(p.nEpochs) && p.nEpochs >= 1)) throw new UsageError(`nEpochs must be a positive integer or null, got ${p.nEpochs}`);
    if (!(p.negativeSampleRate > 0)) throw new UsageError(`negativeSampleRate must be > 0, got ${p.negativeSampleRate}`);
    if (!(p.learningRate > 0)) throw new UsageError(`learningRate must be > 0, got ${p.learningRate}`);
    if (!(Number.isInteger(p.blocks) && p.blocks >= 1 && p.blocks <= 64)) throw new UsageError(`blocks must be an integer from 1 to 64, got ${p.blocks}`);
  },
  run: async (adata, p, ctx) => {
    const d = adata.obsp.distances;
    if (!d) throw new AnalysisError('umap needs obsp.distances; run neighbors first');
    const knn = knnFromDistanceCsr(d);
    if (adata.nObs <= knn.k) throw new AnalysisError(`umap needs more cells (${adata.nObs}) than neighbours (${knn.k})`);
    const emb = await runUmapKernel(knn.indices, knn.distances, adata.nObs, knn.k, p, ctx.rng, ctx.progress, ctx.threads);
    ctx.log.info({ k: knn.k, nEpochs: p.nEpochs ?? defaultEpochs(adata.nObs) }, 'umap done');
    return adata.with({
      obsm: { ...adata.obsm, X_umap: emb },
      uns: { ...adata.uns, umap: { params: { min_dist: p.minDist, spread: p.spread, n_components: p.nComponents, n_epochs: p.nEpochs, blocks: p.blocks } } },
    });
  },
});
