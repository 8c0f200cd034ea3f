/**
 * Pooled size factors by deconvolution (Lun, Bach & Marioni 2016, Genome Biol 17:75; scran
 * `computeSumFactors`), written from the paper's definition:
 *
 * 1. Library-size-normalise each cell: e_gj = x_gj / L_j. The reference pseudo-cell is
 *    a_g = mean_j(e_gj) * mean(L) (count scale); only genes with a_g >= minMean are used.
 * 2. Order cells by library size and lay them on a ring (odd ranks ascending, then even ranks
 *    descending: scran's "sphere"), so every window of consecutive cells mixes small and large cells.
 * 3. For each pool size s in `sizes` and each start position, the pool's summed profile divided by
 *    the reference gives, by its median over genes, an estimate of sum_{j in pool} theta_j, where
 *    theta_j = sf_j / L_j (up to a common scale).
 * 4. Solve the overdetermined linear system in least squares, with one extra low-weight (1e-6)
 *    equation per cell theta_j = 1 / sum_g(a_g) (the library-size solution) that keeps it solvable, then sf_j = theta_j * L_j,
 *    centred to mean 1.
 *
 * The least-squares system is solved by conjugate gradients on the normal equations started from
 * the library-size solution (matrix-free: a window sum is a difference of cyclic prefix sums), not
 * by the dense QR scran uses; components the pools cannot resolve stay at the library-size value.
 * Cost: O(n * |sizes| * G) for the medians (G used genes) - scran recommends pre-clustering for
 * large data, and `clusters` runs the deconvolution within each cluster, rescaling clusters to the
 * first by the median ratio of their pseudo-cells.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { UsageError } from '../core/errors.js';

/** Options of {@link scranSizeFactorsKernel}. */
export interface ScranSizeFactorsOptions {
  /** Pool sizes. @default [21, 26, ..., 101] (scran `seq(21, 101, 5)`) */
  sizes?: number[];
  /** Minimum reference (average) count for a gene to be used. @default 0.1 */
  minMean?: number;
  /** Cluster code per cell; deconvolution runs within each cluster. @default one cluster */
  clusters?: Int32Array;
  /** Conjugate-gradient iterations on the normal equations. @default 500 */
  maxIter?: number;
}

/** In-place selection of the k-th smallest of a[0..n) (Hoare quickselect with median-of-three). */
export function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three pivot
    let x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        x = a[i]; a[i] = a[j]; a[j] = x;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

/** Median of a[0..n) (reorders `a`). */
function medianSelect(a: Float64Array, n: number): number {
  const h = n >> 1;
  const upper = selectKth(a, n, h);
  if (n % 2 === 1) return upper;
  // the largest of the lower half, which quickselect left in a[0..h)
  let lower = -Infinity;
  for (let t = 0; t < h; t++) if (a[t] > lower) lower = a[t];
  return (lower + upper) / 2;
}

/** The deconvolution within one group of cells; returns theta_j * L_j (unscaled size factors) and the pseudo-cell. */
function deconvolveGroup(x: CsrMatrix, cells: Int32Array, lib: Float64Array, sizes: number[], minMean: number, maxIter: number): { sf: Float64Array; ave: Float64Array } {
  const n = cells.length;
  const G = x.nCols;
  // Reference pseudo-cell on the count scale.
  let meanLib = 0;
  for (let t = 0; t < n; t++) meanLib += lib[cells[t]];
  meanLib /= n;
  const ave = new Float64Array(G);
  for (let t = 0; t < n; t++) {
    const i = cells[t];
    const inv = lib[i] > 0 ? 1 / lib[i] : 0;
    for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) ave[x.indices[k]] += x.data[k] * inv;
  }
  for (let g = 0; g < G; g++) ave[g] = (ave[g] / n) * meanLib;
  const used = new Int32Array(G).fill(-1);
  let nUsed = 0;
  let sumAve = 0;
  for (let g = 0; g < G; g++) {
    if (ave[g] >= minMean) used[g] = nUsed++;
  }
  const aveUsed = new Float64Array(nUsed);
  for (let g = 0; g < G; g++) {
    sumAve += ave[g];
    if (used[g] >= 0) aveUsed[used[g]] = ave[g];
  }
  const activeSizes = sizes.filter((s) => s <= n);
  const sf = new Float64Array(n);
  if (activeSizes.length === 0 || nUsed === 0) {
    // Too few cells or genes to pool: fall back to library sizes.
    for (let t = 0; t < n; t++) sf[t] = lib[cells[t]];
    return { sf, ave };
  }
  // Ring order (scran's sphere): odd ranks by increasing library size, then even ranks decreasing.
  const order = Int32Array.from({ length: n }, (_, t) => t).sort((a, b) => lib[cells[a]] - lib[cells[b]] || a - b);
  const ring = new Int32Array(n);
  let r = 0;
  for (let t = 0; t < n; t += 2) ring[r++] = order[t];
  for (let t = n % 2 === 0 ? n - 1 : n - 2; t >= 1; t -= 2) ring[r++] = order[t];
  // Right-hand sides: median ratio per (size, start).
  const nEq = activeSizes.length * n;
  const rhs = new Float64Array(nEq);
  const pooled = new Float64Array(nUsed);
  const ratio = new Float64Array(nUsed);
  const addCell = (pos: number, sign: number): void => {
    const i = cells[ring[pos % n]];
    const inv = lib[i] > 0 ? sign / lib[i] : 0;
    for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) {
      const u = used[x.indices[k]];
      if (u >= 0) pooled[u] += x.data[k] * inv;
    }
  };
  for (let si = 0; si < activeSizes.length; si++) {
    const s = activeSizes[si];
    pooled.fill(0);
    for (let pos = 0; pos < s; pos++) addCell(pos, 1);
    for (let start = 0; start < n; start++) {
      if (start > 0) {
        addCell(start - 1, -1);
        addCell(start + s - 1, 1);
      }
      for (let u = 0; u < nUsed; u++) ratio[u] = pooled[u] / aveUsed[u];
      rhs[si * n + start] = medianSelect(ratio, nUsed);
    }
  }
  // Normal equations (A^T A + w I) theta = A^T b + w * theta0, in ring coordinates, by CG.
  const w = 1e-6;
  const theta0 = 1 / sumAve;
  const prefix = new Float64Array(2 * n + 1);
  const applyA = (v: Float64Array, out: Float64Array): void => {
    // window sums over the doubled ring via prefix sums
    for (let p = 0; p < 2 * n; p++) prefix[p + 1] = prefix[p] + v[p % n];
    for (let si = 0; si < activeSizes.length; si++) {
      const s = activeSizes[si];
      for (let start = 0; start < n; start++) out[si * n + start] = prefix[start + s] - prefix[start];
    }
  };
  const diff = new Float64Array(n + 1);
  const applyAt = (y: Float64Array, out: Float64Array): void => {
    // each window adds its value to s consecutive (cyclic) positions: difference array
    diff.fill(0);
    const wrap = new Float64Array(n + 1);
    for (let si = 0; si < activeSizes.length; si++) {
      const s = activeSizes[si];
      for (let start = 0; start < n; start++) {
        const v = y[si * n + start];
        const end = start + s;
        diff[start] += v;
        if (end <= n) diff[end] -= v;
        else { diff[n] -= v; wrap[0] += v; wrap[end - n] -= v; }
      }
    }
    let acc = 0, accW = 0;
    for (let p = 0; p < n; p++) { acc += diff[p]; accW += wrap[p]; out[p] = acc + accW; }
  };
  const tmpEq = new Float64Array(nEq);
  const normalOp = (v: Float64Array, out: Float64Array): void => {
    applyA(v, tmpEq);
    applyAt(tmpEq, out);
    for (let p = 0; p < n; p++) out[p] += w * v[p];
  };
  const b = new Float64Array(n);
  applyAt(rhs, b);
  for (let p = 0; p < n; p++) b[p] += w * theta0;
  const theta = new Float64Array(n).fill(theta0);
  const res = new Float64Array(n);
  normalOp(theta, res);
  for (let p = 0; p < n; p++) res[p] = b[p] - res[p];
  const dir = res.slice();
  const q = new Float64Array(n);
  let rr = 0, bb = 0;
  for (let p = 0; p < n; p++) { rr += res[p] * res[p]; bb += b[p] * b[p]; }
  for (let it = 0; it < maxIter && rr > 1e-24 * bb; it++) {
    normalOp(dir, q);
    let dq = 0;
    for (let p = 0; p < n; p++) dq += dir[p] * q[p];
    const alpha = rr / dq;
    let rrNew = 0;
    for (let p = 0; p < n; p++) {
      theta[p] += alpha * dir[p];
      res[p] -= alpha * q[p];
      rrNew += res[p] * res[p];
    }
    const beta = rrNew / rr;
    rr = rrNew;
    for (let p = 0; p < n; p++) dir[p] = res[p] + beta * dir[p];
  }
  for (let p = 0; p < n; p++) sf[ring[p]] = theta[p] * lib[cells[ring[p]]];
  return { sf, ave };
}

/**
 * Kernel: scran pooled size factors, centred to mean 1 over cells with positive factors.
 * Non-positive estimates (possible for very sparse cells) are replaced by the library-size factor
 * and counted in `nNonPositive`.
 * @param x - raw counts, cells x genes
 */
export function scranSizeFactorsKernel(x: CsrMatrix, options: ScranSizeFactorsOptions): { sizeFactors: Float64Array; nNonPositive: number } {
  const sizes = options.sizes ?? Array.from({ length: 17 }, (_, t) => 21 + 5 * t);
  const minMean = options.minMean ?? 0.1;
  const maxIter = options.maxIter ?? 500;
  for (const s of sizes) if (!(Number.isInteger(s) && s >= 1)) throw new UsageError(`pool sizes must be positive integers, got ${s}`);
  const n = x.nRows;
  const lib = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) lib[i] += x.data[k];
  const clusters = options.clusters ?? new Int32Array(n);
  let nClusters = 0;
  for (let i = 0; i < n; i++) if (clusters[i] + 1 > nClusters) nClusters = clusters[i] + 1;
  const sf = new Float64Array(n);
  let refAve: Float64Array | null = null;
  for (let c = 0; c < nClusters; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) if (clusters[i] === c) m++;
    if (m === 0) continue;
    const cells = new Int32Array(m);
    for (let i = 0, t = 0; i < n; i++) if (clusters[i] === c) cells[t++] = i;
    const { sf: local, ave } = deconvolveGroup(x, cells, lib, sizes, minMean, maxIter);
    // Rescale to the first cluster (scran's pseudo-cell rescaling): within a cluster a factor of 1
    // means "like that cluster's pseudo-cell" (count-scale profile ave_c, whose theta is 1/sum(ave_c)),
    // so multiplying by median_g(ave_c / ave_ref) over genes above minMean in both puts every cluster
    // on the reference pseudo-cell's scale.
    let scale = 1;
    if (refAve === null) refAve = ave;
    else {
      const ratios = new Float64Array(ave.length);
      let nr = 0;
      for (let g = 0; g < ave.length; g++) if (ave[g] >= minMean && refAve[g] >= minMean) ratios[nr++] = ave[g] / refAve[g];
      if (nr > 0) scale = medianSelect(ratios, nr);
    }
    for (let t = 0; t < m; t++) sf[cells[t]] = local[t] * scale;
  }
  // Replace non-positive estimates by library-size factors on the same scale.
  let nNonPositive = 0;
  let sumPos = 0, sumLibPos = 0;
  for (let i = 0; i < n; i++) if (sf[i] > 0) { sumPos += sf[i]; sumLibPos += lib[i]; }
  const libScale = sumLibPos > 0 ? sumPos / sumLibPos : 1;
  for (let i = 0; i < n; i++) if (!(sf[i] > 0)) { sf[i] = lib[i] * libScale; nNonPositive++; }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sf[i];
  mean /= n;
  if (mean > 0) for (let i = 0; i < n; i++) sf[i] /= mean;
  return { sizeFactors: sf, nNonPositive };
}
