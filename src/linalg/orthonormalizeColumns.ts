/**
 * Orthonormal basis of the column space of a tall matrix (n x l, l small).
 *
 * Main path: Cholesky QR applied twice, CholQR2 (Fukaya, Nakatsukasa, Yanagisawa & Yamamoto 2014;
 * Yamamoto et al. 2015, ETNA 44:306): with G = Y^T Y = R^T R (Cholesky), Q = Y R^-1; a second
 * pass on Q removes the loss of orthogonality of the first, which grows like cond(Y)^2 * eps.
 * The Gram matrix is a blocked, register-tiled product (BLAS-3 like) and the solve touches each
 * row once, so it costs ~2 n l^2 flops per pass at far fewer loads than column-by-column
 * Gram-Schmidt. Columns are first scaled to unit norm (Jacobi scaling of G), so the test below
 * sees the conditioning of the directions, not of the column lengths.
 *
 * Fallback: when a Cholesky pivot of the scaled Gram matrix falls below {@link CHOLQR_MIN_PIVOT}
 * (cond(Y) above ~1e6, where one CholQR pass would leave Q too far from orthogonal for the second
 * to repair), or a column is zero, modified Gram-Schmidt applied twice ("twice is enough", Giraud
 * et al. 2005), which also zeroes columns that are numerically dependent on earlier ones.
 */
import { allocFloat64 } from '../core/parallel.js';
import { copyUnpaddedRows, float64Regions, simdKernels, type SimdKernels } from './simd/simdKernels.js';

/** Smallest Cholesky pivot (squared relative norm of a column's new direction) CholQR accepts. */
export const CHOLQR_MIN_PIVOT = 1e-12;

/** Rows per block of the Gram product: 256 rows x 60 doubles (120 KB) stay in L2 across tiles. */
const GRAM_ROW_BLOCK = 256;

/**
 * Rows per Gram task: G = Y^T Y is the sum, in task order, of the Gram matrices of fixed blocks of
 * 4,096 rows, whether the blocks run in the calling thread or in workers (identical bits for any
 * thread count; see orthonormalizeColumnsParallel).
 */
export const GRAM_TASK_ROWS = 4096;

/**
 * Worker kernel: upper-triangular part (c <= d, 4 x 4 blocks on the diagonal in full) of
 * Y[rowStart:rowEnd]^T Y[rowStart:rowEnd], l x l row-major, Float64. Each block of rows is packed into column panels of 4 (zero-padded past l),
 * then 4 x 4 tiles of G are accumulated in locals over the block's rows (two contiguous streams)
 * and added once per block. Rows go in order within a block and blocks in order: deterministic.
 * @param y - n x l row-major
 * @param l - columns
 * @param rowStart - first row (inclusive)
 * @param rowEnd - last row (exclusive)
 */
export function gramBlock(y: Float64Array, l: number, rowStart: number, rowEnd: number): Float64Array {
  const simd = simdKernels();
  const lp = Math.ceil(l / 4) * 4;
  const g = simd ? gramTilesSimd(simd, y, l, rowStart, rowEnd) : gramTilesScalar(y, l, rowStart, rowEnd);
  if (lp === l) return g;
  const out = new Float64Array(l * l);
  for (let c = 0; c < l; c++) for (let d = 0; d < l; d++) out[c * l + d] = g[c * lp + d];
  return out;
}

/** Rows [rb, rb + nr) of Y packed into column panels of 4 with a panel stride of R rows (columns past l untouched). */
function packGramRows(y: Float64Array, l: number, rb: number, nr: number, R: number, packed: Float64Array): void {
  for (let i = 0; i < nr; i++) {
    const o = (rb + i) * l;
    for (let c = 0; c < l; c++) packed[(((c / 4) | 0) * R + i) * 4 + (c & 3)] = y[o + c];
  }
}

/**
 * The lp x lp tiles of {@link gramBlock} on the SIMD kernel: each row block is packed into the
 * module's memory and its tile sums are added to an accumulator there, in the scalar kernel's order.
 */
export function gramTilesSimd(simd: SimdKernels, y: Float64Array, l: number, rowStart: number, rowEnd: number): Float64Array {
  const nPanels = Math.ceil(l / 4);
  const lp = nPanels * 4;
  const R = GRAM_ROW_BLOCK;
  const { views, offsets } = float64Regions(simd, [nPanels * R * 4, lp * lp]);
  const [packed, g] = views;
  for (let rb = rowStart; rb < rowEnd; rb += R) {
    const nr = Math.min(rowEnd, rb + R) - rb;
    packGramRows(y, l, rb, nr, R, packed);
    simd.gramTiles(offsets[0], R, nr, nPanels, offsets[1], lp);
  }
  return g.slice();
}

/** The lp x lp tiles of {@link gramBlock} in scalar JavaScript (see its comment). */
export function gramTilesScalar(y: Float64Array, l: number, rowStart: number, rowEnd: number): Float64Array {
  const nPanels = Math.ceil(l / 4);
  const lp = nPanels * 4;
  const g = new Float64Array(lp * lp);
  const R = GRAM_ROW_BLOCK;
  const packed = new Float64Array(nPanels * R * 4);
  for (let rb = rowStart; rb < rowEnd; rb += R) {
    const nr = Math.min(rowEnd, rb + R) - rb;
    packGramRows(y, l, rb, nr, R, packed);
    for (let pc = 0; pc < nPanels; pc++) {
      for (let pd = pc; pd < nPanels; pd++) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        let xo = pc * R * 4, bo = pd * R * 4;
        const xEnd = xo + nr * 4;
        for (; xo < xEnd; xo += 4, bo += 4) {
          const x0 = packed[xo], x1 = packed[xo + 1], x2 = packed[xo + 2], x3 = packed[xo + 3];
          const b0 = packed[bo], b1 = packed[bo + 1], b2 = packed[bo + 2], b3 = packed[bo + 3];
          s00 += x0 * b0; s01 += x0 * b1; s02 += x0 * b2; s03 += x0 * b3;
          s10 += x1 * b0; s11 += x1 * b1; s12 += x1 * b2; s13 += x1 * b3;
          s20 += x2 * b0; s21 += x2 * b1; s22 += x2 * b2; s23 += x2 * b3;
          s30 += x3 * b0; s31 += x3 * b1; s32 += x3 * b2; s33 += x3 * b3;
        }
        const g0 = pc * 4 * lp + pd * 4, g1 = g0 + lp, g2 = g1 + lp, g3 = g2 + lp;
        g[g0] += s00; g[g0 + 1] += s01; g[g0 + 2] += s02; g[g0 + 3] += s03;
        g[g1] += s10; g[g1 + 1] += s11; g[g1 + 2] += s12; g[g1 + 3] += s13;
        g[g2] += s20; g[g2 + 1] += s21; g[g2 + 2] += s22; g[g2 + 3] += s23;
        g[g3] += s30; g[g3 + 1] += s31; g[g3 + 2] += s32; g[g3 + 3] += s33;
      }
    }
  }
  return g;
}

/** Row ranges of the Gram tasks, [start0, end0, start1, end1, ...]: blocks of GRAM_TASK_ROWS, fixed by n alone. */
export function gramTaskRanges(n: number): Int32Array {
  const nTasks = Math.max(1, Math.ceil(n / GRAM_TASK_ROWS));
  const out = new Int32Array(2 * nTasks);
  for (let t = 0; t < nTasks; t++) {
    out[2 * t] = t * GRAM_TASK_ROWS;
    out[2 * t + 1] = Math.min(n, (t + 1) * GRAM_TASK_ROWS);
  }
  return out;
}

/** Sums the Gram blocks of {@link gramTaskRanges} in task order (l x l upper part). */
export function sumGramBlocks(blocks: readonly Float64Array[], l: number): Float64Array {
  const g = new Float64Array(l * l);
  for (const b of blocks) for (let t = 0; t < l * l; t++) g[t] += b[t];
  return g;
}

/** G = Y^T Y (upper part) from the fixed row blocks of {@link gramTaskRanges}, in the calling thread. */
function gram(y: Float64Array, n: number, l: number): Float64Array {
  const ranges = gramTaskRanges(n);
  const blocks: Float64Array[] = [];
  for (let t = 0; t < ranges.length; t += 2) blocks.push(gramBlock(y, l, ranges[t], ranges[t + 1]));
  return sumGramBlocks(blocks, l);
}

/**
 * Upper Cholesky factor R of the symmetric l x l matrix whose upper triangle is `g` (G = R^T R),
 * or null when a pivot falls below `minPivot` times the corresponding diagonal entry of G.
 */
export function cholesky(g: Float64Array, l: number, minPivot: number): Float64Array | null {
  const r = new Float64Array(l * l);
  for (let c = 0; c < l; c++) {
    let pivot = g[c * l + c];
    for (let d = 0; d < c; d++) pivot -= r[d * l + c] * r[d * l + c];
    if (!(pivot > minPivot * g[c * l + c])) return null;
    const rcc = Math.sqrt(pivot);
    r[c * l + c] = rcc;
    for (let e = c + 1; e < l; e++) {
      let s = g[c * l + e];
      for (let d = 0; d < c; d++) s -= r[d * l + c] * r[d * l + e];
      r[c * l + e] = s / rcc;
    }
  }
  return r;
}

/** Inverse of an upper-triangular l x l matrix (row-major), by back substitution column by column. */
export function invertUpper(r: Float64Array, l: number): Float64Array {
  const inv = new Float64Array(l * l);
  for (let c = 0; c < l; c++) {
    inv[c * l + c] = 1 / r[c * l + c];
    for (let d = c - 1; d >= 0; d--) {
      let s = 0;
      for (let e = d + 1; e <= c; e++) s += r[d * l + e] * inv[e * l + c];
      inv[d * l + c] = -s / r[d * l + d];
    }
  }
  return inv;
}

/** U (upper-triangular l x l) packed in column panels of 4 (l x 4 each, zero-padded) for {@link mulUpperBlock}. */
export function packUpper(u: Float64Array, l: number, shared: boolean): Float64Array {
  const nPanels = Math.ceil(l / 4);
  const len = nPanels * l * 4;
  const up = allocFloat64(len, shared);
  for (let d = 0; d < l; d++) for (let c = d; c < l; c++) up[(((c / 4) | 0) * l + d) * 4 + (c & 3)] = u[d * l + c];
  return up;
}

/**
 * Worker kernel: rows [rowStart, rowEnd) of Y U for an upper-triangular l x l U, written into
 * `out` (n x l row-major): the 4-row x 4-column register tile of denseMul over U packed by
 * {@link packUpper}, each panel summing only over the rows of U that can be non-zero
 * (d < panel end). Each output row depends only on its own row of Y: any row partition gives
 * identical bits.
 * @param y - n x l row-major
 * @param l - columns
 * @param up - U packed by {@link packUpper}
 * @param rowStart - first row (inclusive)
 * @param rowEnd - last row (exclusive)
 * @param out - n x l row-major output (shared when run in workers)
 * @returns the number of rows written
 */
export function mulUpperBlock(y: Float64Array, l: number, up: Float64Array, rowStart: number, rowEnd: number, out: Float64Array): number {
  const simd = simdKernels();
  if (simd) mulUpperRowsSimd(simd, y, l, up, rowStart, rowEnd, out);
  else mulUpperRowsScalar(y, l, up, rowStart, rowEnd, out);
  return rowEnd - rowStart;
}

/** Rows of Y copied into the SIMD module's memory per call (256 x 60 doubles = 120 KB). */
const SIMD_ROW_CHUNK = 256;

/** {@link mulUpperBlock} on the SIMD kernel: U once, then Y in chunks of rows (zero rows pad the last to a multiple of 4). */
export function mulUpperRowsSimd(simd: SimdKernels, y: Float64Array, l: number, up: Float64Array, rowStart: number, rowEnd: number, out: Float64Array): void {
  const nPanels = Math.ceil(l / 4);
  const lp = nPanels * 4;
  const { views, offsets } = float64Regions(simd, [up.length, SIMD_ROW_CHUNK * l, SIMD_ROW_CHUNK * lp]);
  const [u, chunk, res] = views;
  u.set(up);
  for (let r0 = rowStart; r0 < rowEnd; r0 += SIMD_ROW_CHUNK) {
    const rows = Math.min(SIMD_ROW_CHUNK, rowEnd - r0);
    const rows4 = (rows + 3) & ~3;
    chunk.set(y.subarray(r0 * l, (r0 + rows) * l));
    if (rows4 > rows) chunk.fill(0, rows * l, rows4 * l);
    simd.mulUpperRows(offsets[1], l, rows4, offsets[0], nPanels, offsets[2]);
    copyUnpaddedRows(res, lp, out, r0, rows, l);
  }
}

/** {@link mulUpperBlock} in scalar JavaScript (see its comment). */
export function mulUpperRowsScalar(y: Float64Array, l: number, up: Float64Array, rowStart: number, rowEnd: number, out: Float64Array): void {
  const nPanels = Math.ceil(l / 4);
  const last = rowEnd - 1;
  for (let i = rowStart; i < rowEnd; i += 4) {
    const y0 = i * l, y1 = Math.min(i + 1, last) * l, y2 = Math.min(i + 2, last) * l, y3 = Math.min(i + 3, last) * l;
    const rows = Math.min(4, rowEnd - i);
    for (let panel = 0; panel < nPanels; panel++) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      const dEnd = Math.min(l, panel * 4 + 4);
      let bo = panel * l * 4;
      for (let d = 0; d < dEnd; d++, bo += 4) {
        const b0 = up[bo], b1 = up[bo + 1], b2 = up[bo + 2], b3 = up[bo + 3];
        const x0 = y[y0 + d], x1 = y[y1 + d], x2 = y[y2 + d], x3 = y[y3 + d];
        s00 += x0 * b0; s01 += x0 * b1; s02 += x0 * b2; s03 += x0 * b3;
        s10 += x1 * b0; s11 += x1 * b1; s12 += x1 * b2; s13 += x1 * b3;
        s20 += x2 * b0; s21 += x2 * b1; s22 += x2 * b2; s23 += x2 * b3;
        s30 += x3 * b0; s31 += x3 * b1; s32 += x3 * b2; s33 += x3 * b3;
      }
      const c0 = panel * 4, cols = Math.min(4, l - c0);
      if (rows === 4 && cols === 4) {
        const o = i * l + c0;
        out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03;
        out[o + l] = s10; out[o + l + 1] = s11; out[o + l + 2] = s12; out[o + l + 3] = s13;
        out[o + 2 * l] = s20; out[o + 2 * l + 1] = s21; out[o + 2 * l + 2] = s22; out[o + 2 * l + 3] = s23;
        out[o + 3 * l] = s30; out[o + 3 * l + 1] = s31; out[o + 3 * l + 2] = s32; out[o + 3 * l + 3] = s33;
      } else {
        // Edge tile (last rows or a panel narrower than 4): store only what exists.
        const tile = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[(i + r) * l + c0 + c] = tile[r * 4 + c];
      }
    }
  }
}

/**
 * One CholQR pass: Y R^-1, or null when the Cholesky factorisation fails. R^-1 is formed
 * explicitly (l x l) so the n-row part is a register-tiled product; its extra round-off, like
 * that of the first pass, is removed by the second pass.
 */
function cholQrPass(y: Float64Array, n: number, l: number): Float64Array | null {
  const r = cholesky(gram(y, n, l), l, CHOLQR_MIN_PIVOT);
  if (r === null) return null;
  const out = new Float64Array(n * l);
  mulUpperBlock(y, l, packUpper(invertUpper(r, l), l, false), 0, n, out);
  return out;
}

/**
 * Modified Gram-Schmidt applied twice (column-major working copy so dot products and updates run
 * over contiguous memory). A column whose norm after orthogonalisation is below 1e-12 of its
 * original norm becomes zero.
 */
export function mgsTwice(y: Float64Array, n: number, l: number): Float64Array {
  const cols = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) cols[c * n + i] = y[i * l + c];
  for (let c = 0; c < l; c++) {
    const vc = c * n;
    let norm0 = 0;
    for (let i = 0; i < n; i++) norm0 += cols[vc + i] * cols[vc + i];
    norm0 = Math.sqrt(norm0);
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        const vd = d * n;
        let r = 0;
        for (let i = 0; i < n; i++) r += cols[vd + i] * cols[vc + i];
        if (r === 0) continue;
        for (let i = 0; i < n; i++) cols[vc + i] -= r * cols[vd + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += cols[vc + i] * cols[vc + i];
    norm = Math.sqrt(norm);
    const inv = norm > 1e-12 * norm0 && norm > 0 ? 1 / norm : 0;
    for (let i = 0; i < n; i++) cols[vc + i] *= inv;
  }
  const q = new Float64Array(n * l);
  for (let c = 0; c < l; c++) for (let i = 0; i < n; i++) q[i * l + c] = cols[c * n + i];
  return q;
}

/**
 * Returns Q (n x l, row-major) with orthonormal columns spanning the columns of Y (n x l,
 * row-major); Y is not modified. The columns of Q are in the order of Y's (Q = Y R^-1 with R
 * upper triangular with positive diagonal, the thin QR factor, on both paths). A column that is
 * numerically dependent on the previous ones becomes zero (MGS path), so downstream singular
 * values for it are 0.
 * @param y - n x l row-major
 * @param n - rows
 * @param l - columns
 */
export function orthonormalizeColumns(y: Float64Array, n: number, l: number): Float64Array {
  if (n >= l && l > 0) {
    // Unit-norm columns first (scaling does not change the column space).
    const q = unitNormColumns(y, n, l, false);
    if (q) {
      const q1 = cholQrPass(q, n, l);
      const q2 = q1 && cholQrPass(q1, n, l);
      if (q2) return q2;
    }
  }
  return mgsTwice(y, n, l);
}

/**
 * The row-major n x l block `y` with each column scaled to unit norm, in new memory (shared when
 * `shared`, for workers); null when a column is zero or not finite, which sends the caller to the
 * MGS fallback. One read of `y` for the norms and one for the scaled copy (a copy scaled in place
 * would read it three times).
 */
export function unitNormColumns(y: Float64Array, n: number, l: number, shared: boolean): Float64Array | null {
  const norms = new Float64Array(l);
  for (let o = 0; o < n * l; o += l) for (let c = 0; c < l; c++) norms[c] += y[o + c] * y[o + c];
  for (let c = 0; c < l; c++) {
    if (!(norms[c] > 0) || !Number.isFinite(norms[c])) return null;
    norms[c] = 1 / Math.sqrt(norms[c]);
  }
  const q = allocFloat64(n * l, shared);
  for (let o = 0; o < n * l; o += l) for (let c = 0; c < l; c++) q[o + c] = y[o + c] * norms[c];
  return q;
}
