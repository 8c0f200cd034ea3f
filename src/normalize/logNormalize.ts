/**
 * Log-normalization: Seurat `NormalizeData(normalization.method = "LogNormalize", scale.factor = 1e4)`
 * = scanpy `normalize_total(target_sum=1e4)` + `log1p`: x' = log1p(x / s_i) with size factor
 * s_i = total_i / targetSum. Division and log1p run in Float64; the result is stored as Float32
 * (as scanpy's float32 X; Seurat keeps doubles, differences are ~1e-7 relative).
 * With `method: 'scran'` the size factors come from pooled deconvolution (Lun et al. 2016), centred
 * to mean 1 as scran/scater do, and x' = log1p(x / s_i) (natural log; scater uses log2).
 */
import { allocValues, type CsrMatrix, type Indptr } from '../core/sparse.js';
import { parallelMap, sharedWhen } from '../core/parallel.js';
import { FINE_ROW_BLOCK_ENTRIES, rowBlocks, threadsFor } from '../core/rowBlocks.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';
import { scranSizeFactorsKernel } from './scranSizeFactors.js';

/** Parameters of {@link logNormalize}. */
export interface LogNormalizeParams {
  /** Counts per cell after scaling (Seurat `scale.factor`). Used by method 'total'. @default 10000 */
  targetSum: number;
  /** Size factors: library size ('total', Seurat LogNormalize) or scran pooled deconvolution ('scran'). @default 'total' */
  method: 'total' | 'scran';
}

/** Integer counts below this are tabulated per cell in {@link logNormalizeRows}. */
const SMALL_COUNTS = 64;

/** Library size (total counts) per cell, Float64 accumulation. */
export function librarySizes(x: CsrMatrix): Float64Array {
  const out = new Float64Array(x.nRows);
  for (let i = 0; i < x.nRows; i++) out[i] = sumRange(x.data, x.indptr[i], x.indptr[i + 1]);
  return out;
}

/**
 * Kernel: log1p(x / sizeFactors[i]) over the stored entries (zeros stay zero, the sparsity pattern
 * is shared with the input). A cell with size factor 0 (no counts) gets all zeros rather than NaN.
 * @param x - raw counts, cells x genes
 * @param sizeFactors - one per cell
 */
export function logNormalizeKernel(x: CsrMatrix, sizeFactors: Float64Array): CsrMatrix {
  const data = allocValues(x.data.length);
  logNormalizeRows(x.indptr, x.data, sizeFactors, data, 0, x.nRows);
  return { format: 'csr', nRows: x.nRows, nCols: x.nCols, indptr: x.indptr, indices: x.indices, data };
}

/**
 * {@link logNormalizeKernel} in worker threads: row blocks write disjoint parts of one shared output,
 * and each value is computed the same way, so the result is bit-identical for any `threads`.
 */
export async function logNormalizeParallel(x: CsrMatrix, sizeFactors: Float64Array, threads: number): Promise<CsrMatrix> {
  return normalizeBlocks(x, sizeFactors, 0, threads);
}

/**
 * Seurat's LogNormalize in worker threads, the size factors total_i / targetSum found by each row's
 * task just before it normalizes the row (no separate pass over the counts); equal to
 * `logNormalizeParallel(x, totalSizeFactors(x, targetSum), threads)` bit for bit.
 */
export async function logNormalizeByTotalParallel(x: CsrMatrix, targetSum: number, threads: number): Promise<{ x: CsrMatrix; sizeFactors: Float64Array }> {
  const sizeFactors = sharedWhen(new Float64Array(x.nRows), threads > 1);
  return { x: await normalizeBlocks(x, sizeFactors, targetSum, threads), sizeFactors };
}

/** Runs {@link logNormalizeRows} over the fixed row blocks into a new shared values array. */
async function normalizeBlocks(x: CsrMatrix, sizeFactors: Float64Array, targetSum: number, threads: number): Promise<CsrMatrix> {
  const data = allocValues(x.data.length);
  const blocks = rowBlocks(x.nRows, x.data.length, FINE_ROW_BLOCK_ENTRIES);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) tasks.push([x.indptr, x.data, sizeFactors, data, blocks[b], blocks[b + 1], targetSum]);
  await parallelMap(import.meta.url, 'logNormalizeRows', tasks, threadsFor(threads, x.data.length));
  return { format: 'csr', nRows: x.nRows, nCols: x.nCols, indptr: x.indptr, indices: x.indices, data };
}

/**
 * Worker kernel: writes log1p(counts / sf) of rows [r0, r1) into `out` (same layout as `counts`).
 * Most stored counts are small integers (at 10k counts per cell, 98% are below 10), so each cell
 * first tabulates log1p(c / sf) for c < SMALL_COUNTS, the same expression as for any other count,
 * and reads it from the table (Math.log1p was most of this step's time); four entries per turn of
 * the loop when all four are in the table.
 * With `targetSum` > 0 each size factor is the row's total / targetSum, summed here in stored order
 * (as {@link librarySizes}) and written into `sizeFactors`; otherwise it is read from there.
 */
export function logNormalizeRows(indptr: Indptr, counts: Float32Array, sizeFactors: Float64Array, out: Float32Array, r0: number, r1: number, targetSum = 0): void {
  const table = new Float64Array(SMALL_COUNTS);
  for (let i = r0; i < r1; i++) {
    const start = indptr[i], end = indptr[i + 1];
    if (targetSum > 0) sizeFactors[i] = sumRange(counts, start, end) / targetSum;
    const sf = sizeFactors[i];
    const inv = sf > 0 ? 1 / sf : 0;
    // Math.log1p keeps precision for small x/sf (low counts in deep cells).
    for (let c = 0; c < SMALL_COUNTS; c++) table[c] = Math.log1p(c * inv);
    let k = start;
    for (; k + 3 < end; k += 4) {
      const v0 = counts[k], v1 = counts[k + 1], v2 = counts[k + 2], v3 = counts[k + 3];
      const c0 = v0 | 0, c1 = v1 | 0, c2 = v2 | 0, c3 = v3 | 0;
      // (c0 | ... | c3) >>> 0 is below SMALL_COUNTS only when every c is in [0, SMALL_COUNTS).
      if (c0 === v0 && c1 === v1 && c2 === v2 && c3 === v3 && (c0 | c1 | c2 | c3) >>> 0 < SMALL_COUNTS) {
        out[k] = table[c0];
        out[k + 1] = table[c1];
        out[k + 2] = table[c2];
        out[k + 3] = table[c3];
      } else {
        out[k] = logOrTable(v0, inv, table);
        out[k + 1] = logOrTable(v1, inv, table);
        out[k + 2] = logOrTable(v2, inv, table);
        out[k + 3] = logOrTable(v3, inv, table);
      }
    }
    for (; k < end; k++) out[k] = logOrTable(counts[k], inv, table);
  }
}

/** log1p(v * inv), from `table` when v is an integer it holds. */
function logOrTable(v: number, inv: number, table: Float64Array): number {
  const c = v | 0;
  return c === v && c >>> 0 < SMALL_COUNTS ? table[c] : Math.log1p(v * inv);
}

/** Sum of a[start..end) in stored order (four per turn of the loop, the adds still in order). */
function sumRange(a: Float32Array, start: number, end: number): number {
  let total = 0;
  let k = start;
  for (; k + 3 < end; k += 4) {
    total += a[k];
    total += a[k + 1];
    total += a[k + 2];
    total += a[k + 3];
  }
  for (; k < end; k++) total += a[k];
  return total;
}

/** Size factors total_i / targetSum (Seurat LogNormalize). */
export function totalSizeFactors(x: CsrMatrix, targetSum: number): Float64Array {
  const lib = librarySizes(x);
  for (let i = 0; i < lib.length; i++) lib[i] /= targetSum;
  return lib;
}

/** log1p(x / s_i) with scran's pooled size factors. */
async function scranNormalized(counts: CsrMatrix, threads: number): Promise<{ x: CsrMatrix; sizeFactors: Float64Array }> {
  const sizeFactors = scranSizeFactorsKernel(counts, {}).sizeFactors;
  return { x: await logNormalizeParallel(counts, sizeFactors, threads), sizeFactors };
}

/**
 * Step `log_normalize`: X becomes log-normalized, `layers.counts` keeps the raw counts (taken from
 * `layers.counts` when already present, else from X), obs `size_factor` holds s_i.
 * @example await logNormalize(adata, { targetSum: 1e4 });
 */
export const logNormalize = defineStep<LogNormalizeParams>({
  name: 'log_normalize',
  defaults: { targetSum: 1e4, method: 'total' },
  validate: (p) => {
    if (!(p.targetSum > 0 && Number.isFinite(p.targetSum))) throw new UsageError(`targetSum must be a finite number > 0, got ${p.targetSum}`);
    if (p.method !== 'total' && p.method !== 'scran') throw new UsageError(`method must be 'total' or 'scran', got ${JSON.stringify(p.method)}`);
  },
  run: async (adata, p, ctx) => {
    const counts = adata.layers.counts ?? adata.X;
    const { x, sizeFactors: sf } =
      p.method === 'total'
        ? await logNormalizeByTotalParallel(counts, p.targetSum, ctx.threads)
        : await scranNormalized(counts, ctx.threads);
    let empty = 0;
    for (let i = 0; i < sf.length; i++) if (!(sf[i] > 0)) empty++;
    if (empty === sf.length) throw new AnalysisError('log_normalize: every cell has size factor 0 (no counts)');
    if (empty > 0) ctx.log.warn({ cells: empty }, 'cells with size factor <= 0 are left all-zero');
    return adata.with({ X: x, layers: { ...adata.layers, counts }, obs: adata.obs.withNumeric('size_factor', sf) });
  },
});
