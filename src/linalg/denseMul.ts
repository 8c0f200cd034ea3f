/**
 * A * B for a dense row-major Float32 A (n x p, e.g. cells x HVGs) and a Float64 B (p x l, small l),
 * over a fixed partition of A's rows so worker threads can share the work. Accumulation is Float64.
 *
 * Kernel layout (the classic GEMM micro-kernel, Goto & van de Geijn 2008, ACM TOMS 34:12): B is
 * packed once per product into column panels of 4 (p x 4 contiguous, zero-padded), and a 4-row x
 * 4-column tile of the output is accumulated in 16 local variables over the whole p loop, so each
 * loaded A value feeds 4 multiply-adds, each loaded B value 4, and every output is stored once.
 * V8 does not vectorise, so loads and stores per multiply-add are what limit speed: this does 0.5
 * load per multiply-add against 2.25 loads/stores for a row-times-B-row update.
 *
 * Every output element is the sum over j = 0..p-1 in order, whatever the partition or thread count.
 */
import type { DenseMatrix } from '../core/dense.js';
import { allocFloat64, parallelMap, sharedWhen, splitRange } from '../core/parallel.js';
import { align16, copyUnpaddedRows, simdKernels, type SimdKernels } from './simd/simdKernels.js';

/** Rows per task; the partition depends only on n, so results never depend on the thread count. */
export const ROWS_PER_TASK = 1024;

/** Number of row-block tasks for n rows (fixed for a given n). */
export function rowTaskCount(n: number): number {
  return Math.max(1, Math.ceil(n / ROWS_PER_TASK));
}

/** Columns per packed panel of B (the tile width of the micro-kernel). */
export const PANEL_WIDTH = 4;

/**
 * B (p x l row-major) repacked as ceil(l / 4) column panels, each p x 4 row-major and zero-padded
 * past column l, so the micro-kernel reads 4 consecutive doubles per step of p.
 * @param b - p x l row-major
 * @param p - rows of B
 * @param l - columns of B
 * @param shared - allocate in shared memory (for worker threads)
 */
export function packColumnPanels(b: Float64Array, p: number, l: number, shared: boolean): Float64Array {
  const nPanels = Math.ceil(l / PANEL_WIDTH);
  const len = nPanels * p * PANEL_WIDTH;
  const out = allocFloat64(len, shared);
  for (let j = 0; j < p; j++) {
    const bj = j * l;
    for (let c = 0; c < l; c++) {
      const panel = (c / PANEL_WIDTH) | 0;
      out[(panel * p + j) * PANEL_WIDTH + (c - panel * PANEL_WIDTH)] = b[bj + c];
    }
  }
  return out;
}

/**
 * Worker kernel: rows [rowStart, rowEnd) of A * B written into `out` (n x l row-major, rows outside
 * the range untouched). A last group of fewer than 4 rows repeats the final row in the unused
 * tile rows (valid memory, results discarded), and a last panel narrower than 4 columns reads
 * B's zero padding; only real rows and columns are stored.
 * @param a - A's data, n x p row-major Float32
 * @param p - columns of A
 * @param rowStart - first row (inclusive)
 * @param rowEnd - last row (exclusive)
 * @param bPanels - B packed by {@link packColumnPanels}
 * @param l - columns of B
 * @param out - n x l row-major output (shared when run in workers)
 * @returns the number of rows written
 */
export function denseMulBlock(a: Float32Array, p: number, rowStart: number, rowEnd: number, bPanels: Float64Array, l: number, out: Float64Array): number {
  const simd = simdKernels();
  if (simd) denseMulRowsSimd(simd, a, p, rowStart, rowEnd, bPanels, l, out);
  else denseMulRowsScalar(a, p, rowStart, rowEnd, bPanels, l, out);
  return rowEnd - rowStart;
}

/** Rows of A copied into the SIMD module's memory per call (64 x 2,000 Float32 = 512 KB, in L2). */
const SIMD_ROW_CHUNK = 64;

/**
 * {@link denseMulBlock} on the SIMD kernel: B's panels are copied into the module's memory once,
 * then A in chunks of {@link SIMD_ROW_CHUNK} rows (zero rows pad the last chunk to a multiple of 4).
 */
export function denseMulRowsSimd(simd: SimdKernels, a: Float32Array, p: number, rowStart: number, rowEnd: number, bPanels: Float64Array, l: number, out: Float64Array): void {
  const nPanels = Math.ceil(l / PANEL_WIDTH);
  const lp = nPanels * PANEL_WIDTH;
  const aOff = align16(bPanels.length * 8);
  const outOff = aOff + align16(SIMD_ROW_CHUNK * p * 4);
  const buf = simd.reserve(outOff + SIMD_ROW_CHUNK * lp * 8);
  new Float64Array(buf, 0, bPanels.length).set(bPanels);
  const aChunk = new Float32Array(buf, aOff, SIMD_ROW_CHUNK * p);
  const outChunk = new Float64Array(buf, outOff, SIMD_ROW_CHUNK * lp);
  for (let r0 = rowStart; r0 < rowEnd; r0 += SIMD_ROW_CHUNK) {
    const rows = Math.min(SIMD_ROW_CHUNK, rowEnd - r0);
    const rows4 = (rows + 3) & ~3;
    aChunk.set(a.subarray(r0 * p, (r0 + rows) * p));
    if (rows4 > rows) aChunk.fill(0, rows * p, rows4 * p);
    simd.mulRows(aOff, p, rows4, 0, nPanels, outOff);
    copyUnpaddedRows(outChunk, lp, out, r0, rows, l);
  }
}

/** {@link denseMulBlock} in scalar JavaScript: the 4 x 4 micro-kernel of the module comment. */
export function denseMulRowsScalar(a: Float32Array, p: number, rowStart: number, rowEnd: number, bPanels: Float64Array, l: number, out: Float64Array): void {
  const nPanels = Math.ceil(l / PANEL_WIDTH);
  const last = rowEnd - 1;
  for (let i = rowStart; i < rowEnd; i += 4) {
    const a0 = i * p;
    const a1 = Math.min(i + 1, last) * p, a2 = Math.min(i + 2, last) * p, a3 = Math.min(i + 3, last) * p;
    const rows = Math.min(4, rowEnd - i);
    for (let panel = 0; panel < nPanels; panel++) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      let bo = panel * p * PANEL_WIDTH;
      for (let j = 0; j < p; j++, bo += 4) {
        const b0 = bPanels[bo], b1 = bPanels[bo + 1], b2 = bPanels[bo + 2], b3 = bPanels[bo + 3];
        const x0 = a[a0 + j], x1 = a[a1 + j], x2 = a[a2 + j], x3 = a[a3 + j];
        s00 += x0 * b0; s01 += x0 * b1; s02 += x0 * b2; s03 += x0 * b3;
        s10 += x1 * b0; s11 += x1 * b1; s12 += x1 * b2; s13 += x1 * b3;
        s20 += x2 * b0; s21 += x2 * b1; s22 += x2 * b2; s23 += x2 * b3;
        s30 += x3 * b0; s31 += x3 * b1; s32 += x3 * b2; s33 += x3 * b3;
      }
      const c0 = panel * PANEL_WIDTH;
      const o = i * l + c0;
      if (rows === 4 && c0 + 4 <= l) {
        out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03;
        out[o + l] = s10; out[o + l + 1] = s11; out[o + l + 2] = s12; out[o + l + 3] = s13;
        out[o + 2 * l] = s20; out[o + 2 * l + 1] = s21; out[o + 2 * l + 2] = s22; out[o + 2 * l + 3] = s23;
        out[o + 3 * l] = s30; out[o + 3 * l + 1] = s31; out[o + 3 * l + 2] = s32; out[o + 3 * l + 3] = s33;
      } else {
        // Edge tile: store only the real rows and columns (runs at most once per panel and block).
        const cols = Math.min(4, l - c0);
        putEdgeTile(out, o, l, rows, cols, false, s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33);
      }
    }
  }
}

/**
 * Writes (or, with `add`, adds) the top-left rows x cols of a 4 x 4 tile to out[o] (row stride l):
 * the edge tiles of both dense products.
 */
export function putEdgeTile(
  out: Float64Array, o: number, l: number, rows: number, cols: number, add: boolean,
  s00: number, s01: number, s02: number, s03: number, s10: number, s11: number, s12: number, s13: number,
  s20: number, s21: number, s22: number, s23: number, s30: number, s31: number, s32: number, s33: number,
): void {
  const tile = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (add) out[o + r * l + c] += tile[r * 4 + c];
      else out[o + r * l + c] = tile[r * 4 + c];
    }
  }
}

/** Backing data of A, shared when workers will read it (copying once if it is not shared yet). */
export function sharedData(a: DenseMatrix, threads: number): Float32Array {
  return sharedWhen(a.data as Float32Array, threads > 1);
}

/**
 * A * B (n x l, row-major Float64), row blocks in parallel with `threads` workers. Workers write
 * their rows straight into a shared output, so nothing is copied back.
 * @param a - dense n x p (Float32 data; shared memory avoids a copy per worker)
 * @param b - p x l row-major
 * @param l - columns of B
 * @param threads - worker threads (1 = main thread)
 */
export async function denseMul(a: DenseMatrix, b: Float64Array, l: number, threads: number): Promise<Float64Array> {
  const n = a.nRows, p = a.nCols;
  const parallel = threads > 1 && n > ROWS_PER_TASK;
  const data = sharedData(a, parallel ? threads : 1);
  const panels = packColumnPanels(b, p, l, parallel);
  const out = allocFloat64(n * l, parallel);
  const ranges = splitRange(n, rowTaskCount(n));
  const tasks: unknown[][] = [];
  for (let t = 0; t < ranges.length / 2; t++) tasks.push([data, p, ranges[2 * t], ranges[2 * t + 1], panels, l, out]);
  await parallelMap<number>(import.meta.url, 'denseMulBlock', tasks, threads);
  return out;
}
