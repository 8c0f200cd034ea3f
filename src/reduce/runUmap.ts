/**
 * UMAP embedding (McInnes, Healy & Melville 2018) through umap-js, the one adapter to that
 * library. umap-js is fed our own kNN (`setPrecomputedKNN`), so it skips its approximate search
 * and builds, from those lists, the same fuzzy simplicial set as `computeConnectivities` (smooth
 * kNN distances + fuzzy union). Randomness (initial layout, negative sampling) comes from our Rng
 * through umap-js's `random` option, so a seed fixes the embedding.
 *
 * Defaults: minDist 0.3 (Seurat `RunUMAP`; scanpy uses 0.5), spread 1, nEpochs from umap-js's
 * size rule (500 up to 2,500 cells, 400 up to 5,000, 300 up to 7,500, else 200 — the 200 for large
 * n matches umap-learn's cap).
 */
import { UMAP } from 'umap-js';
import type { DenseMatrix } from '../core/dense.js';
import type { CsrMatrix } from '../core/sparse.js';
import type { Rng } from '../core/rng.js';
import { defineStep } from '../core/step.js';
import { AnalysisError, UsageError } from '../core/errors.js';

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
}

/** Defaults of {@link runUmap}. */
export const RUN_UMAP_DEFAULTS: RunUmapParams = { nComponents: 2, minDist: 0.3, spread: 1, nEpochs: null, negativeSampleRate: 5, learningRate: 1 };

/** Epochs between yields to the event loop. */
const EPOCHS_PER_YIELD = 10;

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
): Promise<DenseMatrix> {
  if (n <= k) throw new Error(`UMAP needs more cells (${n}) than neighbours (${k})`);
  const umap = new UMAP({
    nComponents: p.nComponents,
    nNeighbors: k,
    minDist: p.minDist,
    spread: p.spread,
    nEpochs: p.nEpochs ?? undefined,
    negativeSampleRate: p.negativeSampleRate,
    learningRate: p.learningRate,
    random: () => rng.next(),
  });
  // umap-js wants number[][] for the kNN: this adapter is the only place that converts, costing
  // two n x k arrays of doubles plus one small array object per cell (about 16 n k bytes).
  const knnI: number[][] = new Array(n);
  const knnD: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    knnI[i] = Array.from(indices.subarray(i * k, (i + 1) * k));
    knnD[i] = Array.from(distances.subarray(i * k, (i + 1) * k));
  }
  umap.setPrecomputedKNN(knnI, knnD);
  // With precomputed neighbours umap-js reads only X.length (and keeps X for `transform`, unused
  // here), so empty rows stand in for the data instead of another n x d copy.
  const placeholder: number[][] = new Array(n);
  for (let i = 0; i < n; i++) placeholder[i] = [];
  // Epoch by epoch rather than fit(): the event loop gets a turn every few epochs (long layouts
  // would otherwise block it for minutes) and progress can be reported. Same result as fit().
  const nEpochs = umap.initializeFit(placeholder);
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    umap.step();
    if (epoch % EPOCHS_PER_YIELD === EPOCHS_PER_YIELD - 1) {
      progress?.((epoch + 1) / nEpochs);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  progress?.(1);
  const emb = umap.getEmbedding();
  const out = new Float32Array(n * p.nComponents);
  for (let i = 0; i < n; i++) for (let c = 0; c < p.nComponents; c++) out[i * p.nComponents + c] = emb[i][c];
  return { nRows: n, nCols: p.nComponents, data: out };
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
  },
  run: async (adata, p, ctx) => {
    const d = adata.obsp.distances;
    if (!d) throw new AnalysisError('umap needs obsp.distances; run neighbors first');
    const knn = knnFromDistanceCsr(d);
    if (adata.nObs <= knn.k) throw new AnalysisError(`umap needs more cells (${adata.nObs}) than neighbours (${knn.k})`);
    const emb = await runUmapKernel(knn.indices, knn.distances, adata.nObs, knn.k, p, ctx.rng, ctx.progress);
    ctx.log.info({ k: knn.k, nEpochs: p.nEpochs ?? 'umap-js rule' }, 'umap done');
    return adata.with({
      obsm: { ...adata.obsm, X_umap: emb },
      uns: { ...adata.uns, umap: { params: { min_dist: p.minDist, spread: p.spread, n_components: p.nComponents, n_epochs: p.nEpochs } } },
    });
  },
});
