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
 * Sparse algorithm (markerStatsKernel.ts): per gene only the non-zeros are ranked, the zeros
 * forming one tie block, and all groups are handled in the same pass: the gene is ranked once and
 * rank sums, counts and sums accumulate into per-group slots indexed by an integer group code per
 * cell. No dense cells x genes matrix is formed.
 *
 * Threads: genes are split into a fixed number of blocks (independent of `threads`), each block is
 * one task in a worker via `parallelMap` (for a CSR input the task also transposes its genes), and
 * blocks are stitched in order, so the output is bit-identical for any thread count.
 */
import type { AnnDataLite, Json } from '../core/adata.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { columnStrings } from '../core/frame.js';
import { parallelMap, sharedWhen, splitRange } from '../core/parallel.js';
import { rowBlocks, threadsFor } from '../core/rowBlocks.js';
import { type CsrMatrix, type Indptr, allocIndptr, nnzOf } from '../core/sparse.js';
import { defineStep } from '../core/step.js';
import { FIELDS, type MarkerTest } from './markerStatsKernel.js';
import { topMarkers, type MarkerTable } from './topMarkers.js';

export { markerStatsBlock, type MarkerTest } from './markerStatsKernel.js';

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

/** Number of gene blocks: fixed so that results never depend on the thread count. */
const N_BLOCKS = 64;

/** The kernels' module (workers import it by URL). */
const KERNEL_URL = new URL(import.meta.url.endsWith('.ts') ? './markerStatsKernel.ts' : './markerStatsKernel.js', import.meta.url).href;

/**
 * Where each gene block begins in every row of a CSR (see `geneBlockStarts`), computed over fixed
 * row blocks in workers: (nBlocks + 1) offsets per row, block-major; and the entries of each gene.
 */
async function geneBlockStartsOf(x: CsrMatrix, blocks: Int32Array, shared: boolean, threads: number): Promise<{ starts: Indptr; perGene: Float64Array }> {
  const nBlocks = blocks.length / 2;
  const nnz = nnzOf(x);
  const blockEnds = new Int32Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) blockEnds[b] = blocks[2 * b + 1];
  const starts = allocIndptr((nBlocks + 1) * x.nRows, nnz);
  const rows = rowBlocks(x.nRows, nnz);
  const indptr = sharedWhen(x.indptr, shared);
  const indices = sharedWhen(x.indices, shared);
  const tasks: unknown[][] = [];
  for (let r = 0; r < rows.length; r += 2) tasks.push([indptr, indices, x.nCols, blockEnds, starts, x.nRows, rows[r], rows[r + 1]]);
  const counts = await parallelMap<Float64Array>(KERNEL_URL, 'geneBlockStarts', tasks, threadsFor(threads, nnz));
  const perGene = counts[0];
  for (let t = 1; t < counts.length; t++) for (let j = 0; j < perGene.length; j++) perGene[j] += counts[t][j];
  return { starts, perGene };
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
  const codesArg = sharedWhen(codes, useWorkers);
  const blocks = splitRange(nGenes, N_BLOCKS);
  const nBlocks = blocks.length / 2;
  let parts: Float64Array[][];
  if ('format' in x && x.format === 'csr') {
    // Each task transposes its own genes from the CSR (only a block's worth of a second copy per
    // thread is alive at a time), reading each row's part of the block from `starts`.
    const indices = sharedWhen(x.indices, useWorkers);
    const data = sharedWhen(x.data, useWorkers);
    const { starts, perGene } = await geneBlockStartsOf(x, blocks, useWorkers, threads);
    const offsets: Float64Array[] = [];
    let maxEntries = 0;
    let longestGene = 0;
    for (let b = 0; b < nBlocks; b++) {
      const g0 = blocks[2 * b];
      const g1 = blocks[2 * b + 1];
      const o = new Float64Array(g1 - g0 + 1);
      for (let j = g0; j < g1; j++) {
        o[j - g0 + 1] = o[j - g0] + perGene[j];
        longestGene = Math.max(longestGene, perGene[j]);
      }
      maxEntries = Math.max(maxEntries, o[g1 - g0]);
      offsets.push(o);
    }
    const tasks: unknown[][] = [];
    for (let b = 0; b < nBlocks; b++) {
      tasks.push([indices, data, starts, x.nRows, b, offsets[b], maxEntries, longestGene, codesArg, nGroups, pairwise, blocks[2 * b], blocks[2 * b + 1], test]);
    }
    parts = await parallelMap<Float64Array[]>(KERNEL_URL, 'markerStatsCsrBlock', tasks, threads);
  } else {
    const indptr = sharedWhen(x.indptr, useWorkers);
    const indices = sharedWhen(x.indices, useWorkers);
    const data = sharedWhen(x.data, useWorkers);
    const tasks: unknown[][] = [];
    for (let b = 0; b < nBlocks; b++) tasks.push([indptr, indices, data, codesArg, nGroups, pairwise, blocks[2 * b], blocks[2 * b + 1], test]);
    parts = await parallelMap<Float64Array[]>(KERNEL_URL, 'markerStatsBlock', tasks, threads);
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
