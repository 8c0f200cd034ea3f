/**
 * Projects cells that were not part of the PCA fit (cells left out of the balanced pool, or
 * cells of another condition) onto the fitted components: the same per-gene scaling as the fit
 * (pool means and sds, clip at maxValue), then multiplication by the loadings.
 *
 * Sparse-aware: a cell's scaled value for an unexpressed gene t is the constant
 * z0_t = -mean_t / sd_t, so each score starts from base_c = sum_t z0_t L_tc and only the
 * expressed HVGs add (z_t - z0_t) L_tc. Cost O(nnz * k) instead of O(nHvg * k) per cell.
 */
import type { CsrMatrix } from '../core/sparse.js';
import type { DenseMatrix } from '../core/dense.js';
import type { AnnDataLite } from '../core/adata.js';
import { AnalysisError } from '../core/errors.js';

/** The fitted scaling and loadings needed to place new cells in PC space. */
export interface PcaProjection {
  /** Columns (genes) the PCA used, in the order of means/sds. */
  readonly genes: Int32Array;
  readonly means: Float64Array;
  readonly sds: Float64Array;
  /** Upper clip of scaled values (null = none). */
  readonly maxValue: number | null;
  /** nVars x k loadings (varm PCs). */
  readonly loadings: DenseMatrix;
}

/** Scores (nRows x k, Float32) of the rows of `x` (log-normalized, same genes as the fit). */
export function projectPcaKernel(x: CsrMatrix, proj: PcaProjection): DenseMatrix {
  const k = proj.loadings.nCols;
  const m = proj.genes.length;
  const L = proj.loadings.data;
  const max = proj.maxValue ?? Infinity;
  const colOf = new Int32Array(x.nCols).fill(-1);
  const inv = new Float64Array(m);
  const zero = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    colOf[proj.genes[t]] = t;
    inv[t] = proj.sds[t] > 0 ? 1 / proj.sds[t] : 0;
    zero[t] = Math.min(max, -proj.means[t] * inv[t]);
  }
  const base = new Float64Array(k);
  for (let t = 0; t < m; t++) {
    const row = proj.genes[t] * k;
    for (let c = 0; c < k; c++) base[c] += zero[t] * L[row + c];
  }
  const out = new Float32Array(x.nRows * k);
  const acc = new Float64Array(k);
  for (let i = 0; i < x.nRows; i++) {
    acc.set(base);
    for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) {
      const t = colOf[x.indices[p]];
      if (t < 0) continue;
      const z = Math.min(max, (x.data[p] - proj.means[t]) * inv[t]);
      const delta = z - zero[t];
      const row = proj.genes[t] * k;
      for (let c = 0; c < k; c++) acc[c] += delta * L[row + c];
    }
    for (let c = 0; c < k; c++) out[i * k + c] = acc[c];
  }
  return { nRows: x.nRows, nCols: k, data: out };
}

/** The projection fitted by `scale_data` + `pca` on `fit` (uns.scale and varm.PCs). */
export function pcaProjectionOf(fit: AnnDataLite): PcaProjection {
  const scale = fit.uns.scale as { genes?: unknown; means?: unknown; sds?: unknown; max_value?: unknown } | undefined;
  const loadings = fit.varm.PCs;
  if (!scale || !(scale.genes instanceof Int32Array) || !(scale.means instanceof Float64Array) || !(scale.sds instanceof Float64Array) || !loadings) {
    throw new AnalysisError('projecting cells needs uns.scale (genes, means, sds) and varm.PCs; run scale_data and pca first');
  }
  return { genes: scale.genes, means: scale.means, sds: scale.sds, maxValue: typeof scale.max_value === 'number' ? scale.max_value : null, loadings };
}
