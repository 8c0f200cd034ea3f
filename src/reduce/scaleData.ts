/**
 * Scaling of the HVGs to zero mean and unit variance (Seurat `ScaleData`): z_ij = (x_ij - mean_j) / sd_j
 * with sd over cells using n - 1 (R `sd`), then values above `maxValue` are set to `maxValue`
 * (Seurat `scale.max = 10`; Seurat clips only the upper side, and so do we). A gene with sd 0
 * gets all zeros. Mean and sd accumulate in Float64 from the sparse log data.
 *
 * Memory: the output is dense Float32 nObs x nGenes, cell-major: 200k cells x 2,000 HVGs x 4 B
 * = 1.6 GB. It is allocated on a SharedArrayBuffer so PCA worker threads read it without a copy.
 *
 * Threads: the step runs its three passes (gene sums, squared deviations, scaled rows) over fixed
 * blocks of rows in workers, reading X when it is in shared memory; otherwise the first pass runs
 * on the main thread and also gathers a shared copy of the HVG entries for the other two. Partial
 * sums are added in block order, so the bits are the same for any thread count and equal to
 * {@link scaleDataKernel}'s.
 */
import type { CsrMatrix, Indptr } from '../core/sparse.js';
import type { DenseMatrix } from '../core/dense.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { parallelMap, toShared } from '../core/parallel.js';
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
 * Rows per block of the second and third passes. Sums of squared deviations are accumulated per
 * block and the block sums added in block order, whether the blocks run in the calling thread or
 * in workers, so the output bits never depend on the thread count.
 */
export const SCALE_ROW_BLOCK = 2048;

/** The entries of HVG columns of a block of rows: per row, slot (position in `genes`) and value. */
interface HvgRows {
  /** Offsets per row of the block into slots/vals (block rows + 1). */
  rowPtr: Float64Array;
  /** Slot (0..m-1) of each entry, increasing within a row when genes is increasing. */
  slots: Uint16Array | Int32Array;
  /** Stored value of each entry. */
  vals: Float32Array;
}

/** Gene slot per column (-1 = not scaled). */
function slotOfColumn(nCols: number, genes: Int32Array): Int32Array {
  const colOf = new Int32Array(nCols).fill(-1);
  for (let t = 0; t < genes.length; t++) colOf[genes[t]] = t;
  return colOf;
}

/**
 * The HVG entries of rows [i0, i1) of `x`, gathered into `scratch` (returned as views of it, or
 * copied into exact-size shared arrays when `shared`). With `sum`/`nnz`, also adds each value to
 * its gene's sum and count, in CSR order (the first pass).
 */
function gatherHvgRows(
  x: CsrMatrix, colOf: Int32Array, i0: number, i1: number,
  scratch: HvgRows, shared: boolean, sum: Float64Array | null, nnz: Float64Array | null,
): HvgRows {
  const { indptr, indices, data } = x;
  const rowPtr = shared ? new Float64Array(new SharedArrayBuffer((i1 - i0 + 1) * 8)) : scratch.rowPtr.subarray(0, i1 - i0 + 1);
  const { slots, vals } = scratch;
  let c = 0;
  rowPtr[0] = 0;
  for (let i = i0; i < i1; i++) {
    const end = indptr[i + 1];
    for (let k = indptr[i]; k < end; k++) {
      const t = colOf[indices[k]];
      if (t < 0) continue;
      const v = data[k];
      slots[c] = t;
      vals[c] = v;
      c++;
      if (sum) {
        sum[t] += v;
        nnz![t]++;
      }
    }
    rowPtr[i - i0 + 1] = c;
  }
  if (!shared) return { rowPtr, slots: slots.subarray(0, c), vals: vals.subarray(0, c) };
  const sSlots = slots instanceof Uint16Array ? new Uint16Array(new SharedArrayBuffer(c * 2)) : new Int32Array(new SharedArrayBuffer(c * 4));
  sSlots.set(slots.subarray(0, c));
  const sVals = new Float32Array(new SharedArrayBuffer(c * 4));
  sVals.set(vals.subarray(0, c));
  return { rowPtr, slots: sSlots, vals: sVals };
}

/**
 * Worker kernel: sum of squared deviations from `means` of the stored entries of one row block,
 * per gene slot (Float64, in entry order).
 * @param rowPtr - offsets per row of the block into slots/vals
 * @param slots - gene slot of each entry
 * @param vals - value of each entry
 * @param m - number of genes
 * @param means - gene means
 */
export function scaleSumSqBlock(rowPtr: Float64Array, slots: Uint16Array | Int32Array, vals: Float32Array, m: number, means: Float64Array): Float64Array {
  const ss = new Float64Array(m);
  const end = rowPtr[rowPtr.length - 1];
  for (let e = 0; e < end; e++) {
    const t = slots[e];
    const d = vals[e] - means[t];
    ss[t] += d * d;
  }
  return ss;
}

/**
 * Worker kernel: scaled, clipped rows of one block written into `out` (row-major, m columns):
 * every gene gets its zero value (-shift * inv), stored entries (value - shift) * inv, then the
 * upper clip, with the arithmetic in Float64 and one rounding to Float32.
 * @param rowPtr - offsets per row of the block into slots/vals
 * @param slots - gene slot of each entry
 * @param vals - value of each entry
 * @param m - number of genes
 * @param shift - value subtracted per gene (mean, or 0 without centering)
 * @param inv - factor per gene (1/sd, 0 for sd 0, or 1 without scaling)
 * @param max - upper clip (Infinity = none)
 * @param rowStart - first row of the block in `out`
 * @param out - nObs x m output (shared when run in workers)
 * @returns rows written
 */
export function scaleFillBlock(
  rowPtr: Float64Array, slots: Uint16Array | Int32Array, vals: Float32Array, m: number,
  shift: Float64Array, inv: Float64Array, max: number, rowStart: number, out: Float32Array,
): number {
  const nRows = rowPtr.length - 1;
  const row = new Float64Array(m);
  for (let r = 0; r < nRows; r++) {
    // Fill the zero value for every gene, then overwrite stored entries.
    for (let t = 0; t < m; t++) row[t] = -shift[t] * inv[t];
    const end = rowPtr[r + 1];
    for (let e = rowPtr[r]; e < end; e++) {
      const t = slots[e];
      row[t] = (vals[e] - shift[t]) * inv[t];
    }
    const base = (rowStart + r) * m;
    for (let t = 0; t < m; t++) out[base + t] = row[t] > max ? max : row[t];
  }
  return nRows;
}

/**
 * Worker kernel: as {@link scaleSumSqBlock}, reading rows [i0, i1) of a CSR in shared memory
 * directly (same entries in the same order, so the same sums).
 * @param indptr - CSR row offsets
 * @param indices - CSR column of each entry
 * @param data - CSR values
 * @param colOf - gene slot per column (-1 = not scaled)
 * @param i0 - first row (inclusive)
 * @param i1 - last row (exclusive)
 * @param m - number of genes
 * @param means - gene means
 */
export function scaleSumSqRows(
  indptr: Indptr, indices: Int32Array, data: Float32Array, colOf: Int32Array, i0: number, i1: number, m: number, means: Float64Array,
): Float64Array {
  const ss = new Float64Array(m);
  const end = indptr[i1];
  for (let k = indptr[i0]; k < end; k++) {
    const t = colOf[indices[k]];
    if (t < 0) continue;
    const d = data[k] - means[t];
    ss[t] += d * d;
  }
  return ss;
}

/**
 * Worker kernel: sum and count of the stored entries of rows [i0, i1) per gene slot (the first
 * pass, one row block; blocks are added in block order for any thread count).
 * @param colOf - gene slot per column (-1 = not scaled)
 * @returns [sums, counts], m each
 */
export function scaleSumRows(indptr: Indptr, indices: Int32Array, data: Float32Array, colOf: Int32Array, i0: number, i1: number, m: number): Float64Array[] {
  const sum = new Float64Array(m), nnz = new Float64Array(m);
  const end = indptr[i1];
  for (let k = indptr[i0]; k < end; k++) {
    const t = colOf[indices[k]];
    if (t >= 0) { sum[t] += data[k]; nnz[t]++; }
  }
  return [sum, nnz];
}

/** Adds a block's [sums, counts] into the totals. */
function addBlockSums(sum: Float64Array, nnz: Float64Array, part: readonly Float64Array[]): void {
  for (let t = 0; t < sum.length; t++) {
    sum[t] += part[0][t];
    nnz[t] += part[1][t];
  }
}

/**
 * Worker kernel: as {@link scaleFillBlock}, reading rows [i0, i1) of a CSR in shared memory directly.
 * @param indptr - CSR row offsets
 * @param indices - CSR column of each entry
 * @param data - CSR values
 * @param colOf - gene slot per column (-1 = not scaled)
 * @param i0 - first row (inclusive)
 * @param i1 - last row (exclusive)
 * @param m - number of genes
 * @param shift - value subtracted per gene
 * @param inv - factor per gene
 * @param max - upper clip (Infinity = none)
 * @param out - nObs x m output (shared)
 * @returns rows written
 */
export function scaleFillRows(
  indptr: Indptr, indices: Int32Array, data: Float32Array, colOf: Int32Array, i0: number, i1: number, m: number,
  shift: Float64Array, inv: Float64Array, max: number, out: Float32Array,
): number {
  const row = new Float64Array(m);
  for (let i = i0; i < i1; i++) {
    for (let t = 0; t < m; t++) row[t] = -shift[t] * inv[t];
    const end = indptr[i + 1];
    for (let k = indptr[i]; k < end; k++) {
      const t = colOf[indices[k]];
      if (t >= 0) row[t] = (data[k] - shift[t]) * inv[t];
    }
    const base = i * m;
    for (let t = 0; t < m; t++) out[base + t] = row[t] > max ? max : row[t];
  }
  return i1 - i0;
}

/** Row ranges of the blocks: [start0, end0, start1, end1, ...], fixed by n alone. */
function rowBlocks(n: number): Int32Array {
  const nb = Math.max(1, Math.ceil(n / SCALE_ROW_BLOCK));
  const out = new Int32Array(2 * nb);
  for (let b = 0; b < nb; b++) {
    out[2 * b] = b * SCALE_ROW_BLOCK;
    out[2 * b + 1] = Math.min(n, (b + 1) * SCALE_ROW_BLOCK);
  }
  return out;
}

/** Scratch for the HVG entries of the largest row block. */
function hvgScratch(x: CsrMatrix, blocks: Int32Array, m: number): HvgRows {
  let maxNnz = 0;
  for (let b = 0; b < blocks.length; b += 2) maxNnz = Math.max(maxNnz, x.indptr[blocks[b + 1]] - x.indptr[blocks[b]]);
  return {
    rowPtr: new Float64Array(SCALE_ROW_BLOCK + 1),
    slots: m <= 65536 ? new Uint16Array(maxNnz) : new Int32Array(maxNnz),
    vals: new Float32Array(maxNnz),
  };
}

/**
 * Kernel: dense scaled values of columns `genes` (in that order), in the calling thread.
 * Three passes over X, each by row blocks: gene sums, squared deviations, scaled rows.
 * {@link scaleDataKernelThreaded} gives the same bits with workers.
 * @param x - log-normalized data, cells x genes
 * @param genes - columns to scale
 */
export function scaleDataKernel(x: CsrMatrix, genes: Int32Array, p: ScaleDataParams): ScaledData {
  const n = x.nRows, m = genes.length;
  const colOf = slotOfColumn(x.nCols, genes);
  const { indptr, indices, data } = x;
  const blocks = rowBlocks(n);
  const sum = new Float64Array(m), nnz = new Float64Array(m);
  for (let b = 0; b < blocks.length; b += 2) addBlockSums(sum, nnz, scaleSumRows(indptr, indices, data, colOf, blocks[b], blocks[b + 1], m));
  const means = new Float64Array(m);
  for (let t = 0; t < m; t++) means[t] = sum[t] / n;
  const ss = new Float64Array(m);
  for (let b = 0; b < blocks.length; b += 2) {
    const part = scaleSumSqRows(indptr, indices, data, colOf, blocks[b], blocks[b + 1], m, means);
    for (let t = 0; t < m; t++) ss[t] += part[t];
  }
  const f = finishScaling(n, m, means, nnz, ss, p);
  const out = new Float32Array(new SharedArrayBuffer(n * m * 4));
  const max = p.maxValue ?? Infinity;
  for (let b = 0; b < blocks.length; b += 2) scaleFillRows(indptr, indices, data, colOf, blocks[b], blocks[b + 1], m, f.shift, f.inv, max, out);
  return { scaled: { nRows: n, nCols: m, data: out }, means, sds: f.sds };
}

/** Sds and the per-gene shift and factor from means, counts and squared deviations of stored entries. */
function finishScaling(n: number, m: number, means: Float64Array, nnz: Float64Array, ss: Float64Array, p: ScaleDataParams) {
  // Two-pass variance: stored entries plus (n - nnz) zeros at distance mean.
  const sds = new Float64Array(m);
  const inv = new Float64Array(m);
  const shift = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    ss[t] += (n - nnz[t]) * means[t] * means[t];
    sds[t] = n > 1 ? Math.sqrt(ss[t] / (n - 1)) : 0;
    inv[t] = p.scale ? (sds[t] > 0 ? 1 / sds[t] : 0) : 1;
    shift[t] = p.center ? means[t] : 0;
  }
  return { sds, inv, shift };
}

/**
 * {@link scaleDataKernel} in `threads` workers (same bits). When X lives in shared memory
 * (core/sparse allocates it there) the workers read its row blocks directly in all three passes.
 * Otherwise the first pass, on the main thread, also copies each row block's HVG entries (slot,
 * value) into shared memory for the workers, which holds them (6 bytes each with up to 65,536
 * genes) until the scaling ends.
 * @param x - log-normalized data, cells x genes
 * @param genes - columns to scale
 * @param threads - worker threads (1 = {@link scaleDataKernel})
 */
export async function scaleDataKernelThreaded(x: CsrMatrix, genes: Int32Array, p: ScaleDataParams, threads: number): Promise<ScaledData> {
  const n = x.nRows, m = genes.length;
  const blocks = rowBlocks(n);
  if (threads <= 1 || blocks.length < 2) return scaleDataKernel(x, genes, p);
  const colOf = slotOfColumn(x.nCols, genes);
  const sum = new Float64Array(m), nnz = new Float64Array(m);
  const max = p.maxValue ?? Infinity;
  const out = new Float32Array(new SharedArrayBuffer(n * m * 4));
  const isShared = (a: ArrayBufferView): boolean => a.buffer instanceof SharedArrayBuffer;
  if (isShared(x.indptr) && isShared(x.indices) && isShared(x.data)) {
    // X already in shared memory: workers read its rows directly (no copy of the HVG entries).
    const { indptr, indices, data } = x;
    const cols = toShared(colOf);
    const ranges: number[][] = [];
    for (let b = 0; b < blocks.length; b += 2) ranges.push([blocks[b], blocks[b + 1]]);
    const sums = await parallelMap<Float64Array[]>(import.meta.url, 'scaleSumRows', ranges.map(([i0, i1]) => [indptr, indices, data, cols, i0, i1, m]), threads);
    for (const part of sums) addBlockSums(sum, nnz, part);
    const means = new Float64Array(m);
    for (let t = 0; t < m; t++) means[t] = sum[t] / n;
    const parts = await parallelMap<Float64Array>(import.meta.url, 'scaleSumSqRows', ranges.map(([i0, i1]) => [indptr, indices, data, cols, i0, i1, m, means]), threads);
    const ss = new Float64Array(m);
    for (const part of parts) for (let t = 0; t < m; t++) ss[t] += part[t];
    const f = finishScaling(n, m, means, nnz, ss, p);
    await parallelMap<number>(import.meta.url, 'scaleFillRows', ranges.map(([i0, i1]) => [indptr, indices, data, cols, i0, i1, m, f.shift, f.inv, max, out]), threads);
    return { scaled: { nRows: n, nCols: m, data: out }, means, sds: f.sds };
  }
  const scratch = hvgScratch(x, blocks, m);
  // Sums per block, added in block order: the same additions as scaleDataKernel's first pass.
  const gathered: HvgRows[] = [];
  for (let b = 0; b < blocks.length; b += 2) {
    const part = [new Float64Array(m), new Float64Array(m)];
    gathered.push(gatherHvgRows(x, colOf, blocks[b], blocks[b + 1], scratch, true, part[0], part[1]));
    addBlockSums(sum, nnz, part);
  }
  const means = new Float64Array(new SharedArrayBuffer(m * 8));
  for (let t = 0; t < m; t++) means[t] = sum[t] / n;
  const parts = await parallelMap<Float64Array>(import.meta.url, 'scaleSumSqBlock', gathered.map((r) => [r.rowPtr, r.slots, r.vals, m, means]), threads);
  const ss = new Float64Array(m);
  for (const part of parts) for (let t = 0; t < m; t++) ss[t] += part[t];
  const f = finishScaling(n, m, means, nnz, ss, p);
  await parallelMap<number>(import.meta.url, 'scaleFillBlock', gathered.map((r, b) => [r.rowPtr, r.slots, r.vals, m, f.shift, f.inv, max, blocks[2 * b], out]), threads);
  return { scaled: { nRows: n, nCols: m, data: out }, means: Float64Array.from(means), sds: f.sds };
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
  run: async (adata, p, ctx) => {
    const genes = hvgIndices(adata.var.get('highly_variable'), 'scale_data');
    const r = await scaleDataKernelThreaded(adata.X, genes, p, ctx.threads);
    ctx.log.info({ nObs: adata.nObs, nGenes: genes.length, mb: Math.round((adata.nObs * genes.length * 4) / 2 ** 20) }, 'scaled matrix');
    return adata.with({
      obsm: { ...adata.obsm, X_scaled: r.scaled },
      uns: { ...adata.uns, scale: { method: 'z', genes, means: r.means, sds: r.sds, max_value: p.maxValue } },
    });
  },
});
