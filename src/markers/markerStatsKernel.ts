/**
 * Worker kernels of `computeMarkerStats`: for a block of genes, the statistics of every group
 * against the rest (or group 0 against group 1), read from a CSC matrix or transposed from a CSR
 * one. See findMarkers.ts for the statistics and their R definitions.
 *
 * Per gene only the non-zeros of included cells are ranked; all zeros form one tie block whose
 * average rank is (#negatives) + (nZero + 1)/2. Float32 values are ranked by an LSD radix sort of
 * order-preserving 32-bit keys, carrying each value's group code (O(m) per gene; faster than a
 * comparison sort for the 1e2-1e5 non-zeros of a gene). Its digit width follows the gene: the keys'
 * range sets the bits to sort and the number of non-zeros the cost of a pass, so that a gene with
 * a hundred non-zeros does not pay for 2,048-bucket histograms. Float64 values (data normalized in
 * double precision, whose exact ties R's values would have) are sorted natively instead.
 *
 * Radix sorts and the transposition are written by hand: no library ranks sparse columns by group.
 */
import type { Indptr } from '../core/sparse.js';
import { expm1Fast } from '../stats/expm1Fast.js';
import { normalUpperTail } from '../stats/normal.js';
import { averageRanksOfSorted, lowerBound } from '../stats/rankWithTies.js';
import { studentTUpperTail } from '../stats/studentT.js';

/** Which test gives the p-value. */
export type MarkerTest = 'wilcoxon' | 'welch';

/** Names of the Float64 result arrays, in the order a block returns them. */
export const FIELDS = ['pval', 'stat', 'auc', 'log2fc', 'pctIn', 'pctOut', 'meanIn', 'meanOut'] as const;

/** Widest radix digit: a 2,048-entry histogram. */
const MAX_DIGIT_BITS = 11;

/** Genes with at most this many non-zeros are sorted by insertion (no histograms at all). */
const INSERTION_SORT_MAX = 32;

/** Sign bit of a 32-bit key: keys below it belong to negative values. */
const SIGN_BIT = 0x80000000;

/** Per-group sums of one gene, and the block's outputs; reused gene after gene. */
class BlockStats {
  readonly out: Float64Array[];
  /** Included cells per group, and the size of each group's comparison set. */
  readonly size: Float64Array;
  readonly rest: Float64Array;
  /** Included cells in all. */
  readonly n: number;
  readonly nnz: Float64Array;
  readonly sumExpm1: Float64Array;
  readonly sum: Float64Array;
  readonly sumSqDev: Float64Array;
  readonly rankSum: Float64Array;

  constructor(
    codes: Int32Array,
    readonly nGroups: number,
    readonly pairwise: boolean,
    readonly width: number,
    readonly test: MarkerTest,
  ) {
    this.out = FIELDS.map(() => new Float64Array(nGroups * width));
    this.size = new Float64Array(nGroups);
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) this.size[codes[i]]++;
    let n = 0;
    for (let g = 0; g < nGroups; g++) n += this.size[g];
    this.n = n;
    this.rest = new Float64Array(nGroups);
    for (let g = 0; g < nGroups; g++) this.rest[g] = pairwise ? (g === 0 ? this.size[1] : this.size[0]) : n - this.size[g];
    this.nnz = new Float64Array(nGroups);
    this.sumExpm1 = new Float64Array(nGroups);
    this.sum = new Float64Array(nGroups);
    this.sumSqDev = new Float64Array(nGroups);
    this.rankSum = new Float64Array(nGroups);
  }

  /** Clears the per-gene sums. */
  startGene(): void {
    this.nnz.fill(0);
    this.sumExpm1.fill(0);
    this.sum.fill(0);
    this.sumSqDev.fill(0);
    this.rankSum.fill(0);
  }

  /** Adds a gene's non-zeros `vals[s, s + m)` (cell order) with group codes `cds` to the counts and sums. */
  addValues(vals: Float32Array | Float64Array, cds: Int32Array, s: number, m: number): void {
    const { nnz, sum, sumExpm1 } = this;
    for (let t = s; t < s + m; t++) {
      const c = cds[t];
      const v = vals[t];
      nnz[c]++;
      sumExpm1[c] += expm1Fast(v);
      sum[c] += v;
    }
  }

  /** Adds the zero block (rank `zeroRank`) to every group's rank sum. */
  addZeroRanks(zeroRank: number): void {
    const { nGroups, size, nnz, rankSum } = this;
    for (let g = 0; g < nGroups; g++) rankSum[g] += (size[g] - nnz[g]) * zeroRank;
  }

  /**
   * Welch's within-group sums of squared deviations: a second pass over the non-zeros (two-pass
   * variance), zeros contributing mean^2 each.
   */
  addSquaredDeviations(vals: Float32Array | Float64Array, cds: Int32Array, s: number, m: number): void {
    const { nGroups, size, nnz, sum, sumSqDev } = this;
    for (let t = s; t < s + m; t++) {
      const c = cds[t];
      const dv = vals[t] - sum[c] / size[c];
      sumSqDev[c] += dv * dv;
    }
    for (let g = 0; g < nGroups; g++) {
      const mean = sum[g] / size[g];
      sumSqDev[g] += (size[g] - nnz[g]) * mean * mean;
    }
  }

  /** Writes the statistics of gene `jb` (local to the block) from its sums, rank sums and tie term. */
  finishGene(jb: number, tieSum: number): void {
    const { nGroups, pairwise, width, size, rest, nnz, sumExpm1, sum, sumSqDev, rankSum } = this;
    const [pvalOut, statOut, aucOut, fcOut, pctInOut, pctOutOut, meanInOut, meanOutOut] = this.out;
    let totNnz = 0;
    let totExpm1 = 0;
    let totSum = 0;
    for (let g = 0; g < nGroups; g++) {
      totNnz += nnz[g];
      totExpm1 += sumExpm1[g];
      totSum += sum[g];
    }
    for (let g = 0; g < nGroups; g++) {
      const o = g * width + jb;
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
      const w = rankSum[g] - (n1 * (n1 + 1)) / 2;
      aucOut[o] = w / (n1 * n2);
      if (n1 === 0 || n2 === 0) {
        pvalOut[o] = NaN;
        statOut[o] = NaN;
        continue;
      }
      if (this.test === 'wilcoxon') {
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
}

/** Buffers of the radix ranking, for genes of up to `capacity` non-zeros. */
interface RankScratch {
  keyA: Uint32Array;
  keyB: Uint32Array;
  codeA: Int32Array;
  codeB: Int32Array;
  counts: Int32Array;
}

function rankScratch(capacity: number): RankScratch {
  return {
    keyA: new Uint32Array(capacity),
    keyB: new Uint32Array(capacity),
    codeA: new Int32Array(capacity),
    codeB: new Int32Array(capacity),
    counts: new Int32Array(1 << MAX_DIGIT_BITS),
  };
}

/**
 * Digit width for an LSD radix sort of `m` keys spanning `nBits` bits: the fewest passes is not
 * always cheapest, since each pass also clears and sums a histogram of 2^width entries.
 */
function digitBits(m: number, nBits: number): number {
  let best = MAX_DIGIT_BITS;
  let bestCost = Infinity;
  for (let passes = Math.ceil(nBits / MAX_DIGIT_BITS); passes <= nBits; passes++) {
    const width = Math.ceil(nBits / passes);
    // Per pass: a count and a scatter per key (about 2 units each), a clear and a sum per bucket.
    const cost = passes * (4 * m + 2 * (1 << width));
    if (cost < bestCost) {
      bestCost = cost;
      best = width;
    }
    if (1 << width < m) break; // narrower digits only add passes
  }
  return best;
}

/**
 * Ranks one gene's non-zeros, Float32 values given by their bit patterns `bits[s, s + m)` with
 * group codes `cds[s, s + m)`, and adds each group's rank sum into `st.rankSum`, the zero block
 * (`nZero` cells) included. Returns sum(t^3 - t) over the tie runs of the non-zeros.
 */
function rankFloat32(bits: Uint32Array, cds: Int32Array, s: number, m: number, nZero: number, sc: RankScratch, st: BlockStats): number {
  const rankSum = st.rankSum;
  let keys = sc.keyA;
  let codes = sc.codeA;
  // Flip all bits of negatives, only the sign bit of positives: unsigned order = numeric order.
  // Equal keys <=> equal values (zeros, the only +0/-0 case, are not in the list).
  let lo = 0xffffffff;
  let hi = 0;
  for (let t = 0; t < m; t++) {
    const b = bits[s + t];
    const key = (b ^ (-(b >>> 31) | SIGN_BIT)) >>> 0;
    keys[t] = key;
    codes[t] = cds[s + t];
    if (key < lo) lo = key;
    if (key > hi) hi = key;
  }
  // Keys relative to the smallest: the bits to sort are those of the range only.
  for (let t = 0; t < m; t++) keys[t] -= lo;
  const range = m > 0 ? hi - lo : 0;
  if (range > 0) {
    if (m <= INSERTION_SORT_MAX) {
      insertionSortPairs(keys, codes, m);
    } else {
      let keysTmp = sc.keyB;
      let codesTmp = sc.codeB;
      const counts = sc.counts;
      const nBits = 32 - Math.clz32(range);
      const width = digitBits(m, nBits);
      const mask = (1 << width) - 1;
      for (let shift = 0; shift < nBits; shift += width) {
        counts.fill(0, 0, mask + 1);
        for (let t = 0; t < m; t++) counts[(keys[t] >>> shift) & mask]++;
        // A digit shared by every key leaves the order unchanged: skip the scatter.
        if (counts[(keys[0] >>> shift) & mask] === m) continue;
        let acc = 0;
        for (let b = 0; b <= mask; b++) {
          const cnt = counts[b];
          counts[b] = acc;
          acc += cnt;
        }
        for (let t = 0; t < m; t++) {
          const k = keys[t];
          const dst = counts[(k >>> shift) & mask]++;
          keysTmp[dst] = k;
          codesTmp[dst] = codes[t];
        }
        const tk = keys;
        keys = keysTmp;
        keysTmp = tk;
        const tc = codes;
        codes = codesTmp;
        codesTmp = tc;
      }
    }
  }
  // Relative keys below negBound belong to negative values (there are none when the smallest value is positive).
  const negBound = SIGN_BIT - lo;
  let nNeg = 0;
  while (nNeg < m && keys[nNeg] < negBound) nNeg++;
  let tieSum = 0;
  let start = 0;
  while (start < m) {
    const k = keys[start];
    let end = start + 1;
    while (end < m && keys[end] === k) end++;
    // Positions start..end-1 hold ranks start+1..end (before the zero block is inserted).
    const r = (start + 1 + end) / 2 + (start >= nNeg ? nZero : 0);
    for (let u = start; u < end; u++) rankSum[codes[u]] += r;
    const size = end - start;
    if (size > 1) tieSum += size * size * size - size;
    start = end;
  }
  st.addZeroRanks(nNeg + (nZero + 1) / 2);
  return tieSum;
}

/** Sorts keys[0, m) ascending, moving codes along. */
function insertionSortPairs(keys: Uint32Array, codes: Int32Array, m: number): void {
  for (let t = 1; t < m; t++) {
    const k = keys[t];
    const c = codes[t];
    let u = t - 1;
    while (u >= 0 && keys[u] > k) {
      keys[u + 1] = keys[u];
      codes[u + 1] = codes[u];
      u--;
    }
    keys[u + 1] = k;
    codes[u + 1] = c;
  }
}

/** The tie term t^3 - t of the block of `nZero` zeros. */
function zeroTies(nZero: number): number {
  return nZero > 1 ? nZero * nZero * nZero - nZero : 0;
}

/**
 * Statistics of one gene whose included non-zeros are `vals[s, s + m)` (Float32, bit patterns in
 * `bits`, the same memory) with group codes `cds[s, s + m)`, in cell order.
 */
function geneFloat32(vals: Float32Array, bits: Uint32Array, cds: Int32Array, s: number, m: number, jb: number, sc: RankScratch, st: BlockStats): void {
  st.startGene();
  st.addValues(vals, cds, s, m);
  const nZero = st.n - m;
  const tieSum = rankFloat32(bits, cds, s, m, nZero, sc, st) + zeroTies(nZero);
  if (st.test === 'welch') st.addSquaredDeviations(vals, cds, s, m);
  st.finishGene(jb, tieSum);
}

/** As {@link geneFloat32} for Float64 values `vals[0, m)`: a native sort, then each value's tie run by binary search. */
function geneFloat64(vals: Float64Array, cds: Int32Array, m: number, jb: number, sorted: Float64Array, rankAt: Float64Array, st: BlockStats): void {
  st.startGene();
  st.addValues(vals, cds, 0, m);
  const rankSum = st.rankSum;
  const nZero = st.n - m;
  const sortedView = sorted.subarray(0, m);
  sortedView.set(vals.subarray(0, m));
  sortedView.sort();
  const tieSum = averageRanksOfSorted(sortedView, m, rankAt) + zeroTies(nZero);
  const nNeg = lowerBound(sortedView, m, 0);
  for (let t = 0; t < m; t++) {
    const v = vals[t];
    const r = rankAt[lowerBound(sortedView, m, v)];
    rankSum[cds[t]] += v > 0 ? r + nZero : r;
  }
  st.addZeroRanks(nNeg + (nZero + 1) / 2);
  if (st.test === 'welch') st.addSquaredDeviations(vals, cds, 0, m);
  st.finishGene(jb, tieSum);
}

/**
 * Kernel for genes [j0, j1) of a CSC matrix: the statistics of every group, as one Float64Array
 * per field of length nGroups * (j1 - j0) (group-major), in the order of FIELDS.
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
  const st = new BlockStats(codes, nGroups, pairwise, j1 - j0, test);
  let maxLen = 0;
  for (let j = j0; j < j1; j++) maxLen = Math.max(maxLen, indptr[j + 1] - indptr[j]);
  const cds = new Int32Array(maxLen);
  if (data instanceof Float32Array) {
    const vals = new Float32Array(maxLen);
    const bits = new Uint32Array(vals.buffer);
    const sc = rankScratch(maxLen);
    for (let j = j0; j < j1; j++) {
      const m = gatherIncluded(indptr, indices, data, codes, j, vals, cds);
      geneFloat32(vals, bits, cds, 0, m, j - j0, sc, st);
    }
  } else {
    const vals = new Float64Array(maxLen);
    const sorted = new Float64Array(maxLen);
    const rankAt = new Float64Array(maxLen);
    for (let j = j0; j < j1; j++) {
      const m = gatherIncluded(indptr, indices, data, codes, j, vals, cds);
      geneFloat64(vals, cds, m, j - j0, sorted, rankAt, st);
    }
  }
  return st.out;
}

/** Copies the non-zeros of included cells of CSC column j, and their group codes; returns their number. */
function gatherIncluded<T extends Float32Array | Float64Array>(indptr: Indptr, indices: Int32Array, data: Float32Array | Float64Array, codes: Int32Array, j: number, vals: T, cds: Int32Array): number {
  let m = 0;
  const end = indptr[j + 1];
  for (let k = indptr[j]; k < end; k++) {
    const c = codes[indices[k]];
    const v = data[k];
    if (c < 0 || v === 0) continue;
    vals[m] = v;
    cds[m] = c;
    m++;
  }
  return m;
}

/**
 * Worker kernel: for CSR rows [r0, r1), where each gene block begins. `starts[b * nRows + i]` is
 * the first entry of row i with a gene >= the start of block b (b = 0..nBlocks, the last being the
 * row's end), so that a block's entries of row i are `[starts[b * nRows + i], starts[(b + 1) * nRows + i])`.
 * Writes only rows [r0, r1) of `starts`; checks that genes increase within every row.
 * @param blockEnds one past the last gene of each block, increasing.
 * @returns the entries of each gene in these rows (length nCols)
 */
export function geneBlockStarts(indptr: Indptr, indices: Int32Array, nCols: number, blockEnds: Int32Array, starts: Indptr, nRows: number, r0: number, r1: number): Float64Array {
  const nBlocks = blockEnds.length;
  const perGene = new Float64Array(nCols);
  for (let i = r0; i < r1; i++) {
    const rowEnd = indptr[i + 1];
    let k = indptr[i];
    starts[i] = k;
    let prev = -1;
    for (let b = 0; b < nBlocks; b++) {
      const end = blockEnds[b];
      for (; k < rowEnd; k++) {
        const j = indices[k];
        if (j <= prev) throw new Error(`computeMarkerStats: CSR row ${i} has gene ${j} after gene ${prev} (indices must increase within a row)`);
        if (j >= end) break;
        perGene[j]++;
        prev = j;
      }
      starts[(b + 1) * nRows + i] = k;
    }
  }
  return perGene;
}

/** Per-thread buffers of {@link markerStatsCsrBlock}: a block's transposed non-zeros and the ranking scratch. */
interface BlockScratch {
  /** Values of the block's included non-zeros, gene after gene, and their bit patterns (same memory). */
  vals: Float32Array;
  bits: Uint32Array;
  /** Group code of each. */
  cds: Int32Array;
  rank: RankScratch;
}

/**
 * Buffers reused from block to block within a thread: fresh ones for every block would cost their
 * page faults each time. They are dropped shortly after the last block (a weak reference would not
 * do: the main thread, running the blocks itself with one thread, collects often enough to clear it
 * between blocks).
 */
let cachedScratch: BlockScratch | null = null;
let dropScratch: ReturnType<typeof setTimeout> | null = null;

/** How long the buffers outlive their last use (milliseconds; the next block of a step comes at once). */
const SCRATCH_LINGER_MS = 25;

/**
 * The thread's buffers, for blocks of up to `entries` non-zeros and genes of up to `longestGene`.
 * Every block of a step asks for the same (the largest block's) sizes, so a thread allocates once.
 */
function blockScratch(entries: number, longestGene: number): BlockScratch {
  if (dropScratch) clearTimeout(dropScratch);
  dropScratch = setTimeout(() => {
    cachedScratch = null;
    dropScratch = null;
  }, SCRATCH_LINGER_MS);
  dropScratch.unref();
  const s = cachedScratch;
  if (s && s.vals.length >= entries && s.rank.keyA.length >= longestGene) return s;
  cachedScratch = null; // the old buffers are garbage before the new ones are allocated
  const vals = new Float32Array(entries);
  cachedScratch = { vals, bits: new Uint32Array(vals.buffer), cds: new Int32Array(entries), rank: rankScratch(longestGene) };
  return cachedScratch;
}

/**
 * Worker kernel for gene block `b` = genes [g0, g1) of a CSR matrix (cells x genes): transposes
 * the block's non-zeros of included cells into columns (cells increasing within each gene, as a
 * CSC holds them), then computes what {@link markerStatsBlock} computes for those genes. Each
 * block reads only its own part of every row (`starts` from {@link geneBlockStarts}), so blocks are
 * independent tasks and the transposition runs in the workers along with the statistics.
 * @param offsets where each gene's column begins in the block's buffer (g1 - g0 + 1 entries, from
 *   the genes' entry counts; a column may end early, by its zeros and left-out cells)
 * @param maxEntries the largest block's entries and `longestGene` the most entries of any gene: the
 *   sizes of the thread's buffers, the same for every block of the step
 */
export function markerStatsCsrBlock(
  indices: Int32Array,
  data: Float32Array,
  starts: Indptr,
  nRows: number,
  b: number,
  offsets: Float64Array,
  maxEntries: number,
  longestGene: number,
  codes: Int32Array,
  nGroups: number,
  pairwise: boolean,
  g0: number,
  g1: number,
  test: MarkerTest,
): Float64Array[] {
  const width = g1 - g0;
  const dataBits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const from = b * nRows;
  const to = from + nRows;
  const { vals, bits, cds, rank } = blockScratch(maxEntries, longestGene);
  // Int32 write positions: a block holds 1/64 of the genes, far below 2^31 entries.
  const next = Int32Array.from(offsets.subarray(0, width));
  for (let i = 0; i < nRows; i++) {
    const c = codes[i];
    if (c < 0) continue;
    const end = starts[to + i];
    for (let k = starts[from + i]; k < end; k++) {
      const v = dataBits[k];
      // Explicit zeros (+0 or -0) are zeros.
      if ((v & 0x7fffffff) === 0) continue;
      const dst = next[indices[k] - g0]++;
      bits[dst] = v;
      cds[dst] = c;
    }
  }
  const st = new BlockStats(codes, nGroups, pairwise, width, test);
  for (let j = 0; j < width; j++) {
    const s = offsets[j];
    geneFloat32(vals, bits, cds, s, next[j] - s, j, rank, st);
  }
  return st.out;
}
