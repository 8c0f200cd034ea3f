/**
 * Scaling of the HVGs to zero mean and unit variance (Seurat `ScaleData`): z_ij = (x_ij - mean_j) / sd_j
 * with sd over cells using n - 1 (R `sd`), then values above `maxValue` are set to `maxValue`
 * (Seurat `scale.max = 10`; Seurat clips only the upper side, and so do we). A gene with sd 0
 * gets all zeros. Mean and sd accumulate in Float64 from the sparse log data.
 *
 * Memory: the output is dense Float32 nObs x nGenes, cell-major: 200k cells x 2,000 HVGs x 4 B
 * = 1.6 GB. It is allocated on a SharedArrayBuffer so PCA worker threads read it without a copy.
 */
import type { CsrMatrix } from '../core/sparse.js';
import type { DenseMatrix } from '../core/dense.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';

/** Parameters of {@link scaleData}. */
export interface ScaleDataParams {
  /** Upper clip of scaled values (Seurat `scale.max`); null = no clipping. @default 10 */
  maxValue: number | null;
  /** Subtract the gene mean (Seurat `do.center`). @default true */
  center: boolean;
  /** Divide by the gene sd (Seurat `do.scale`). @default true */
  scale: boolean;
}

/** Output of {@link scaleDataKernel}. */
export interface ScaledData {
  /** Dense nObs x genes.length, row-major (cell-major), Float32 on a SharedArrayBuffer. */
  scaled: DenseMatrix & { data: Float32Array };
  /** Gene means. */
  means: Float64Array;
  /** Gene sds (n - 1). */
  sds: Float64Array;
}

/** Column indices of the genes with var `highly_variable` true (AnalysisError when absent). */
export function hvgIndices(hv: { kind: string; values?: unknown } | undefined, stepName: string): Int32Array {
  if (!hv || hv.kind !== 'bool') throw new AnalysisError(`${stepName} needs var 'highly_variable'; run select_hvgs first`);
  const v = hv.values as Uint8Array;
  let m = 0;
  for (let j = 0; j < v.length; j++) m += v[j];
  if (m === 0) throw new AnalysisError(`${stepName}: no gene is marked highly_variable`);
  const out = new Int32Array(m);
  for (let j = 0, t = 0; j < v.length; j++) if (v[j]) out[t++] = j;
  return out;
}

/**
 * Kernel: dense scaled values of columns `genes` (in that order).
 * @param x - log-normalized data, cells x genes
 * @param genes - columns to scale
 */
export function scaleDataKernel(x: CsrMatrix, genes: Int32Array, p: ScaleDataParams): ScaledData {
  const n = x.nRows, m = genes.length;
  const colOf = new Int32Array(x.nCols).fill(-1);
  for (let t = 0; t < m; t++) colOf[genes[t]] = t;
  const { indptr, indices, data } = x;
  const sum = new Float64Array(m), nnz = new Float64Array(m);
  for (let k = 0; k < indptr[n]; k++) {
    const t = colOf[indices[k]];
    if (t >= 0) { sum[t] += data[k]; nnz[t]++; }
  }
  const means = new Float64Array(m);
  for (let t = 0; t < m; t++) means[t] = sum[t] / n;
  // Two-pass variance: stored entries plus (n - nnz) zeros at distance mean.
  const ss = new Float64Array(m);
  for (let k = 0; k < indptr[n]; k++) {
    const t = colOf[indices[k]];
    if (t >= 0) { const d = data[k] - means[t]; ss[t] += d * d; }
  }
  const sds = new Float64Array(m);
  const inv = new Float64Array(m);
  const shift = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    ss[t] += (n - nnz[t]) * means[t] * means[t];
    sds[t] = n > 1 ? Math.sqrt(ss[t] / (n - 1)) : 0;
    inv[t] = p.scale ? (sds[t] > 0 ? 1 / sds[t] : 0) : 1;
    shift[t] = p.center ? means[t] : 0;
  }
  const out = new Float32Array(new SharedArrayBuffer(n * m * 4));
  const max = p.maxValue ?? Infinity;
  const row = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    // Fill the zero value for every gene, then overwrite stored entries.
    for (let t = 0; t < m; t++) row[t] = -shift[t] * inv[t];
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const t = colOf[indices[k]];
      if (t >= 0) row[t] = (data[k] - shift[t]) * inv[t];
    }
    const base = i * m;
    for (let t = 0; t < m; t++) out[base + t] = row[t] > max ? max : row[t];
  }
  return { scaled: { nRows: n, nCols: m, data: out }, means, sds };
}

/**
 * Step `scale_data`: scales the HVGs (var `highly_variable`) of X and stores obsm `X_scaled`
 * (nObs x nHvg) with uns `scale` {method, genes, means, sds, max_value}.
 * @example await scaleData(adata, { maxValue: 10 });
 */
export const scaleData = defineStep<ScaleDataParams>({
  name: 'scale_data',
  defaults: { maxValue: 10, center: true, scale: true },
  validate: (p) => {
    if (p.maxValue !== null && !(p.maxValue > 0)) throw new UsageError(`maxValue must be null or > 0, got ${p.maxValue}`);
  },
  run: (adata, p, ctx) => {
    const genes = hvgIndices(adata.var.get('highly_variable'), 'scale_data');
    const r = scaleDataKernel(adata.X, genes, p);
    ctx.log.info({ nObs: adata.nObs, nGenes: genes.length, mb: Math.round((adata.nObs * genes.length * 4) / 2 ** 20) }, 'scaled matrix');
    return adata.with({
      obsm: { ...adata.obsm, X_scaled: r.scaled },
      uns: { ...adata.uns, scale: { method: 'z', genes, means: r.means, sds: r.sds, max_value: p.maxValue } },
    });
  },
});
