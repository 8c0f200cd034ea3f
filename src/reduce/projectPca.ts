/**
 * Projects cells that were not part of the PCA fit (cells left out of the balanced pool, or
 * cells of another condition) onto the fitted components: the same per-gene scaling as the fit
 * (pool means and sds, clip at maxValue), then multiplication by the loadings.
 *
 * Sparse-aware: a cell's scaled value for an unexpressed gene t is the constant
 * z0_t = -mean_t / sd_t, so each score starts from base_c = sum_t z0_t L_tc and only the
 * expressed HVGs add (z_t - z0_t) L_tc. Cost O(nnz * k) instead of O(nHvg * k) per cell.
 */
import type { CsrMatrix, Indptr } from '../core/sparse.js';
import { parallelMap } from '../core/parallel.js';
import { rowBlocks, threadsFor } from '../core/rowBlocks.js';
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
  const plan = projectionPlan(x.nCols, proj);
  const out = new Float32Array(x.nRows * proj.loadings.nCols);
  projectRows(x.indptr, x.indices, x.data, plan.colOf, plan.means, plan.inv, plan.zero, plan.base, proj.loadings.data, proj.genes, plan.max, out, 0, x.nRows);
  return { nRows: x.nRows, nCols: proj.loadings.nCols, data: out };
}

/**
 * {@link projectPcaKernel} over fixed row blocks in worker threads, each writing its own rows of one
 * shared output: every row is computed exactly as in the serial kernel, so the result is bit-identical.
 */
export async function projectPcaParallel(x: CsrMatrix, proj: PcaProjection, threads: number): Promise<DenseMatrix> {
  const plan = projectionPlan(x.nCols, proj);
  const k = proj.loadings.nCols;
  const out = new Float32Array(new SharedArrayBuffer(4 * x.nRows * k));
  const nnz = x.indptr[x.nRows];
  const blocks = rowBlocks(x.nRows, nnz);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) {
    tasks.push([x.indptr, x.indices, x.data, plan.colOf, plan.means, plan.inv, plan.zero, plan.base, proj.loadings.data, proj.genes, plan.max, out, blocks[b], blocks[b + 1]]);
  }
  await parallelMap(import.meta.url, 'projectRows', tasks, threadsFor(threads, nnz));
  return { nRows: x.nRows, nCols: k, data: out };
}

/** Per-gene constants of a projection: column lookup, 1 / sd, the scaled value of a zero, and the all-zero cell's scores. */
interface ProjectionPlan {
  colOf: Int32Array;
  means: Float64Array;
  inv: Float64Array;
  zero: Float64Array;
  base: Float64Array;
  max: number;
}

function projectionPlan(nCols: number, proj: PcaProjection): ProjectionPlan {
  const k = proj.loadings.nCols;
  const m = proj.genes.length;
  const L = proj.loadings.data;
  const max = proj.maxValue ?? Infinity;
  const colOf = new Int32Array(nCols).fill(-1);
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
  return { colOf, means: proj.means, inv, zero, base, max };
}

/**
 * Worker kernel: scores of rows [r0, r1) into `out` (row-major, k = base.length per row). A cell
 * starts from the all-zero cell's scores and adds (z - z0) x loadings for each stored HVG value, so
 * the work is proportional to its stored entries, not to the number of HVGs.
 */
export function projectRows(
  indptr: Indptr, indices: Int32Array, data: Float32Array, colOf: Int32Array, means: Float64Array, inv: Float64Array,
  zero: Float64Array, base: Float64Array, L: Float32Array | Float64Array, genes: Int32Array, max: number, out: Float32Array, r0: number, r1: number,
): void {
  const k = base.length;
  const acc = new Float64Array(k);
  for (let i = r0; i < r1; i++) {
    acc.set(base);
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) {
      const t = colOf[indices[p]];
      if (t < 0) continue;
      const z = Math.min(max, (data[p] - means[t]) * inv[t]);
      const delta = z - zero[t];
      const row = genes[t] * k;
      for (let c = 0; c < k; c++) acc[c] += delta * L[row + c];
    }
    const o = i * k;
    for (let c = 0; c < k; c++) out[o + c] = acc[c];
  }
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
