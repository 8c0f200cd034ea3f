/**
 * PCA of the scaled HVG matrix (Seurat `RunPCA`, scanpy `pca`).
 *
 * As Seurat, the input (obsm `X_scaled` from scale_data, or Pearson residuals) is used as is
 * (`center: false`): Seurat runs irlba on `scale.data` without re-centering, and scale_data has
 * already centred every gene (clipping at 10 shifts means only slightly). Cell scores are U * S
 * (`obsm.X_pca`), loadings V (`varm.PCs`, zero rows for genes outside the HVGs), and
 * `uns.pca.variance` = S^2 / (n - 1) (Seurat's `stdev^2`), `variance_ratio` = variance over the
 * total variance of the input (its squared Frobenius norm / (n - 1), after centering when `center`).
 *
 * Two paths: randomized subspace iteration ({@link randomizedSvd}) for real sizes, and an exact
 * SVD through ml-pca for small inputs (and as a test oracle). Signs: the largest-|loading| gene of
 * each component is positive on both paths.
 */
import { PCA } from 'ml-pca';
import type { DenseMatrix } from '../core/dense.js';
import type { Json } from '../core/adata.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';
import type { Rng } from '../core/rng.js';
import { randomizedSvd } from './randomizedSvd.js';
import { sumOfSquares } from '../linalg/sumOfSquares.js';
import { hvgIndices, scaleDataKernel } from './scaleData.js';

/** Parameters of {@link runPca}. */
export interface RunPcaParams {
  /** Principal components to compute (Seurat `npcs`). @default 50 */
  nComps: number;
  /** 'randomized', 'exact' (ml-pca SVD) or 'auto' (exact when n * p * min(n, p) <= 2e8). @default 'auto' */
  method: 'auto' | 'randomized' | 'exact';
  /** Oversampling of the randomized method. @default 10 */
  oversampling: number;
  /** Power iterations of the randomized method (7: PC1-PC6 sdev match Seurat's irlba to 1e-6 on pbmc3k). @default 7 */
  powerIters: number;
  /** Subtract column means before the SVD (false = Seurat on scale.data). @default false */
  center: boolean;
  /** Keep obsm `X_scaled` after PCA (it is nObs x nHvg Float32, e.g. 1.6 GB at 200k x 2000). @default false */
  keepScaled: boolean;
}

/** Output of {@link runPcaKernel}. */
export interface PcaResult {
  /** n x k row-major cell scores (U * S). */
  scores: Float64Array;
  /** p x k row-major loadings. */
  loadings: Float64Array;
  /** k singular values. */
  singularValues: Float64Array;
  /** S^2 / (n - 1). */
  variance: Float64Array;
  /** variance / total variance of the input. */
  varianceRatio: Float64Array;
  /** Components computed. */
  k: number;
}

/** Column means of a dense matrix (Float64). */
function columnMeans(a: DenseMatrix): Float64Array {
  const m = new Float64Array(a.nCols);
  for (let i = 0; i < a.nRows; i++) for (let j = 0; j < a.nCols; j++) m[j] += a.data[i * a.nCols + j];
  for (let j = 0; j < a.nCols; j++) m[j] /= a.nRows;
  return m;
}


/**
 * Exact PCA through ml-pca (SVD). This adapter is the only place that converts to `number[][]`:
 * it allocates n arrays of p doubles (8 * n * p bytes plus per-array overhead) and ml-matrix's
 * SVD costs O(n p min(n, p)), so it is for small inputs and tests only.
 */
export function exactPca(a: DenseMatrix, k: number, center: boolean): { u: Float64Array; s: Float64Array; v: Float64Array; k: number } {
  const n = a.nRows, p = a.nCols;
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(a.data.subarray(i * p, (i + 1) * p));
  const pca = new PCA(rows, { method: 'SVD', center, scale: false });
  const kk = Math.min(k, n, p);
  const vecs = pca.getEigenvectors();
  const sd = pca.getStandardDeviations();
  const scores = pca.predict(rows, { nComponents: kk });
  const u = new Float64Array(n * kk), s = new Float64Array(kk), v = new Float64Array(p * kk);
  for (let c = 0; c < kk; c++) {
    s[c] = sd[c] * Math.sqrt(Math.max(1, n - 1));
    let best = 0, bestAbs = -1;
    for (let j = 0; j < p; j++) {
      const x = Math.abs(vecs.get(j, c));
      if (x > bestAbs) { bestAbs = x; best = j; }
    }
    const sign = vecs.get(best, c) < 0 ? -1 : 1;
    for (let j = 0; j < p; j++) v[j * kk + c] = sign * vecs.get(j, c);
    const inv = s[c] > 0 ? 1 / s[c] : 0;
    for (let i = 0; i < n; i++) u[i * kk + c] = sign * scores.get(i, c) * inv;
  }
  return { u, s, v, k: kk };
}

/**
 * Kernel: PCA of a dense matrix.
 * @param a - n x p dense (cells x genes)
 * @param p - parameters (nComps, method, oversampling, powerIters, center)
 * @param rng - seeded stream (randomized method)
 * @param threads - worker threads for the big products
 */
export async function runPcaKernel(a: DenseMatrix, p: Omit<RunPcaParams, 'keepScaled'>, rng: Rng, threads = 1): Promise<PcaResult> {
  const n = a.nRows;
  const means = p.center ? columnMeans(a) : null;
  const small = n * a.nCols * Math.min(n, a.nCols) <= 2e8;
  const useExact = p.method === 'exact' || (p.method === 'auto' && small);
  const svd = useExact
    ? exactPca(a, p.nComps, p.center)
    : await randomizedSvd(a, p.nComps, rng, { oversampling: p.oversampling, powerIters: p.powerIters, threads, colMeans: means });
  const k = svd.k;
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) scores[i * k + c] = svd.u[i * k + c] * svd.s[c];
  const total = (await sumOfSquares(a, means, threads)) / Math.max(1, n - 1);
  const variance = new Float64Array(k), varianceRatio = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    variance[c] = (svd.s[c] * svd.s[c]) / Math.max(1, n - 1);
    varianceRatio[c] = total > 0 ? variance[c] / total : 0;
  }
  return { scores, loadings: svd.v, singularValues: svd.s, variance, varianceRatio, k };
}

/**
 * Step `pca`: PCA of obsm `X_scaled` (computed here with scale_data defaults from the HVGs when
 * absent); writes obsm `X_pca` (Float32 nObs x k), varm `PCs` (Float32 nVars x k), uns `pca`.
 * @example await runPca(adata, { nComps: 50 }, { rng: createRng(42), threads: 2 });
 */
export const runPca = defineStep<RunPcaParams>({
  name: 'pca',
  defaults: { nComps: 50, method: 'auto', oversampling: 10, powerIters: 7, center: false, keepScaled: false },
  validate: (p) => {
    if (!(Number.isInteger(p.nComps) && p.nComps > 0)) throw new UsageError(`nComps must be a positive integer, got ${p.nComps}`);
    if (!['auto', 'randomized', 'exact'].includes(p.method)) throw new UsageError(`method must be 'auto', 'randomized' or 'exact', got ${JSON.stringify(p.method)}`);
    if (!(Number.isInteger(p.oversampling) && p.oversampling >= 0)) throw new UsageError(`oversampling must be an integer >= 0, got ${p.oversampling}`);
    if (!(Number.isInteger(p.powerIters) && p.powerIters >= 0)) throw new UsageError(`powerIters must be an integer >= 0, got ${p.powerIters}`);
  },
  run: async (adata, p, ctx) => {
    let scaled = adata.obsm.X_scaled;
    let genes: Int32Array;
    const scaleInfo = adata.uns.scale as { genes?: Json } | undefined;
    if (scaled && scaleInfo && scaleInfo.genes instanceof Int32Array) {
      genes = scaleInfo.genes;
    } else {
      genes = hvgIndices(adata.var.get('highly_variable'), 'pca');
      scaled = scaleDataKernel(adata.X, genes, { maxValue: 10, center: true, scale: true }).scaled;
      ctx.log.info('no obsm X_scaled: scaled the HVGs with scale_data defaults');
    }
    if (scaled.nCols !== genes.length) throw new AnalysisError(`obsm X_scaled has ${scaled.nCols} columns but uns.scale.genes lists ${genes.length}`);
    if (adata.nObs < 2) throw new AnalysisError(`pca needs at least 2 cells, got ${adata.nObs}`);
    const r = await runPcaKernel(scaled, p, ctx.rng, ctx.threads);
    const k = r.k;
    if (k < p.nComps) ctx.log.warn({ requested: p.nComps, computed: k }, 'fewer components than requested (min(nObs, nHvg) is smaller)');
    const pcs = new Float32Array(adata.nVars * k);
    for (let t = 0; t < genes.length; t++) for (let c = 0; c < k; c++) pcs[genes[t] * k + c] = r.loadings[t * k + c];
    const obsm = { ...adata.obsm, X_pca: { nRows: adata.nObs, nCols: k, data: Float32Array.from(r.scores) } };
    if (!p.keepScaled) delete (obsm as Record<string, DenseMatrix>).X_scaled;
    return adata.with({
      obsm,
      varm: { ...adata.varm, PCs: { nRows: adata.nVars, nCols: k, data: pcs } },
      uns: {
        ...adata.uns,
        pca: { variance: r.variance, variance_ratio: r.varianceRatio, params: { n_comps: k, method: p.method, center: p.center, power_iters: p.powerIters, oversampling: p.oversampling } },
      },
    });
  },
});
