/**
 * Gene filter by the number of cells in which a gene is detected (Seurat `CreateSeuratObject(min.cells = 3)`
 * keeps genes with `rowSums(counts > 0) >= min.cells`; scanpy `filter_genes(min_cells=3)` is the same,
 * inclusive). Computed on raw counts: `layers.counts` when present, otherwise X.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';
import { computeQcMetricsKernel, computeQcMetricsParallel } from './computeQcMetrics.js';

/** Parameters of {@link filterGenes}. */
export interface FilterGenesParams {
  /** Keep genes detected (count > 0) in at least this many cells (inclusive). @default 3 */
  minCells: number;
  /** Keep genes with at least this many total counts (inclusive); 0 = off. @default 0 */
  minCounts: number;
}

/**
 * Kernel: cells detected and total counts per gene, and the keep mask.
 * @param counts - raw counts, cells x genes
 */
export function filterGenesKernel(counts: CsrMatrix, p: FilterGenesParams): GeneFilterResult {
  const none = new Uint8Array(counts.nCols);
  const m = computeQcMetricsKernel(counts, none, none);
  return geneFilter(m.geneNCells, m.geneTotalCounts, p);
}

/** {@link filterGenesKernel} with the per-gene sums computed in worker threads (same result for any `threads`). */
export async function filterGenesParallel(counts: CsrMatrix, p: FilterGenesParams, threads: number): Promise<GeneFilterResult> {
  const none = new Uint8Array(counts.nCols);
  const m = await computeQcMetricsParallel(counts, none, none, threads);
  return geneFilter(m.geneNCells, m.geneTotalCounts, p);
}

/** Output of {@link filterGenesKernel}. */
export interface GeneFilterResult {
  /** 1 = kept. */
  keep: Uint8Array;
  /** Cells in which each gene is detected (count > 0). */
  nCells: Float64Array;
  /** Total counts per gene. */
  totalCounts: Float64Array;
}

/** The keep mask from per-gene detection counts and totals. */
function geneFilter(nCells: Float64Array, totalCounts: Float64Array, p: FilterGenesParams): GeneFilterResult {
  const keep = new Uint8Array(nCells.length);
  for (let j = 0; j < keep.length; j++) keep[j] = nCells[j] >= p.minCells && totalCounts[j] >= p.minCounts ? 1 : 0;
  return { keep, nCells, totalCounts };
}

/**
 * Step `filter_genes`: drops genes seen in fewer than `minCells` cells; writes var `n_cells`, `total_counts`.
 * @example await filterGenes(adata, { minCells: 3 });
 */
export const filterGenes = defineStep<FilterGenesParams>({
  name: 'filter_genes',
  defaults: { minCells: 3, minCounts: 0 },
  validate: (p) => {
    if (!(Number.isInteger(p.minCells) && p.minCells >= 0)) throw new UsageError(`minCells must be an integer >= 0, got ${p.minCells}`);
    if (!(p.minCounts >= 0)) throw new UsageError(`minCounts must be >= 0, got ${p.minCounts}`);
  },
  run: async (adata, p, ctx) => {
    const r = await filterGenesParallel(adata.layers.counts ?? adata.X, p, ctx.threads);
    let kept = 0;
    for (let j = 0; j < r.keep.length; j++) kept += r.keep[j];
    if (kept === 0) throw new AnalysisError(`filter_genes removed all ${adata.nVars} genes (minCells ${p.minCells}); lower minCells`);
    const cols = new Int32Array(kept);
    for (let j = 0, t = 0; j < r.keep.length; j++) if (r.keep[j]) cols[t++] = j;
    ctx.log.info({ genesIn: adata.nVars, genesKept: kept }, 'gene filter');
    const withCols = adata.with({ var: adata.var.withNumeric('n_cells', r.nCells).withNumeric('total_counts', r.totalCounts) });
    return withCols.subsetVars(cols);
  },
});
