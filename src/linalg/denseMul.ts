/**
 * A * B for a dense row-major Float32 A (n x p, e.g. cells x HVGs) and a Float64 B (p x l, small l),
 * over a fixed partition of A's rows so worker threads can share the work. Accumulation is Float64.
 */
import type { DenseMatrix } from '../core/dense.js';
import { parallelMap, splitRange, toShared } from '../core/parallel.js';

/** Rows per task; the partition depends only on n, so results never depend on the thread count. */
export const ROWS_PER_TASK = 1024;

/** Number of row-block tasks for n rows (fixed for a given n). */
export function rowTaskCount(n: number): number {
  return Math.max(1, Math.ceil(n / ROWS_PER_TASK));
}

/**
 * Worker kernel: rows [rowStart, rowEnd) of A * B, row-major ((rowEnd - rowStart) x l).
 * Four rows of A are processed together so every load of a row of B feeds four multiply-adds
 * (register blocking); the inner loop runs over contiguous rows of B and of the output.
 */
export function denseMulBlock(a: Float32Array, p: number, rowStart: number, rowEnd: number, b: Float64Array, l: number): Float64Array {
  const out = new Float64Array((rowEnd - rowStart) * l);
  let i = rowStart;
  for (; i + 4 <= rowEnd; i += 4) {
    const o0 = (i - rowStart) * l, o1 = o0 + l, o2 = o1 + l, o3 = o2 + l;
    const a0 = i * p, a1 = a0 + p, a2 = a1 + p, a3 = a2 + p;
    for (let j = 0; j < p; j++) {
      const v0 = a[a0 + j], v1 = a[a1 + j], v2 = a[a2 + j], v3 = a[a3 + j];
      const bj = j * l;
      for (let c = 0; c < l; c++) {
        const x = b[bj + c];
        out[o0 + c] += v0 * x;
        out[o1 + c] += v1 * x;
        out[o2 + c] += v2 * x;
        out[o3 + c] += v3 * x;
      }
    }
  }
  for (; i < rowEnd; i++) {
    const o = (i - rowStart) * l;
    const ai = i * p;
    for (let j = 0; j < p; j++) {
      const v = a[ai + j];
      if (v === 0) continue;
      const bj = j * l;
      for (let c = 0; c < l; c++) out[o + c] += v * b[bj + c];
    }
  }
  return out;
}

/** Backing data of A, shared when workers will read it (copying once if it is not shared yet). */
export function sharedData(a: DenseMatrix, threads: number): Float32Array {
  const d = a.data as Float32Array;
  if (threads <= 1 || d.buffer instanceof SharedArrayBuffer) return d;
  return toShared(d);
}

/**
 * A * B (n x l, row-major Float64), row blocks in parallel with `threads` workers.
 * @param a - dense n x p (Float32 data; shared memory avoids a copy per worker)
 * @param b - p x l row-major
 * @param l - columns of B
 * @param threads - worker threads (1 = main thread)
 */
export async function denseMul(a: DenseMatrix, b: Float64Array, l: number, threads: number): Promise<Float64Array> {
  const n = a.nRows, p = a.nCols;
  const data = sharedData(a, threads);
  const bb = threads > 1 ? toShared(b) : b;
  const ranges = splitRange(n, rowTaskCount(n));
  const tasks: unknown[][] = [];
  for (let t = 0; t < ranges.length / 2; t++) tasks.push([data, p, ranges[2 * t], ranges[2 * t + 1], bb, l]);
  const parts = await parallelMap<Float64Array>(import.meta.url, 'denseMulBlock', tasks, threads);
  const out = new Float64Array(n * l);
  for (let t = 0; t < parts.length; t++) out.set(parts[t], ranges[2 * t] * l);
  return out;
}
