/**
 * Highly variable genes.
 *
 * `vst` (Seurat `FindVariableFeatures(selection.method = "vst")` = scanpy `seurat_v3`), on raw counts:
 * per gene mean and variance (n - 1); a loess (degree 2, span 0.3) of log10(variance) on log10(mean)
 * over genes with variance > 0 gives the expected variance sigma_j^2 = 10^fit; the standardized
 * variance is sum_i min((x_ij - mean_j) / sigma_j, sqrt(n))^2 / (n - 1) (values clipped above at
 * sqrt(nCells), as Seurat's `clip.max = "auto"`); genes are ranked by it (ties by gene order, R `order`).
 *
 * `dispersion` (Seurat `mean.var.plot` = scanpy `seurat`), on log-normalized X: mean
 * m_j = log1p(mean(expm1 x)), dispersion log(var(expm1 x) / mean(expm1 x)); genes are put in 20
 * equal-width bins of m_j and dispersions z-scored within a bin (a one-gene bin gives 1, as scanpy);
 * genes are ranked by the normalized dispersion (scanpy's `n_top_genes` rule).
 *
 * With a batch key (lot) the statistics, fit and ranking run within each batch and are combined as
 * scanpy `seurat_v3`: a gene's rank is the median of its ranks over the batches where it is in the
 * top `nTopGenes`; genes sort by that rank, ties by the number of such batches (more first).
 */
import type { CsrMatrix, Indptr } from '../core/sparse.js';
import { sumOverRowBlocks } from '../core/rowBlocks.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';
import { lotCodes } from '../qc/filterCells.js';
import { loessFit } from './loess.js';

/** Parameters of {@link selectHvgs}. */
export interface SelectHvgsParams {
  /** 'vst' (Seurat vst / scanpy seurat_v3, on counts) or 'dispersion' (Seurat mean.var.plot / scanpy seurat, on log data). @default 'vst' */
  flavor: 'vst' | 'dispersion';
  /** Number of genes to select. @default 2000 */
  nTopGenes: number;
  /** Loess span for vst. @default 0.3 */
  span: number;
  /**
   * Loess evaluation for vst: 'interpolate' (R's default k-d tree + cubic Hermite, as Seurat gets)
   * or 'direct' (exact local fit at every gene). On pbmc3k the 'interpolate' fit equals R's to 7e-12
   * and shares 1,999 of Seurat's 2,000 HVGs (the other sits in a four-way tie of identical scores
   * at ranks 1,998-2,001); 'direct' shares 1,998. @default 'interpolate'
   */
  loessSurface: 'interpolate' | 'direct';
  /** obs column whose categories are batches (e.g. 'lot'); null = one batch. @default null */
  batchKey: string | null;
  /** Compute on cells with obs `in_pool` true when that column exists (balanced pool). @default true */
  usePool: boolean;
}

/** Per-gene statistics of one batch. */
export interface HvgBatchStats {
  means: Float64Array;
  variances: Float64Array;
  /** vst: standardized variance; dispersion: normalized dispersion (NaN when undefined). */
  score: Float64Array;
  /** dispersion flavor only: log dispersion. */
  dispersions?: Float64Array;
}

/**
 * Kernel (vst) for the cells `rows` of a counts matrix (all cells when null).
 * @param counts - raw counts, cells x genes
 * @param rows - cell subset or null
 * @param span - loess span
 * @param surface - loess evaluation ('direct' exact, 'interpolate' as R's default)
 */
export async function vstStats(counts: CsrMatrix, rows: Int32Array | null, span: number, surface: 'direct' | 'interpolate' = 'direct', threads = 1): Promise<HvgBatchStats> {
  const G = counts.nCols;
  const n = rows ? rows.length : counts.nRows;
  const { indptr, indices, data } = counts;
  const matrix = [indptr, indices, data, rows];
  const [sum, nnz, sumSq, fractional] = await sumOverRowBlocks(import.meta.url, 'countSumsRows', [...matrix, G], n, counts.data.length, threads);
  const means = new Float64Array(G);
  for (let j = 0; j < G; j++) means[j] = sum[j] / n;
  const variances = new Float64Array(G);
  // Integer counts make both sums exact (below 2^53), so sum((x - mean)^2) = sum(x^2) - mean * sum(x)
  // is rounded once, to ~1e-16 of sum(x^2) (for counts, within ~1e-13 of the two-pass value, and 0
  // exactly for a constant gene). Other values take the two-pass form, which avoids cancellation.
  let exact = fractional[0] === 0;
  for (let j = 0; j < G && exact; j++) exact = sumSq[j] < 2 ** 53;
  let ss: Float64Array;
  if (exact) {
    ss = new Float64Array(G);
    for (let j = 0; j < G; j++) ss[j] = Math.max(0, sumSq[j] - means[j] * sum[j]);
  } else {
    [ss] = await sumOverRowBlocks(import.meta.url, 'squaredDeviationsRows', [...matrix, means], n, counts.data.length, threads);
    for (let j = 0; j < G; j++) ss[j] += (n - nnz[j]) * means[j] * means[j];
  }
  for (let j = 0; j < G; j++) variances[j] = n > 1 ? ss[j] / (n - 1) : 0;
  // loess of log10(var) on log10(mean) over non-constant genes.
  let m = 0;
  for (let j = 0; j < G; j++) if (variances[j] > 0) m++;
  const lx = new Float64Array(m), ly = new Float64Array(m), idx = new Int32Array(m);
  for (let j = 0, t = 0; j < G; j++) {
    if (variances[j] > 0) { lx[t] = Math.log10(means[j]); ly[t] = Math.log10(variances[j]); idx[t] = j; t++; }
  }
  const fit = m > 0 ? loessFit(lx, ly, { span, degree: 2, surface }) : new Float64Array(0);
  const sd = new Float64Array(G);
  for (let t = 0; t < m; t++) sd[idx[t]] = Math.sqrt(10 ** fit[t]);
  const vmax = Math.sqrt(n);
  const [acc] = await sumOverRowBlocks(import.meta.url, 'clippedSquaresRows', [...matrix, means, sd, vmax], n, counts.data.length, threads);
  const score = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    if (sd[j] === 0 || n < 2) continue; // constant gene: 0, as Seurat
    const z0 = means[j] / sd[j];
    score[j] = (acc[j] + (n - nnz[j]) * z0 * z0) / (n - 1);
  }
  return { means, variances, score };
}

/**
 * Kernel (dispersion) for the cells `rows` of log-normalized data.
 * @param logX - log1p-normalized values, cells x genes
 * @param rows - cell subset or null
 */
export async function dispersionStats(logX: CsrMatrix, rows: Int32Array | null, threads = 1): Promise<HvgBatchStats> {
  const G = logX.nCols;
  const n = rows ? rows.length : logX.nRows;
  const [sum, sumSq] = await sumOverRowBlocks(import.meta.url, 'expm1SumsRows', [logX.indptr, logX.indices, logX.data, rows, G], n, logX.data.length, threads);
  const means = new Float64Array(G), variances = new Float64Array(G), dispersions = new Float64Array(G);
  const logMean = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    const mu = sum[j] / n;
    means[j] = mu;
    variances[j] = n > 1 ? Math.max(0, (sumSq[j] - n * mu * mu) / (n - 1)) : 0;
    logMean[j] = Math.log1p(mu);
    // log(0 / 0) and log(0) are undefined: NaN, as scanpy (such genes are never selected).
    dispersions[j] = mu > 0 && variances[j] > 0 ? Math.log(variances[j] / mu) : NaN;
  }
  // 20 equal-width bins of the log mean (R `cut(breaks = 20)` / pandas `cut(bins = 20)`).
  const nBins = 20;
  let lo = Infinity, hi = -Infinity;
  for (let j = 0; j < G; j++) { if (logMean[j] < lo) lo = logMean[j]; if (logMean[j] > hi) hi = logMean[j]; }
  const width = (hi - lo) / nBins;
  const bin = new Int32Array(G);
  for (let j = 0; j < G; j++) bin[j] = width > 0 ? Math.min(nBins - 1, Math.max(0, Math.ceil((logMean[j] - lo) / width) - 1)) : 0;
  const bs = new Float64Array(nBins), bss = new Float64Array(nBins), bn = new Float64Array(nBins);
  for (let j = 0; j < G; j++) {
    if (Number.isNaN(dispersions[j])) continue;
    bs[bin[j]] += dispersions[j]; bn[bin[j]]++;
  }
  for (let b = 0; b < nBins; b++) bs[b] = bn[b] > 0 ? bs[b] / bn[b] : NaN;
  for (let j = 0; j < G; j++) {
    if (Number.isNaN(dispersions[j])) continue;
    const d = dispersions[j] - bs[bin[j]];
    bss[bin[j]] += d * d;
  }
  const score = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    const b = bin[j];
    if (Number.isNaN(dispersions[j])) { score[j] = NaN; continue; }
    if (bn[b] < 2) { score[j] = 1; continue; } // one-gene bin (scanpy)
    const sd = Math.sqrt(bss[b] / (bn[b] - 1));
    score[j] = sd > 0 ? (dispersions[j] - bs[b]) / sd : 0;
  }
  return { means: logMean, variances, score, dispersions };
}

/*
 * Worker kernels of the per-gene passes: each sums over the cells at positions [t0, t1) of `rows`
 * (row t itself when `rows` is null) and returns per-gene partial sums, added in block order by
 * `sumOverRowBlocks`.
 */

/**
 * Per-gene sums of counts, of stored entries and of squared counts (pass 1 of vst), and the number
 * of stored values that are not integers (as a one-element array). Four entries per turn of the
 * loop (~1.4x faster in V8 than one); a gene occurs once per row, so its sums are taken in the same
 * order as by the plain loop.
 */
export function countSumsRows(indptr: Indptr, indices: Int32Array, data: Float32Array, rows: Int32Array | null, G: number, t0: number, t1: number): Float64Array[] {
  const sum = new Float64Array(G), nnz = new Float64Array(G), sumSq = new Float64Array(G);
  let fractional = 0;
  for (let t = t0; t < t1; t++) {
    const i = rows ? rows[t] : t;
    const end = indptr[i + 1];
    let k = indptr[i];
    for (; k + 3 < end; k += 4) {
      const j0 = indices[k], j1 = indices[k + 1], j2 = indices[k + 2], j3 = indices[k + 3];
      const v0 = data[k], v1 = data[k + 1], v2 = data[k + 2], v3 = data[k + 3];
      sum[j0] += v0;
      sum[j1] += v1;
      sum[j2] += v2;
      sum[j3] += v3;
      sumSq[j0] += v0 * v0;
      sumSq[j1] += v1 * v1;
      sumSq[j2] += v2 * v2;
      sumSq[j3] += v3 * v3;
      nnz[j0]++;
      nnz[j1]++;
      nnz[j2]++;
      nnz[j3]++;
      fractional += (v0 === Math.floor(v0) ? 0 : 1) + (v1 === Math.floor(v1) ? 0 : 1) + (v2 === Math.floor(v2) ? 0 : 1) + (v3 === Math.floor(v3) ? 0 : 1);
    }
    for (; k < end; k++) {
      const j = indices[k];
      const v = data[k];
      sum[j] += v;
      sumSq[j] += v * v;
      nnz[j]++;
      fractional += v === Math.floor(v) ? 0 : 1;
    }
  }
  return [sum, nnz, sumSq, Float64Array.of(fractional)];
}

/** Per-gene sums of squared deviations of the stored entries from `means` (pass 2 of vst). */
export function squaredDeviationsRows(indptr: Indptr, indices: Int32Array, data: Float32Array, rows: Int32Array | null, means: Float64Array, t0: number, t1: number): Float64Array[] {
  const ss = new Float64Array(means.length);
  for (let t = t0; t < t1; t++) {
    const i = rows ? rows[t] : t;
    const end = indptr[i + 1];
    for (let k = indptr[i]; k < end; k++) {
      const j = indices[k];
      const d = data[k] - means[j];
      ss[j] += d * d;
    }
  }
  return [ss];
}

/**
 * Per-gene sums of squared standardized values clipped at `vmax` (Seurat vst; genes with sd 0 add
 * nothing). Four entries per turn of the loop, in the plain loop's order for each gene.
 */
export function clippedSquaresRows(indptr: Indptr, indices: Int32Array, data: Float32Array, rows: Int32Array | null, means: Float64Array, sd: Float64Array, vmax: number, t0: number, t1: number): Float64Array[] {
  const acc = new Float64Array(means.length);
  for (let t = t0; t < t1; t++) {
    const i = rows ? rows[t] : t;
    const end = indptr[i + 1];
    let k = indptr[i];
    for (; k + 3 < end; k += 4) {
      const j0 = indices[k], j1 = indices[k + 1], j2 = indices[k + 2], j3 = indices[k + 3];
      acc[j0] += clippedSquare(data[k], means[j0], sd[j0], vmax);
      acc[j1] += clippedSquare(data[k + 1], means[j1], sd[j1], vmax);
      acc[j2] += clippedSquare(data[k + 2], means[j2], sd[j2], vmax);
      acc[j3] += clippedSquare(data[k + 3], means[j3], sd[j3], vmax);
    }
    for (; k < end; k++) acc[indices[k]] += clippedSquare(data[k], means[indices[k]], sd[indices[k]], vmax);
  }
  return [acc];
}

/** min((x - mean) / sd, vmax)^2, 0 when sd is 0 (adding +0 leaves a sum unchanged). */
function clippedSquare(x: number, mean: number, sd: number, vmax: number): number {
  const z = Math.min((x - mean) / sd, vmax);
  return sd !== 0 ? z * z : 0;
}

/** Per-gene sums of expm1(x) and its square (the dispersion flavor works on the linear scale). */
export function expm1SumsRows(indptr: Indptr, indices: Int32Array, data: Float32Array, rows: Int32Array | null, G: number, t0: number, t1: number): Float64Array[] {
  const sum = new Float64Array(G), sumSq = new Float64Array(G);
  for (let t = t0; t < t1; t++) {
    const i = rows ? rows[t] : t;
    const end = indptr[i + 1];
    for (let k = indptr[i]; k < end; k++) {
      const v = Math.expm1(data[k]);
      sum[indices[k]] += v;
      sumSq[indices[k]] += v * v;
    }
  }
  return [sum, sumSq];
}

/** 0-based rank of each gene by decreasing score (NaN last, ties by gene order); rank >= nTop -> NaN. */
export function topRanks(score: Float64Array, nTop: number): Float64Array {
  const G = score.length;
  const order = Int32Array.from({ length: G }, (_, t) => t).sort((a, b) => {
    const sa = score[a], sb = score[b];
    const na = Number.isNaN(sa), nb = Number.isNaN(sb);
    if (na || nb) return na === nb ? a - b : na ? 1 : -1;
    return sb - sa || a - b;
  });
  const rank = new Float64Array(G).fill(NaN);
  for (let t = 0; t < Math.min(nTop, G); t++) if (!Number.isNaN(score[order[t]])) rank[order[t]] = t;
  return rank;
}

/** Result of {@link combineBatchRanks}. */
export interface HvgSelection {
  /** 1 for selected genes. */
  highlyVariable: Uint8Array;
  /** Median rank over batches where the gene is in the top (NaN for unselected genes). */
  rank: Float64Array;
  /** Batches in which the gene is in the top. */
  nBatches: Float64Array;
}

/**
 * Combines per-batch top ranks as scanpy seurat_v3: median rank, then more batches first.
 * @param ranks - one Float64Array per batch from {@link topRanks}
 * @param nTop - genes to select
 */
export function combineBatchRanks(ranks: Float64Array[], nTop: number): HvgSelection {
  const G = ranks[0].length;
  const med = new Float64Array(G).fill(NaN);
  const nb = new Float64Array(G);
  const buf = new Float64Array(ranks.length);
  for (let j = 0; j < G; j++) {
    let c = 0;
    for (let b = 0; b < ranks.length; b++) if (!Number.isNaN(ranks[b][j])) buf[c++] = ranks[b][j];
    nb[j] = c;
    if (c > 0) {
      const s = buf.subarray(0, c).sort();
      med[j] = c % 2 ? s[c >> 1] : (s[(c >> 1) - 1] + s[c >> 1]) / 2;
    }
  }
  const order = Int32Array.from({ length: G }, (_, t) => t).sort((a, b) => {
    const na = Number.isNaN(med[a]), nbb = Number.isNaN(med[b]);
    if (na || nbb) return na === nbb ? a - b : na ? 1 : -1;
    return med[a] - med[b] || nb[b] - nb[a] || a - b;
  });
  const highlyVariable = new Uint8Array(G);
  const rank = new Float64Array(G).fill(NaN);
  for (let t = 0; t < Math.min(nTop, G); t++) {
    const j = order[t];
    if (Number.isNaN(med[j])) break;
    highlyVariable[j] = 1;
    rank[j] = med[j];
  }
  return { highlyVariable, rank, nBatches: nb };
}

/**
 * Step `select_hvgs`: writes var `highly_variable`, `means`, `variances`, `variances_norm` (vst;
 * averaged over batches) or `dispersions`, `dispersions_norm` (dispersion), `highly_variable_rank`,
 * `highly_variable_nbatches`, and uns `hvg` {flavor}.
 * @example await selectHvgs(adata, { flavor: 'vst', nTopGenes: 2000 });
 */
export const selectHvgs = defineStep<SelectHvgsParams>({
  name: 'select_hvgs',
  defaults: { flavor: 'vst', nTopGenes: 2000, span: 0.3, loessSurface: 'interpolate', batchKey: null, usePool: true },
  validate: (p) => {
    if (p.flavor !== 'vst' && p.flavor !== 'dispersion') throw new UsageError(`flavor must be 'vst' or 'dispersion', got ${JSON.stringify(p.flavor)}`);
    if (!(Number.isInteger(p.nTopGenes) && p.nTopGenes > 0)) throw new UsageError(`nTopGenes must be a positive integer, got ${p.nTopGenes}`);
    if (!(p.span > 0 && p.span <= 1)) throw new UsageError(`span must be in (0, 1], got ${p.span}`);
    if (p.loessSurface !== 'interpolate' && p.loessSurface !== 'direct') throw new UsageError(`loessSurface must be 'interpolate' or 'direct', got ${JSON.stringify(p.loessSurface)}`);
  },
  run: async (adata, p, ctx) => {
    const counts = adata.layers.counts;
    if (p.flavor === 'vst' && !counts) throw new AnalysisError("select_hvgs (vst) needs raw counts in layers.counts; run log_normalize first");
    const mat = p.flavor === 'vst' ? counts! : adata.X;
    if (p.nTopGenes > adata.nVars) ctx.log.warn({ nTopGenes: p.nTopGenes, nVars: adata.nVars }, 'nTopGenes exceeds the number of genes; selecting all');
    // Cells used: the balanced pool when marked.
    const pool = p.usePool ? adata.obs.get('in_pool') : undefined;
    let cells: Int32Array | null = null;
    if (pool && pool.kind === 'bool') {
      let m = 0;
      for (let i = 0; i < pool.values.length; i++) m += pool.values[i];
      cells = new Int32Array(m);
      for (let i = 0, t = 0; i < pool.values.length; i++) if (pool.values[i]) cells[t++] = i;
    }
    const batches: (Int32Array | null)[] = [];
    if (p.batchKey === null) batches.push(cells);
    else {
      if (!adata.obs.has(p.batchKey)) throw new AnalysisError(`select_hvgs: obs has no batch column '${p.batchKey}'`);
      const { codes, labels } = lotCodes(adata.obs, p.batchKey);
      const all = cells ?? Int32Array.from({ length: adata.nObs }, (_, i) => i);
      for (let b = 0; b < labels.length; b++) {
        const sel = all.filter((i) => codes[i] === b);
        if (sel.length > 1) batches.push(sel);
      }
      if (batches.length === 0) throw new AnalysisError(`select_hvgs: no batch in '${p.batchKey}' has 2 or more cells`);
    }
    const statsOf = (rows: Int32Array | null): Promise<HvgBatchStats> =>
      p.flavor === 'vst' ? vstStats(mat, rows, p.span, p.loessSurface, ctx.threads) : dispersionStats(mat, rows, ctx.threads);
    const stats: HvgBatchStats[] = [];
    for (const rows of batches) stats.push(await statsOf(rows));
    const sel = combineBatchRanks(stats.map((s) => topRanks(s.score, p.nTopGenes)), p.nTopGenes);
    // Means and variances over all used cells (scanpy reports them on the whole data).
    const whole = batches.length === 1 ? stats[0] : await statsOf(cells);
    const G = adata.nVars;
    const avgScore = new Float64Array(G);
    for (const s of stats) for (let j = 0; j < G; j++) avgScore[j] += s.score[j] / stats.length;
    let vars = adata.var
      .with('highly_variable', { kind: 'bool', values: sel.highlyVariable })
      .withNumeric('means', whole.means)
      .withNumeric('variances', whole.variances);
    if (p.flavor === 'vst') vars = vars.withNumeric('variances_norm', avgScore);
    else vars = vars.withNumeric('dispersions', whole.dispersions!).withNumeric('dispersions_norm', avgScore);
    vars = vars.withNumeric('highly_variable_rank', sel.rank).withNumeric('highly_variable_nbatches', sel.nBatches);
    let nHvg = 0;
    for (let j = 0; j < G; j++) nHvg += sel.highlyVariable[j];
    ctx.log.info({ nHvg, nBatches: batches.length, nCells: cells ? cells.length : adata.nObs }, 'highly variable genes');
    return adata.with({ var: vars, uns: { ...adata.uns, hvg: { flavor: p.flavor === 'vst' ? 'seurat_v3' : 'seurat', n_top_genes: p.nTopGenes } } });
  },
});
