/**
 * Marker genes: every cluster against the rest (Seurat `FindAllMarkers`, scanpy
 * `rank_genes_groups`), or one group against another, on log-normalized expression.
 *
 * Per gene and group it reports Seurat 4's statistics:
 * - Wilcoxon rank-sum p-value with tie and continuity correction, normal approximation, exactly
 *   as R's `wilcox.test(x_in, x_out, exact = FALSE, correct = TRUE)`:
 *   W = R1 - n1 (n1 + 1)/2, d = W - n1 n2/2,
 *   sigma = sqrt(n1 n2/12 * ((n + 1) - sum(t^3 - t)/(n (n - 1)))),
 *   z = (d - sign(d)/2)/sigma, p = 2 min(Phi(z), 1 - Phi(z));
 * - AUC = W/(n1 n2) (the probability that a random in-group cell exceeds a random out-group cell,
 *   ties counted one half);
 * - optionally Welch's t-test on the log values instead of the Wilcoxon p-value (R `t.test`);
 * - log2 fold change as Seurat 4: log2(mean(expm1(x_in)) + 1) - log2(mean(expm1(x_out)) + 1);
 * - pct_in / pct_out: fraction of cells with a value > 0 (full precision; Seurat rounds to 3
 *   digits, which topMarkers does only for its min.pct filter).
 *
 * Sparse algorithm: per gene (a CSC column) only the non-zeros are sorted (an O(m) LSD radix sort
 * of order-preserving 32-bit keys for Float32 data; a native sort plus binary search for Float64
 * data, whose exact ties R's double-precision values would have); all zeros form one tie
 * block whose average rank is (#negatives) + (nZero + 1)/2, so the rank sum of a group is
 * zeros_in_group * zero_rank + the ranks of its non-zeros. All groups are handled in the same
 * pass: the gene is ranked once and rank sums, counts and sums accumulate into per-group slots
 * indexed by an integer group code per cell. No dense cells x genes matrix is formed.
 *
 * Threads: genes are split into a fixed number of blocks (independent of `threads`), each block
 * runs {@link markerStatsBlock} in a worker via `parallelMap`, and blocks are stitched in order, so
 * the output is bit-identical for any thread count.
 */
import type { AnnDataLite, Json } from '../core/adata.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { columnStrings } from '../core/frame.js';
import { parallelMap, splitRange } from '../core/parallel.js';
import type { CsrMatrix, Indptr } from '../core/sparse.js';
import { defineStep } from '../core/step.js';
import { normalUpperTail } from '../stats/normal.js';
import { averageRanksOfSorted, lowerBound } from '../stats/rankWithTies.js';
import { studentTUpperTail } from '../stats/studentT.js';
import { topMarkers, type MarkerTable } from './topMarkers.js';

/** Which test gives the p-value. */
export type MarkerTest = 'wilcoxon' | 'welch';

/**
 * A cells x genes matrix in CSC layout (one column per gene). Same shape as core's `CscMatrix`,
 * but the values may also be Float64 so that data normalized in double precision (as R does)
 * keep their exact tie structure.
 */
export interface MarkerMatrix {
  /** Cells. */
  readonly nRows: number;
  /** Genes. */
  readonly nCols: number;
  /** nCols + 1 offsets into indices/data. */
  readonly indptr: Indptr;
  /** Cell (row) of each stored value, increasing within a gene. */
  readonly indices: Int32Array;
  /** Stored values (log-normalized expression); explicit zeros are treated as zeros. */
  readonly data: Float32Array | Float64Array;
}

/**
 * Per-gene statistics for every group, each array group-major: entry `g * nGenes + j` belongs to
 * group `g` and gene `j`.
 */
export interface MarkerStats {
  /** Number of groups (rows of each array). */
  readonly nGroups: number;
  /** Number of genes. */
  readonly nGenes: number;
  /** Test that produced `pval` and `stat`. */
  readonly test: MarkerTest;
  /** Cells in each group (n1). */
  readonly groupSizes: Float64Array;
  /** Cells in the comparison set for each group (n2: all other included cells, or group B). */
  readonly restSizes: Float64Array;
  /** Two-sided p-value (1 when the gene is constant over the compared cells). */
  readonly pval: Float64Array;
  /** Mann-Whitney W of the group (wilcoxon) or Welch t (welch). */
  readonly stat: Float64Array;
  /** Area under the ROC curve, W/(n1 n2). */
  readonly auc: Float64Array;
  /** Seurat 4 log2 fold change with pseudocount 1 on the expm1 scale. */
  readonly log2fc: Float64Array;
  /** Fraction of the group's cells with value > 0. */
  readonly pctIn: Float64Array;
  /** Fraction of the comparison cells with value > 0. */
  readonly pctOut: Float64Array;
  /** Mean log expression in the group. */
  readonly meanIn: Float64Array;
  /** Mean log expression in the comparison cells. */
  readonly meanOut: Float64Array;
}

/** Names of the Float64 result arrays, in the order a block returns them. */
const FIELDS = ['pval', 'stat', 'auc', 'log2fc', 'pctIn', 'pctOut', 'meanIn', 'meanOut'] as const;

/** Radix sort digit width: 3 passes of 11 bits cover a 32-bit key with a 2,048-entry histogram. */
const RADIX_BITS = 11;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/** Number of gene blocks: fixed so that results never depend on the thread count. */
const N_BLOCKS = 64;

/**
 * Gene chunks a CSR input is transposed in; fixed, never from threads. Peak memory: about
 * 1/N_CHUNKS of a copy of the matrix with one thread, 2/N_CHUNKS with workers (double buffering).
 */
const N_CHUNKS = 16;

/**
 * Kernel for genes [j0, j1): the statistics of {@link MarkerStats} for every group, as one
 * Float64Array per field of length nGroups * (j1 - j0) (group-major), in the order of FIELDS.
 * Exported for `parallelMap`; arguments are plain typed arrays so they cross to workers cheaply
 * (shared memory when the caller passes SharedArrayBuffer views).
 *
 * @param indptr CSC column offsets (all genes).
 * @param indices row (cell) of each value.
 * @param data values (finite; Float32 takes the radix-sort path).
 * @param codes group code per cell, 0..nGroups-1, or -1 for cells left out of every comparison.
 * @param nGroups number of groups.
 * @param pairwise when true, group 0 is compared with group 1 only (rest = group 1); otherwise
 *   every group is compared with all other included cells.
 * @param j0 first gene.
 * @param j1 one past the last gene.
 * @param test which p-value to compute.
 */
export function markerStatsBlock(
  indptr: Indptr,
  indices: Int32Array,
  data: Float32Array | Float64Array,
  codes: Int32Array,
  nGroups: number,
  pairwise: boolean,
  j0: number,
  j1: number,
  test: MarkerTest,
): Float64Array[] {
  const nb = j1 - j0;
  const out = FIELDS.map(() => new Float64Array(nGroups * nb));
  const [pvalOut, statOut, aucOut, fcOut, pctInOut, pctOutOut, meanInOut, meanOutOut] = out;

  // Group sizes and the number of included cells.
  const size = new Float64Array(nGroups);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) size[codes[i]]++;
  let n = 0;
  for (let g = 0; g < nGroups; g++) n += size[g];
  const rest = new Float64Array(nGroups);
  for (let g = 0; g < nGroups; g++) rest[g] = pairwise ? (g === 0 ? size[1] : size[0]) : n - size[g];

  // Per-gene scratch, sized for the longest column of the block.
  let maxLen = 0;
  for (let j = j0; j < j1; j++) maxLen = Math.max(maxLen, indptr[j + 1] - indptr[j]);
  const vals = new Float64Array(maxLen);
  const cds = new Int32Array(maxLen);
  const radix = data instanceof Float32Array;
  const sorted = new Float64Array(radix ? 0 : maxLen);
  const rankAt = new Float64Array(radix ? 0 : maxLen);
  const keyLen = radix ? maxLen : 0;
  const keyA = new Uint32Array(keyLen);
  const keyB = new Uint32Array(keyLen);
  const posA = new Int32Array(keyLen);
  const posB = new Int32Array(keyLen);
  const counts = new Int32Array(RADIX_MASK + 1);
  // One-element views to read a Float32's bit pattern.
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  // Per-group accumulators (Float64: sums of up to 1e6 terms).
  const nnz = new Float64Array(nGroups);
  const sumExpm1 = new Float64Array(nGroups);
  const sum = new Float64Array(nGroups);
  const sumSqDev = new Float64Array(nGroups);
  const rankSum = new Float64Array(nGroups);

  for (let j = j0; j < j1; j++) {
    nnz.fill(0);
    sumExpm1.fill(0);
    sum.fill(0);
    sumSqDev.fill(0);
    rankSum.fill(0);
    // Gather the non-zeros of included cells.
    let m = 0;
    const end = indptr[j + 1];
    for (let k = indptr[j]; k < end; k++) {
      const c = codes[indices[k]];
      const v = data[k];
      if (c < 0 || v === 0) continue;
      vals[m] = v;
      cds[m] = c;
      m++;
      nnz[c]++;
      sumExpm1[c] += Math.expm1(v);
      sum[c] += v;
    }
    let totNnz = 0;
    let totExpm1 = 0;
    let totSum = 0;
    for (let g = 0; g < nGroups; g++) {
      totNnz += nnz[g];
      totExpm1 += sumExpm1[g];
      totSum += sum[g];
    }

    // Rank once and place the zero block between the negatives and the positives.
    const nZero = n - m;
    let tieSum = nZero > 1 ? nZero * nZero * nZero - nZero : 0;
    if (radix) {
      // Float32 values: LSD radix sort of order-preserving 32-bit keys carrying each value's
      // position (O(m) per gene; faster than a comparison sort for the 1e3-1e5 non-zeros of a
      // gene). Equal keys <=> equal values (zeros, the only +0/-0 case, are not in the list).
      for (let t = 0; t < m; t++) {
        f32[0] = vals[t];
        const bits = u32[0];
        // Flip all bits of negatives, only the sign bit of positives: unsigned order = numeric order.
        keyA[t] = (bits ^ ((-(bits >>> 31)) | 0x80000000)) >>> 0;
        posA[t] = t;
      }
      let keys = keyA;
      let pos = posA;
      let keysTmp = keyB;
      let posTmp = posB;
      for (let shift = 0; shift < 32; shift += RADIX_BITS) {
        counts.fill(0);
        for (let t = 0; t < m; t++) counts[(keys[t] >>> shift) & RADIX_MASK]++;
        // A digit shared by every key leaves the order unchanged: skip the scatter.
        if (m === 0 || counts[(keys[0] >>> shift) & RADIX_MASK] === m) continue;
        let acc = 0;
        for (let b = 0; b <= RADIX_MASK; b++) {
          const cnt = counts[b];
          counts[b] = acc;
          acc += cnt;
        }
        for (let t = 0; t < m; t++) {
          const k = keys[t];
          const dst = counts[(k >>> shift) & RADIX_MASK]++;
          keysTmp[dst] = k;
          posTmp[dst] = pos[t];
        }
        const tk = keys;
        keys = keysTmp;
        keysTmp = tk;
        const tp = pos;
        pos = posTmp;
        posTmp = tp;
      }
      let nNeg = 0;
      while (nNeg < m && keys[nNeg] < 0x80000000) nNeg++;
      const zeroRank = nNeg + (nZero + 1) / 2;
      let start = 0;
      while (start < m) {
        const k = keys[start];
        let end = start + 1;
        while (end < m && keys[end] === k) end++;
        // Positions start..end-1 hold ranks start+1..end (before the zero block is inserted).
        const r = (start + 1 + end) / 2 + (start >= nNeg ? nZero : 0);
        for (let u = start; u < end; u++) rankSum[cds[pos[u]]] += r;
        const size = end - start;
        if (size > 1) tieSum += size * size * size - size;
        start = end;
      }
      for (let g = 0; g < nGroups; g++) rankSum[g] += (size[g] - nnz[g]) * zeroRank;
    } else {
      // Float64 values: sort a copy natively, then find each value's tie run by binary search.
      const sortedView = sorted.subarray(0, m);
      sortedView.set(vals.subarray(0, m));
      sortedView.sort();
      tieSum += averageRanksOfSorted(sortedView, m, rankAt);
      const nNeg = lowerBound(sortedView, m, 0);
      const zeroRank = nNeg + (nZero + 1) / 2;
      for (let t = 0; t < m; t++) {
        const v = vals[t];
        const r = rankAt[lowerBound(sortedView, m, v)];
        rankSum[cds[t]] += v > 0 ? r + nZero : r;
      }
      for (let g = 0; g < nGroups; g++) rankSum[g] += (size[g] - nnz[g]) * zeroRank;
    }

    // Welch needs within-group sums of squared deviations: a second pass over the non-zeros
    // (two-pass variance), zeros contributing mean^2 each.
    if (test === 'welch') {
      for (let t = 0; t < m; t++) {
        const c = cds[t];
        const dv = vals[t] - sum[c] / size[c];
        sumSqDev[c] += dv * dv;
      }
      for (let g = 0; g < nGroups; g++) {
        const mean = sum[g] / size[g];
        sumSqDev[g] += (size[g] - nnz[g]) * mean * mean;
      }
    }

    const jb = j - j0;
    for (let g = 0; g < nGroups; g++) {
      const o = g * nb + jb;
      const n1 = size[g];
      const n2 = rest[g];
      const other = pairwise ? 1 - g : -1;
      // Out-group sums: the other group (pairwise) or everything but g.
      const nnzOut = other >= 0 ? nnz[other] : totNnz - nnz[g];
      const expm1Out = other >= 0 ? sumExpm1[other] : totExpm1 - sumExpm1[g];
      const sumOut = other >= 0 ? sum[other] : totSum - sum[g];
      pctInOut[o] = nnz[g] / n1;
      pctOutOut[o] = nnzOut / n2;
      meanInOut[o] = sum[g] / n1;
      meanOutOut[o] = sumOut / n2;
      fcOut[o] = Math.log2(sumExpm1[g] / n1 + 1) - Math.log2(expm1Out / n2 + 1);

      // Rank sum of the group (its zeros at the zero block's rank are already included). In the
      // pairwise case only groups 0 and 1 are included (codes of others are -1), so n = n1 + n2.
      const r1 = rankSum[g];
      const w = r1 - (n1 * (n1 + 1)) / 2;
      aucOut[o] = w / (n1 * n2);
      if (n1 === 0 || n2 === 0) {
        pvalOut[o] = NaN;
        statOut[o] = NaN;
        continue;
      }
      if (test === 'wilcoxon') {
        statOut[o] = w;
        // R's operation order: z = W - n1 n2/2; SIGMA = sqrt((n1 n2/12) ((n1 + n2 + 1) - TIES/((n1 + n2)(n1 + n2 - 1)))).
        const d = w - (n1 * n2) / 2;
        const sigma = Math.sqrt(((n1 * n2) / 12) * (n1 + n2 + 1 - tieSum / ((n1 + n2) * (n1 + n2 - 1))));
        if (!(sigma > 0)) {
          // All compared values tied: no evidence either way (R would return NaN).
          pvalOut[o] = 1;
          continue;
        }
        const z = (d - Math.sign(d) * 0.5) / sigma;
        const p = 2 * normalUpperTail(Math.abs(z));
        pvalOut[o] = p < 1 ? p : 1;
      } else {
        // Welch: t = (m1 - m2)/sqrt(v1/n1 + v2/n2), Welch-Satterthwaite df.
        const m1 = sum[g] / n1;
        const m2 = sumOut / n2;
        let ss2: number;
        if (other >= 0) {
          ss2 = sumSqDev[other];
        } else {
          // Out-group sum of squared deviations from the pooled decomposition: the total over
          // other groups of (SS_h + n_h (mean_h - m2)^2).
          ss2 = 0;
          for (let h = 0; h < nGroups; h++) {
            if (h === g || size[h] === 0) continue;
            const dm = sum[h] / size[h] - m2;
            ss2 += sumSqDev[h] + size[h] * dm * dm;
          }
        }
        const q1 = sumSqDev[g] / (n1 - 1) / n1;
        const q2 = ss2 / (n2 - 1) / n2;
        const se2 = q1 + q2;
        if (!(se2 > 0) || n1 < 2 || n2 < 2) {
          statOut[o] = NaN;
          pvalOut[o] = n1 < 2 || n2 < 2 ? NaN : 1;
          continue;
        }
        const t = (m1 - m2) / Math.sqrt(se2);
        const df = (se2 * se2) / ((q1 * q1) / (n1 - 1) + (q2 * q2) / (n2 - 1));
        statOut[o] = t;
        const p = 2 * studentTUpperTail(Math.abs(t), df);
        pvalOut[o] = p < 1 ? p : 1;
      }
    }
  }
  return out;
}

/** Reusable CSC storage for one gene chunk at a time (see {@link fillChunkCsc}). */
interface ChunkBuffers {
  readonly indptr: Float64Array;
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/** Rows transposed between two yields to the event loop while workers run the previous chunk. */
const ROWS_PER_SLICE = 4096;

/**
 * Per-gene non-zero counts of a CSR, checking that genes increase within every row (the chunked
 * transpose walks each row once, left to right, and relies on that order).
 */
function countPerGene(x: CsrMatrix): Float64Array {
  const perGene = new Float64Array(x.nCols);
  const xi = x.indices;
  for (let i = 0; i < x.nRows; i++) {
    const end = x.indptr[i + 1];
    let prev = -1;
    for (let k = x.indptr[i]; k < end; k++) {
      const j = xi[k];
      if (j <= prev) throw new Error(`computeMarkerStats: CSR row ${i} has gene ${j} after gene ${prev} (indices must increase within a row)`);
      perGene[j]++;
      prev = j;
    }
  }
  return perGene;
}

/**
 * Starts genes [g0, g1) of a CSR (cells x genes) as CSC in `buf`: the column offsets from the
 * per-gene counts, and a write position per gene. Rows are then copied by {@link fillChunkRows}.
 */
function startChunk(perGene: Float64Array, g0: number, g1: number, buf: ChunkBuffers, next: Float64Array): void {
  const width = g1 - g0;
  buf.indptr[0] = 0;
  for (let j = 0; j < width; j++) {
    next[j] = buf.indptr[j];
    buf.indptr[j + 1] = buf.indptr[j] + perGene[g0 + j];
  }
}

/**
 * Copies rows [i0, i1) of the chunk's genes (below g1) into `buf`. `cursor[i]` is where row i's
 * first gene >= g0 sits: chunks go in increasing gene order, so each row is read once over all
 * chunks, only its own slice per chunk (O(nnz) in total instead of one whole-matrix scan per
 * chunk). Rows go in increasing order, so cells come out increasing within each gene, exactly as
 * a transpose of the whole matrix gives them.
 */
function fillChunkRows(x: CsrMatrix, g0: number, g1: number, i0: number, i1: number, cursor: Float64Array, next: Float64Array, buf: ChunkBuffers): void {
  const xi = x.indices;
  const xd = x.data;
  const { indices, data } = buf;
  for (let i = i0; i < i1; i++) {
    const end = x.indptr[i + 1];
    let k = cursor[i];
    for (; k < end; k++) {
      const j = xi[k];
      if (j >= g1) break;
      const dst = next[j - g0]++;
      indices[dst] = i;
      data[dst] = xd[k];
    }
    cursor[i] = k;
  }
}

/** The chunk in `buf` as a {@link MarkerMatrix} of views (genes [g0, g1), local gene numbers). */
function chunkView(x: CsrMatrix, g0: number, g1: number, buf: ChunkBuffers): MarkerMatrix {
  const width = g1 - g0;
  const indptr = buf.indptr.subarray(0, width + 1);
  const nnz = indptr[width];
  return { nRows: x.nRows, nCols: width, indptr, indices: buf.indices.subarray(0, nnz), data: buf.data.subarray(0, nnz) };
}

/**
 * Genes [g0, g1) of a CSR as CSC in `buf`, all rows at once (see {@link fillChunkRows}).
 */
function fillChunkCsc(x: CsrMatrix, perGene: Float64Array, g0: number, g1: number, cursor: Float64Array, next: Float64Array, buf: ChunkBuffers): MarkerMatrix {
  startChunk(perGene, g0, g1, buf, next);
  fillChunkRows(x, g0, g1, 0, x.nRows, cursor, next, buf);
  return chunkView(x, g0, g1, buf);
}

/**
 * As {@link fillChunkCsc}, but returning to the event loop every {@link ROWS_PER_SLICE} rows, so
 * that worker replies are handled and the next task of the previous chunk is sent while this
 * chunk is built on the main thread (the transpose overlaps the statistics instead of stalling
 * the workers).
 */
async function fillChunkCscYielding(x: CsrMatrix, perGene: Float64Array, g0: number, g1: number, cursor: Float64Array, next: Float64Array, buf: ChunkBuffers): Promise<MarkerMatrix> {
  startChunk(perGene, g0, g1, buf, next);
  for (let i0 = 0; i0 < x.nRows; i0 += ROWS_PER_SLICE) {
    fillChunkRows(x, g0, g1, i0, Math.min(x.nRows, i0 + ROWS_PER_SLICE), cursor, next, buf);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return chunkView(x, g0, g1, buf);
}

/**
 * Storage for the largest of the gene chunks `bounds` (pairs g0, g1): allocated once and refilled
 * per chunk, in SharedArrayBuffer memory when workers read it. Reuse matters: workers drop their
 * views of a shared buffer only when they collect garbage, so a fresh buffer per chunk could keep
 * every chunk alive at once.
 */
function chunkBuffers(perGene: Float64Array, bounds: readonly number[], shared: boolean): ChunkBuffers {
  let maxNnz = 0;
  let maxWidth = 0;
  for (let c = 0; c < bounds.length; c += 2) {
    let n = 0;
    for (let j = bounds[c]; j < bounds[c + 1]; j++) n += perGene[j];
    maxNnz = Math.max(maxNnz, n);
    maxWidth = Math.max(maxWidth, bounds[c + 1] - bounds[c]);
  }
  const alloc = <T extends Float32Array | Int32Array | Float64Array>(
    ctor: { new (n: number): T; new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
    n: number,
  ): T => (shared ? new ctor(new SharedArrayBuffer(n * ctor.BYTES_PER_ELEMENT)) : new ctor(n));
  return { indptr: alloc(Float64Array, maxWidth + 1), indices: alloc(Int32Array, maxNnz), data: alloc(Float32Array, maxNnz) };
}

/** Copies a typed array into shared memory (no-op when it already lives there). */
function shareArray<T extends Float32Array | Float64Array | Int32Array | Uint32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new ctor(new SharedArrayBuffer(a.length * ctor.BYTES_PER_ELEMENT));
  out.set(a as never);
  return out;
}

/**
 * Statistics of every group against the rest (or group 0 against group 1 when `pairwise`), for
 * every gene: the kernel of {@link findMarkers}.
 *
 * @param x cells x genes log-normalized expression: CSR (transposed here) or a CSC {@link MarkerMatrix}.
 * @param codes group code per cell (0..nGroups-1; -1 = left out), length nRows.
 * @param nGroups number of groups.
 * @param options `test` (default 'wilcoxon'), `pairwise` (default false), `threads` (default 1).
 * @returns group-major statistics, see {@link MarkerStats}.
 * @example
 * const stats = await computeMarkerStats(adata.X, clusterCodes, 9);
 * stats.pval[2 * stats.nGenes + j]; // p-value of gene j for cluster 2 vs rest
 */
export async function computeMarkerStats(
  x: CsrMatrix | (MarkerMatrix & { format?: 'csc' }),
  codes: Int32Array,
  nGroups: number,
  options: { test?: MarkerTest; pairwise?: boolean; threads?: number } = {},
): Promise<MarkerStats> {
  const test = options.test ?? 'wilcoxon';
  const pairwise = options.pairwise ?? false;
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  if (codes.length !== x.nRows) throw new Error(`computeMarkerStats: ${codes.length} group codes for ${x.nRows} cells`);
  if (pairwise && nGroups !== 2) throw new Error('computeMarkerStats: pairwise needs exactly 2 groups');
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] >= nGroups) throw new Error(`computeMarkerStats: code ${codes[i]} at cell ${i} >= nGroups ${nGroups}`);
  }
  const useWorkers = threads > 1;
  const nGenes = x.nCols;
  const codesArg = useWorkers ? shareArray(codes) : codes;
  const blocks = splitRange(nGenes, N_BLOCKS);
  const nBlocks = blocks.length / 2;
  const parts: Float64Array[][] = [];
  // A CSR input is transposed in gene chunks, so that only a fraction of a second copy of the
  // matrix is alive at a time (peak memory: one chunk buffer, two with workers). Each row is read
  // once over all chunks (a cursor per row). With workers, chunk c + 1 is built on the main thread
  // while the workers compute chunk c (double buffering). Each gene's column is the same whichever
  // chunk holds it and the chunks are fixed, so results never depend on threads.
  const isCsr = 'format' in x && x.format === 'csr';
  const nChunks = isCsr ? Math.min(N_CHUNKS, nBlocks) : 1;
  const blockOf = (c: number): number => Math.floor((c * nBlocks) / nChunks);
  const bounds: number[] = [];
  for (let c = 0; c < nChunks; c++) bounds.push(blocks[2 * blockOf(c)], blocks[2 * blockOf(c + 1) - 1]);
  const tasksOf = (c: number, csc: MarkerMatrix): unknown[][] => {
    const tasks: unknown[][] = [];
    const g0 = isCsr ? bounds[2 * c] : 0;
    for (let b = blockOf(c); b < blockOf(c + 1); b++) {
      tasks.push([csc.indptr, csc.indices, csc.data, codesArg, nGroups, pairwise, blocks[2 * b] - g0, blocks[2 * b + 1] - g0, test]);
    }
    return tasks;
  };
  if (!isCsr) {
    const csc = useWorkers ? { ...x, indptr: shareArray(x.indptr), indices: shareArray(x.indices), data: shareArray(x.data) } : x;
    for (const part of await parallelMap<Float64Array[]>(import.meta.url, 'markerStatsBlock', tasksOf(0, csc), threads)) parts.push(part);
  } else {
    const perGene = countPerGene(x);
    const bufs = [chunkBuffers(perGene, bounds, useWorkers)];
    if (useWorkers && nChunks > 1) bufs.push(chunkBuffers(perGene, bounds, true));
    const cursor = new Float64Array(x.nRows);
    for (let i = 0; i < x.nRows; i++) cursor[i] = x.indptr[i];
    let width = 0;
    for (let c = 0; c < nChunks; c++) width = Math.max(width, bounds[2 * c + 1] - bounds[2 * c]);
    const next = new Float64Array(width);
    let csc = fillChunkCsc(x, perGene, bounds[0], bounds[1], cursor, next, bufs[0]);
    for (let c = 0; c < nChunks; c++) {
      const running = parallelMap<Float64Array[]>(import.meta.url, 'markerStatsBlock', tasksOf(c, csc), threads);
      if (c + 1 < nChunks) {
        // Buffer (c + 1) % 2 last held chunk c - 1, whose tasks have all finished.
        const buf = bufs[(c + 1) % bufs.length];
        if (bufs.length > 1) {
          // Build the next chunk while the workers run this one; a failure there surfaces after
          // the running tasks settle, so no worker is left writing into a buffer being refilled.
          const built = fillChunkCscYielding(x, perGene, bounds[2 * c + 2], bounds[2 * c + 3], cursor, next, buf);
          const [done, nextCsc] = await Promise.allSettled([running, built]);
          if (done.status === 'rejected') throw done.reason;
          if (nextCsc.status === 'rejected') throw nextCsc.reason;
          for (const part of done.value) parts.push(part);
          csc = nextCsc.value;
          continue;
        }
        for (const part of await running) parts.push(part);
        csc = fillChunkCsc(x, perGene, bounds[2 * c + 2], bounds[2 * c + 3], cursor, next, buf);
        continue;
      }
      for (const part of await running) parts.push(part);
    }
  }
  // Stitch blocks: block b holds genes [j0, j1) group-major with its own width.
  const full = FIELDS.map(() => new Float64Array(nGroups * nGenes));
  for (let b = 0; b < parts.length; b++) {
    const j0 = blocks[2 * b];
    const nb = blocks[2 * b + 1] - j0;
    for (let f = 0; f < FIELDS.length; f++) {
      const src = parts[b][f];
      for (let g = 0; g < nGroups; g++) full[f].set(src.subarray(g * nb, (g + 1) * nb), g * nGenes + j0);
    }
  }
  const size = new Float64Array(nGroups);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) size[codes[i]]++;
  let n = 0;
  for (let g = 0; g < nGroups; g++) n += size[g];
  const restSizes = new Float64Array(nGroups);
  for (let g = 0; g < nGroups; g++) restSizes[g] = pairwise ? size[1 - g] : n - size[g];
  const [pval, stat, auc, log2fc, pctIn, pctOut, meanIn, meanOut] = full;
  return { nGroups, nGenes, test, groupSizes: size, restSizes, pval, stat, auc, log2fc, pctIn, pctOut, meanIn, meanOut };
}

/** Parameters of {@link findMarkers}. */
export interface FindMarkersParams {
  /** Categorical obs column holding the groups. @default 'cluster' */
  groupby: string;
  /** P-value test: 'wilcoxon' (Seurat default) or 'welch' (Welch t on log values). @default 'wilcoxon' */
  test: MarkerTest;
  /** Compare only this group (against `groupB`, or all other cells when `groupB` is null); null = every group vs rest. @default null */
  groupA: string | null;
  /** Second group of a pairwise comparison (needs `groupA`). @default null */
  groupB: string | null;
  /** Seurat min.pct: a gene is tested when max(pct_in, pct_out), rounded to 3 digits, is >= this. @default 0.1 */
  minPct: number;
  /** Seurat logfc.threshold: |log2FC| (log2FC with `onlyPos`) must be >= this. @default 0.25 */
  logfcThreshold: number;
  /** Keep only genes higher in the group (Seurat only.pos). @default false */
  onlyPos: boolean;
  /** Seurat FindAllMarkers return.thresh: report genes with p < this. @default 0.01 */
  maxPval: number;
  /** Markers kept per group in the stored table. @default 20 */
  nTop: number;
}

const DEFAULTS: FindMarkersParams = {
  groupby: 'cluster',
  test: 'wilcoxon',
  groupA: null,
  groupB: null,
  minPct: 0.1,
  logfcThreshold: 0.25,
  onlyPos: false,
  maxPval: 0.01,
  nTop: 20,
};

/** The top-N table as a columnar JSON object for `uns.markers`. */
function tableToJson(t: MarkerTable): Json {
  return {
    cluster: t.cluster,
    rank: t.rank,
    gene: t.gene,
    gene_id: t.geneId,
    log2fc: t.log2fc,
    auc: t.auc,
    pct_in: t.pctIn,
    pct_out: t.pctOut,
    pval: t.pval,
    padj: t.padj,
    padj_bonferroni: t.padjBonferroni,
  };
}

/**
 * Step `find_markers`: marker genes of each group of `obs[groupby]` (one vs rest), or of `groupA`
 * vs `groupB`, on X (log-normalized CSR). Stores in `uns.markers` the parameters, the groups and
 * the top-`nTop` table per group (columns cluster, rank, gene, gene_id, log2fc, auc, pct_in,
 * pct_out, pval, padj (BH over the genes tested in that group), padj_bonferroni (Seurat's
 * p_val_adj, n = all genes)), ranked by p-value then |log2FC| descending.
 * Full per-gene statistics for library use come from {@link computeMarkerStats} and
 * {@link topMarkers}.
 *
 * @example
 * const out = await findMarkers(adata, { onlyPos: true }, { threads: 2 });
 * out.uns.markers; // { params, groups, table: { cluster: [...], gene: [...], ... } }
 */
export const findMarkers = defineStep<FindMarkersParams>({
  name: 'find_markers',
  defaults: DEFAULTS,
  validate: (p) => {
    if (p.test !== 'wilcoxon' && p.test !== 'welch') throw new UsageError(`find_markers: test must be 'wilcoxon' or 'welch', got '${String(p.test)}'`);
    if (!(p.minPct >= 0 && p.minPct <= 1)) throw new UsageError(`find_markers: minPct must be in [0, 1], got ${p.minPct}`);
    if (!(p.logfcThreshold >= 0)) throw new UsageError(`find_markers: logfcThreshold must be >= 0, got ${p.logfcThreshold}`);
    if (!(p.maxPval > 0 && p.maxPval <= 1)) throw new UsageError(`find_markers: maxPval must be in (0, 1], got ${p.maxPval}`);
    if (!(Number.isInteger(p.nTop) && p.nTop >= 1)) throw new UsageError(`find_markers: nTop must be an integer >= 1, got ${p.nTop}`);
    if (p.groupB !== null && p.groupA === null) throw new UsageError('find_markers: groupB needs groupA');
  },
  run: async (adata: AnnDataLite, p, ctx) => {
    const col = adata.obs.get(p.groupby);
    if (!col) throw new AnalysisError(`find_markers needs obs['${p.groupby}']; run clustering first or set groupby`);
    if (col.kind !== 'categorical') throw new AnalysisError(`find_markers: obs['${p.groupby}'] must be categorical, got ${col.kind}`);
    const categories = col.categories;
    const findCategory = (label: string): number => {
      const at = categories.indexOf(label);
      if (at < 0) throw new UsageError(`find_markers: group '${label}' not in obs['${p.groupby}'] (groups: ${categories.join(', ')})`);
      return at;
    };
    // One-vs-rest over all categories, one group vs the rest, or a pair (codes remapped to 0/1).
    let codes = col.codes;
    let groups: string[] = [...categories];
    let pairwise = false;
    if (p.groupA !== null) {
      const a = findCategory(p.groupA);
      const b = p.groupB !== null ? findCategory(p.groupB) : -1;
      codes = new Int32Array(col.codes.length);
      for (let i = 0; i < codes.length; i++) {
        const c = col.codes[i];
        codes[i] = c === a ? 0 : b >= 0 ? (c === b ? 1 : -1) : c >= 0 ? 1 : -1;
      }
      groups = [p.groupA, p.groupB ?? 'rest'];
      pairwise = true;
    }
    const stats = await computeMarkerStats(adata.X, codes, groups.length, { test: p.test, pairwise, threads: ctx.threads });
    const geneIdCol = adata.var.get('gene_ids');
    // gene_ids may be stored as strings or as a categorical (h5ad); without it, ids = names.
    const geneIds = geneIdCol && (geneIdCol.kind === 'string' || geneIdCol.kind === 'categorical') ? columnStrings(geneIdCol) : adata.var.index;
    const table = topMarkers(stats, {
      groups,
      genes: adata.var.index,
      geneIds,
      nTop: p.nTop,
      minPct: p.minPct,
      logfcThreshold: p.logfcThreshold,
      onlyPos: p.onlyPos,
      maxPval: p.maxPval,
      groupsToReport: pairwise ? [0] : null,
    });
    ctx.log.info({ groups: groups.length, rows: table.gene.length, test: p.test }, 'markers ranked');
    const markers: Json = {
      params: { groupby: p.groupby, test: p.test, groupA: p.groupA, groupB: p.groupB, minPct: p.minPct, logfcThreshold: p.logfcThreshold, onlyPos: p.onlyPos, maxPval: p.maxPval, nTop: p.nTop },
      groups,
      table: tableToJson(table),
    };
    return adata.with({ uns: { ...adata.uns, markers } });
  },
});
