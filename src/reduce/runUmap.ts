/**
 * UMAP embedding (McInnes, Healy & Melville 2018). The fuzzy simplicial set is ours
 * (`computeConnectivities`: smooth kNN distances + fuzzy union, the same graph umap-js builds
 * from our kNN lists), the curve parameters a, b come from umap-js (`findABParams`), and the
 * layout is optimised here: the stochastic gradient descent of umap-learn's
 * `optimize_layout_euclidean` (attractive moves along edges sampled in proportion to their
 * weight, `negativeSampleRate` repulsive samples each, gradients clipped at 4, learning rate
 * decaying linearly). umap-js runs the same loop on nested JS arrays and took 3-5x scran.js's
 * time (benchmarks/compare); here it runs on typed arrays, d^(2b) comes from a table-driven power
 * (`powFixed`, 4x cheaper than `Math.pow`), and negative samples from an inlined xorshift128
 * stream. The seed of that stream and the uniform initial layout in [-10, 10] come from our Rng,
 * so a seed fixes the embedding.
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
import { fixedPowTable, powFixed } from '../core/fixedPow.js';

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

/** umap-js's default epoch count for n cells. */
export function defaultEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/** Gradient clip of umap-learn. */
const CLIP = 4;

/** A non-zero 32-bit word from `rng` (xorshift state must not be all zero). */
function seedWord(rng: Rng): number {
  return (Math.floor(rng.next() * 4294967296) | 0) || 0x9e3779b9;
}

/** Arrays of the layout optimisation, carried between epoch batches. */
export interface LayoutState {
  /** n x dim coordinates, updated in place. */
  emb: Float64Array;
  dim: number;
  n: number;
  /** Curve parameters of 1 / (1 + a d^(2b)). */
  a: number;
  b: number;
  /** Edge endpoints and umap-learn's per-edge sampling schedule. */
  head: Int32Array;
  tail: Int32Array;
  epochsPerSample: Float64Array;
  epochsPerNegative: Float64Array;
  nextSample: Float64Array;
  nextNegative: Float64Array;
  /** xorshift128 state for negative samples (umap-learn likewise draws them from its own stream). */
  seed: Int32Array;
}

/**
 * Epochs [from, to) of umap-learn's SGD (`optimize_layout_euclidean`), synchronous and on typed
 * arrays only, so the hot loop compiles once and never allocates.
 */
export function optimizeEpochs(st: LayoutState, from: number, to: number, nEpochs: number, learningRate: number): void {
  const { emb, dim, n, a, b, head, tail, epochsPerSample, epochsPerNegative, nextSample, nextNegative, seed } = st;
  const m = head.length;
  const twoAB = 2 * a * b, twoB = 2 * b;
  const powB = fixedPowTable(b);
  let s0 = seed[0], s1 = seed[1], s2 = seed[2], s3 = seed[3];
  for (let epoch = from; epoch < to; epoch++) {
    const alpha = learningRate * (1 - epoch / nEpochs);
    for (let t = 0; t < m; t++) {
      if (nextSample[t] > epoch) continue;
      const j = head[t] * dim;
      let kk = tail[t] * dim;
      let d2 = 0;
      for (let c = 0; c < dim; c++) { const diff = emb[j + c] - emb[kk + c]; d2 += diff * diff; }
      // Attraction: d/dd of log(1 / (1 + a d^(2b))); d^(2b - 2) = d^(2b) / d^2 saves a power.
      if (d2 > 0) {
        const pb = powFixed(d2, powB);
        const attract = (-twoAB * pb) / (d2 * (a * pb + 1));
        for (let c = 0; c < dim; c++) {
          let g = attract * (emb[j + c] - emb[kk + c]);
          g = g > CLIP ? CLIP : g < -CLIP ? -CLIP : g;
          emb[j + c] += g * alpha;
          emb[kk + c] -= g * alpha;
        }
      }
      nextSample[t] += epochsPerSample[t];
      const nNeg = Math.floor((epoch - nextNegative[t]) / epochsPerNegative[t]);
      for (let s = 0; s < nNeg; s++) {
        // xorshift128 (Marsaglia 2003), scaled to [0, n) by a multiply.
        const x = s0 ^ (s0 << 11);
        s0 = s1; s1 = s2; s2 = s3;
        s3 = s3 ^ (s3 >>> 19) ^ x ^ (x >>> 8);
        const other = Math.floor(((s3 >>> 0) * n) / 4294967296);
        if (other === head[t]) continue;
        kk = other * dim;
        d2 = 0;
        for (let c = 0; c < dim; c++) { const diff = emb[j + c] - emb[kk + c]; d2 += diff * diff; }
        // Repulsion, with umap-learn's 0.001 guard against division by zero.
        const repel = d2 > 0 ? twoB / ((0.001 + d2) * (a * powFixed(d2, powB) + 1)) : 0;
        for (let c = 0; c < dim; c++) {
          let g = repel > 0 ? repel * (emb[j + c] - emb[kk + c]) : CLIP;
          g = g > CLIP ? CLIP : g < -CLIP ? -CLIP : g;
          emb[j + c] += g * alpha;
        }
      }
      nextNegative[t] += nNeg * epochsPerNegative[t];
    }
  }
  seed[0] = s0; seed[1] = s1; seed[2] = s2; seed[3] = s3;
}

/**
 * {@link optimizeEpochs} for 2-D layouts (the default), with the coordinate loops written out:
 * the same operations in the same order, so the same bits, at about 30% less time.
 */
export function optimizeEpochs2d(st: LayoutState, from: number, to: number, nEpochs: number, learningRate: number): void {
  const { emb, n, a, b, head, tail, epochsPerSample, epochsPerNegative, nextSample, nextNegative, seed } = st;
  const m = head.length;
  const twoAB = 2 * a * b, twoB = 2 * b;
  const powB = fixedPowTable(b);
  let s0 = seed[0], s1 = seed[1], s2 = seed[2], s3 = seed[3];
  for (let epoch = from; epoch < to; epoch++) {
    const alpha = learningRate * (1 - epoch / nEpochs);
    for (let t = 0; t < m; t++) {
      if (nextSample[t] > epoch) continue;
      const h = head[t];
      const j = 2 * h;
      let kk = 2 * tail[t];
      let jx = emb[j], jy = emb[j + 1];
      let dx = jx - emb[kk], dy = jy - emb[kk + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const pb = powFixed(d2, powB);
        const attract = (-twoAB * pb) / (d2 * (a * pb + 1));
        let g = attract * dx;
        g = g > CLIP ? CLIP : g < -CLIP ? -CLIP : g;
        emb[j] = jx + g * alpha;
        emb[kk] -= g * alpha;
        g = attract * dy;
        g = g > CLIP ? CLIP : g < -CLIP ? -CLIP : g;
        emb[j + 1] = jy + g * alpha;
        emb[kk + 1] -= g * alpha;
        jx = emb[j]; jy = emb[j + 1];
      }
      nextSample[t] += epochsPerSample[t];
      const nNeg = Math.floor((epoch - nextNegative[t]) / epochsPerNegative[t]);
      for (let s = 0; s < nNeg; s++) {
        const x = s0 ^ (s0 << 11);
        s0 = s1; s1 = s2; s2 = s3;
        s3 = s3 ^ (s3 >>> 19) ^ x ^ (x >>> 8);
        const other = Math.floor(((s3 >>> 0) * n) / 4294967296);
        if (other === h) continue;
        kk = 2 * other;
        dx = jx - emb[kk]; dy = jy - emb[kk + 1];
        d2 = dx * dx + dy * dy;
        const repel = d2 > 0 ? twoB / ((0.001 + d2) * (a * powFixed(d2, powB) + 1)) : 0;
        let g = repel > 0 ? repel * dx : CLIP;
        g = g > CLIP ? CLIP : g < -CLIP ? -CLIP : g;
        jx += g * alpha;
        g = repel > 0 ? repel * dy : CLIP;
        g = g > CLIP ? CLIP : g < -CLIP ? -CLIP : g;
        jy += g * alpha;
      }
      emb[j] = jx; emb[j + 1] = jy;
      nextNegative[t] += nNeg * epochsPerNegative[t];
    }
  }
  seed[0] = s0; seed[1] = s1; seed[2] = s2; seed[3] = s3;
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
  const epochsPerNegative = new Float64Array(m);
  for (let t = 0; t < m; t++) epochsPerNegative[t] = epochsPerSample[t] / p.negativeSampleRate;
  const nextSample = Float64Array.from(epochsPerSample);
  const nextNegative = Float64Array.from(epochsPerNegative);

  const emb = new Float64Array(n * dim);
  for (let t = 0; t < emb.length; t++) emb[t] = rng.next() * 20 - 10;

  const layout: LayoutState = { emb, dim, n, a, b, head, tail, epochsPerSample, epochsPerNegative, nextSample, nextNegative, seed: new Int32Array(4) };
  for (let w = 0; w < 4; w++) layout.seed[w] = seedWord(rng);
  for (let epoch = 0; epoch < nEpochs; epoch += EPOCHS_PER_YIELD) {
    const last = Math.min(nEpochs, epoch + EPOCHS_PER_YIELD);
    if (dim === 2) optimizeEpochs2d(layout, epoch, last, nEpochs, p.learningRate);
    else optimizeEpochs(layout, epoch, last, nEpochs, p.learningRate);
    progress?.(last / nEpochs);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  progress?.(1);
  return { nRows: n, nCols: dim, data: Float32Array.from(emb) };
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
    ctx.log.info({ k: knn.k, nEpochs: p.nEpochs ?? defaultEpochs(adata.nObs) }, 'umap done');
    return adata.with({
      obsm: { ...adata.obsm, X_umap: emb },
      uns: { ...adata.uns, umap: { params: { min_dist: p.minDist, spread: p.spread, n_components: p.nComponents, n_epochs: p.nEpochs } } },
    });
  },
});
