/**
 * A^T * Q for a dense row-major Float32 A (n x p) and a Float64 Q (n x l): each fixed row block
 * gives a p x l partial sum, and partials are added in block order, so the result is bit-identical
 * for any number of threads.
 */
import type { DenseMatrix } from '../core/dense.js';
import { parallelMap, splitRange, toShared } from '../core/parallel.js';
import { rowTaskCount, sharedData } from './denseMul.js';

/**
 * Worker kernel: A[rowStart:rowEnd]^T * Q[rowStart:rowEnd], p x l row-major, Float64. Four rows
 * at a time, so each output row of the p x l partial is loaded and stored once per four rows.
 */
export function denseTransMulBlock(a: Float32Array, p: number, rowStart: number, rowEnd: number, q: Float64Array, l: number): Float64Array {
  const out = new Float64Array(p * l);
  let i = rowStart;
  for (; i + 4 <= rowEnd; i += 4) {
    const a0 = i * p, a1 = a0 + p, a2 = a1 + p, a3 = a2 + p;
    const q0 = i * l, q1 = q0 + l, q2 = q1 + l, q3 = q2 + l;
    for (let j = 0; j < p; j++) {
      const v0 = a[a0 + j], v1 = a[a1 + j], v2 = a[a2 + j], v3 = a[a3 + j];
      const oj = j * l;
      for (let c = 0; c < l; c++) out[oj + c] += v0 * q[q0 + c] + v1 * q[q1 + c] + v2 * q[q2 + c] + v3 * q[q3 + c];
    }
  }
  for (; i < rowEnd; i++) {
    const ai = i * p;
    const qi = i * l;
    for (let j = 0; j < p; j++) {
      const v = a[ai + j];
      if (v === 0) continue;
      const oj = j * l;
      for (let c = 0; c < l; c++) out[oj + c] += v * q[qi + c];
    }
  }
  return out;
}

/**
 * A^T * Q (p x l, row-major Float64) with `threads` workers.
 * @param a - dense n x p
 * @param q - n x l row-major
 * @param l - columns of Q
 * @param threads - worker threads (1 = main thread)
 */
export async function denseTransMul(a: DenseMatrix, q: Float64Array, l: number, threads: number): Promise<Float64Array> {
  const n = a.nRows, p = a.nCols;
  const data = sharedData(a, threads);
  const qq = threads > 1 ? toShared(q) : q;
  const ranges = splitRange(n, rowTaskCount(n));
  const tasks: unknown[][] = [];
  for (let t = 0; t < ranges.length / 2; t++) tasks.push([data, p, ranges[2 * t], ranges[2 * t + 1], qq, l]);
  const parts = await parallelMap<Float64Array>(import.meta.url, 'denseTransMulBlock', tasks, threads);
  const out = new Float64Array(p * l);
  // Ordered reduction: block 0 + block 1 + ... regardless of which worker ran which block.
  for (const part of parts) for (let t = 0; t < out.length; t++) out[t] += part[t];
  return out;
}
