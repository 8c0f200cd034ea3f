/**
 * A^T * Q for a dense row-major Float32 A (n x p) and a Float64 Q (n x l).
 *
 * Work is split over A's columns (genes), not its rows: a task owns output rows [j0, j1) and sums
 * over all n cells, so there are no partial sums to reduce and each output element is computed by
 * exactly one task in one fixed order (row blocks of {@link TRANS_ROW_BLOCK} in order, rows in
 * order within a block) - bit-identical for any number of threads.
 *
 * Kernel: Q is packed once per product into row blocks of column panels of 4. Per block, A's 4-gene
 * slice is copied into a contiguous Float64 strip; a 4-gene x 4-column output tile is then accumulated in
 * 16 locals over the block's rows (the micro-kernel of denseMul with the roles of the operands
 * swapped) and added to the output once per block.
 */
import type { DenseMatrix } from '../core/dense.js';
import { allocFloat64, parallelMap } from '../core/parallel.js';
import { PANEL_WIDTH, putEdgeTile, sharedData } from './denseMul.js';
import { align16, copyUnpaddedRows, simdKernels, type SimdKernels } from './simd/simdKernels.js';

/** Rows of A and Q per packed block: 256 x 60 doubles of Q (120 KB) stay in L2 while reused. */
export const TRANS_ROW_BLOCK = 256;

/** Output rows (genes) per task; 2,000 HVGs give 8 tasks, a multiple of 4 so tiles are full. */
export const GENES_PER_TASK = 256;

/**
 * Worker kernel: rows [geneStart, geneEnd) of A^T Q written into `out` (p x l row-major).
 * @param a - A's data, n x p row-major Float32
 * @param n - rows of A
 * @param p - columns of A
 * @param geneStart - first column of A (inclusive)
 * @param geneEnd - last column of A (exclusive)
 * @param qBlocks - Q packed by {@link packRowBlockPanels}
 * @param l - columns of Q
 * @param out - p x l row-major output (shared when run in workers)
 * @returns the number of output rows written
 */
export function denseTransMulBlock(a: Float32Array, n: number, p: number, geneStart: number, geneEnd: number, qBlocks: Float64Array, l: number, out: Float64Array): number {
  const simd = simdKernels();
  if (simd) denseTransMulGenesSimd(simd, a, n, p, geneStart, geneEnd, qBlocks, l, out);
  else denseTransMulGenesScalar(a, n, p, geneStart, geneEnd, qBlocks, l, out);
  return geneEnd - geneStart;
}

/** Doubles per packed row block of Q: ceil(l / 4) panels of R rows x 4 columns. */
function blockLength(l: number): number {
  return Math.ceil(l / PANEL_WIDTH) * TRANS_ROW_BLOCK * PANEL_WIDTH;
}

/**
 * Q (n x l row-major) packed once per product for every task: row block b (rows [b R, b R + R)) at
 * `b * blockLength(l)`, within it column panels of 4 with a panel stride of R rows:
 * `[b][panel][i][c % 4] = Q[b R + i][c]`, zero past row n and column l.
 * @param shared - allocate in shared memory (for worker threads)
 */
export function packRowBlockPanels(q: Float64Array, n: number, l: number, shared: boolean): Float64Array {
  const R = TRANS_ROW_BLOCK;
  const len = Math.ceil(n / R) * blockLength(l);
  const out = allocFloat64(len, shared);
  // Panel by panel within each row block: sequential writes, no division per element (this runs
  // on the main thread before every product).
  for (let i0 = 0, base = 0; i0 < n; i0 += R, base += blockLength(l)) {
    const rows = Math.min(R, n - i0);
    for (let c0 = 0; c0 < l; c0 += PANEL_WIDTH) {
      const w = Math.min(PANEL_WIDTH, l - c0);
      let o = base + c0 * R;
      for (let i = i0; i < i0 + rows; i++, o += PANEL_WIDTH) {
        const qi = i * l + c0;
        for (let c = 0; c < w; c++) out[o + c] = q[qi + c];
      }
    }
  }
  return out;
}

/**
 * {@link denseTransMulBlock} on the SIMD kernel. Per block of R rows, A's slice for the task's genes
 * (R x w Float32, w = genes rounded up to 4, zero past the last gene) and Q's panels are laid out in
 * the module's memory, and the kernel adds the block's 4 x 4 tile sums into a w x lp Float64
 * accumulator, which is copied out at the end: the same sums in the same order as the scalar kernel.
 */
export function denseTransMulGenesSimd(simd: SimdKernels, a: Float32Array, n: number, p: number, geneStart: number, geneEnd: number, qBlocks: Float64Array, l: number, out: Float64Array): void {
  const nPanels = Math.ceil(l / PANEL_WIDTH);
  const lp = nPanels * PANEL_WIDTH;
  const R = TRANS_ROW_BLOCK;
  const genes = geneEnd - geneStart;
  const w = (genes + 3) & ~3;
  const qOff = 0;
  const aOff = qOff + align16(nPanels * R * PANEL_WIDTH * 8);
  const accOff = aOff + align16(R * w * 4);
  const buf = simd.reserve(accOff + w * lp * 8);
  const blockLen = blockLength(l);
  const qp = new Float64Array(buf, qOff, blockLen);
  const slice = new Float32Array(buf, aOff, R * w).fill(0);
  const acc = new Float64Array(buf, accOff, w * lp).fill(0);
  for (let rb = 0; rb < n; rb += R) {
    const nr = Math.min(n, rb + R) - rb;
    const b = rb / R;
    qp.set(qBlocks.subarray(b * blockLen, (b + 1) * blockLen));
    for (let i = 0; i < nr; i++) {
      const src = (rb + i) * p + geneStart;
      slice.set(a.subarray(src, src + genes), i * w);
    }
    simd.transMulRows(aOff, w, nr, qOff, R, nPanels, accOff);
  }
  copyUnpaddedRows(acc, lp, out, geneStart, genes, l);
}

/** {@link denseTransMulBlock} in scalar JavaScript: the micro-kernel of the module comment. */
export function denseTransMulGenesScalar(a: Float32Array, n: number, p: number, geneStart: number, geneEnd: number, qBlocks: Float64Array, l: number, out: Float64Array): void {
  const nPanels = Math.ceil(l / PANEL_WIDTH);
  const R = TRANS_ROW_BLOCK;
  const blockLen = blockLength(l);
  const strip = new Float64Array(R * 4);
  out.fill(0, geneStart * l, geneEnd * l);
  for (let rb = 0; rb < n; rb += R) {
    const nr = Math.min(n, rb + R) - rb;
    const qp = qBlocks.subarray((rb / R) * blockLen, (rb / R + 1) * blockLen);
    for (let j = geneStart; j < geneEnd; j += 4) {
      const genes = Math.min(4, geneEnd - j);
      // A[rb:rb+nr, j:j+4] as a contiguous Float64 strip (zero past geneEnd).
      for (let i = 0, ao = rb * p + j; i < nr; i++, ao += p) {
        const si = 4 * i;
        strip[si] = a[ao];
        strip[si + 1] = genes > 1 ? a[ao + 1] : 0;
        strip[si + 2] = genes > 2 ? a[ao + 2] : 0;
        strip[si + 3] = genes > 3 ? a[ao + 3] : 0;
      }
      for (let panel = 0; panel < nPanels; panel++) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        let qo = panel * R * PANEL_WIDTH;
        const qEnd = qo + nr * PANEL_WIDTH;
        for (let so = 0; qo < qEnd; qo += 4, so += 4) {
          const b0 = qp[qo], b1 = qp[qo + 1], b2 = qp[qo + 2], b3 = qp[qo + 3];
          const x0 = strip[so], x1 = strip[so + 1], x2 = strip[so + 2], x3 = strip[so + 3];
          s00 += x0 * b0; s01 += x0 * b1; s02 += x0 * b2; s03 += x0 * b3;
          s10 += x1 * b0; s11 += x1 * b1; s12 += x1 * b2; s13 += x1 * b3;
          s20 += x2 * b0; s21 += x2 * b1; s22 += x2 * b2; s23 += x2 * b3;
          s30 += x3 * b0; s31 += x3 * b1; s32 += x3 * b2; s33 += x3 * b3;
        }
        const c0 = panel * PANEL_WIDTH;
        const o = j * l + c0;
        if (genes === 4 && c0 + 4 <= l) {
          out[o] += s00; out[o + 1] += s01; out[o + 2] += s02; out[o + 3] += s03;
          out[o + l] += s10; out[o + l + 1] += s11; out[o + l + 2] += s12; out[o + l + 3] += s13;
          out[o + 2 * l] += s20; out[o + 2 * l + 1] += s21; out[o + 2 * l + 2] += s22; out[o + 2 * l + 3] += s23;
          out[o + 3 * l] += s30; out[o + 3 * l + 1] += s31; out[o + 3 * l + 2] += s32; out[o + 3 * l + 3] += s33;
        } else {
          putEdgeTile(out, o, l, genes, Math.min(4, l - c0), true, s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33);
        }
      }
    }
  }
}


/** Gene ranges of the tasks: blocks of {@link GENES_PER_TASK} (a multiple of 4), fixed by p alone. */
export function geneTaskRanges(p: number): Int32Array {
  const nTasks = Math.max(1, Math.ceil(p / GENES_PER_TASK));
  const out = new Int32Array(2 * nTasks);
  for (let t = 0; t < nTasks; t++) {
    out[2 * t] = t * GENES_PER_TASK;
    out[2 * t + 1] = Math.min(p, (t + 1) * GENES_PER_TASK);
  }
  return out;
}

/**
 * A^T * Q (p x l, row-major Float64) with `threads` workers over fixed gene blocks.
 * @param a - dense n x p
 * @param q - n x l row-major
 * @param l - columns of Q
 * @param threads - worker threads (1 = main thread)
 */
export async function denseTransMul(a: DenseMatrix, q: Float64Array, l: number, threads: number): Promise<Float64Array> {
  const n = a.nRows, p = a.nCols;
  const ranges = geneTaskRanges(p);
  const parallel = threads > 1 && ranges.length > 2;
  const data = sharedData(a, parallel ? threads : 1);
  const qq = packRowBlockPanels(q, n, l, parallel);
  const out = allocFloat64(p * l, parallel);
  const tasks: unknown[][] = [];
  for (let t = 0; t < ranges.length / 2; t++) tasks.push([data, n, p, ranges[2 * t], ranges[2 * t + 1], qq, l, out]);
  await parallelMap<number>(import.meta.url, 'denseTransMulBlock', tasks, threads);
  return out;
}
