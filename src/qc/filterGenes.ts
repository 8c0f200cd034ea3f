/**
 * Gene filter by the number of cells in which a gene is detected (Seurat `CreateSeuratObject(min.cells = 3)`
 * keeps genes with `rowSums(counts > 0) >= min.cells`; scanpy `filter_genes(min_cells=3)` is the same,
 * inclusive). Computed on raw counts: `layers.counts` when present, otherwise X.
 */
import type { AnnDataLite } from '../core/adata.js';
import { type CsrMatrix, type Indptr, entriesOfRows, nnzOf } from '../core/sparse.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { type RunContext, type StepContext, defineStep } from '../core/step.js';
import { sumOverRowBlocks } from '../core/rowBlocks.js';

/** Parameters of {@link filterGenes}. */
export interface FilterGenesParams {
  /** Keep genes detected (count > 0) in at least this many cells (inclusive). @default 3 */
  minCells: number;
  /** Keep genes with at least this many total counts (inclusive); 0 = off. @default 0 */
  minCounts: number;
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

/**
 * Kernel: cells detected and total counts per gene, and the keep mask.
 * @param counts - raw counts, cells x genes
 */
export function filterGenesKernel(counts: CsrMatrix, p: FilterGenesParams): GeneFilterResult {
  const [nCells, totalCounts] = geneSumsRows(counts.indptr, counts.indices, counts.data, counts.nCols, null, 0, counts.nRows);
  return geneFilter(nCells, totalCounts, p);
}

/**
 * {@link filterGenesKernel} over the cells `rows` only (null = all), the sums computed in worker
 * threads over fixed blocks and added in block order (the same result for any `threads`).
 */
export async function filterGenesParallel(counts: CsrMatrix, rows: Int32Array | null, p: FilterGenesParams, threads: number): Promise<GeneFilterResult> {
  const n = rows ? rows.length : counts.nRows;
  const args = [counts.indptr, counts.indices, counts.data, counts.nCols, rows];
  // Blocks and threads by the entries summed: a few cells (those QC removed) stay on this thread.
  const [nCells, totalCounts] = await sumOverRowBlocks(import.meta.url, 'geneSumsRows', args, n, rows ? entriesOfRows(counts, rows) : nnzOf(counts), threads);
  return geneFilter(nCells, totalCounts, p);
}

/** Per-gene sums over every cell of a matrix, as computeQcMetrics leaves them in var. */
export interface GeneSums {
  /** Cells in which each gene is detected (var `n_cells`). */
  nCells: ArrayLike<number>;
  /** Total counts per gene (var `total_counts`). */
  totalCounts: ArrayLike<number>;
}

/** var `n_cells` and `total_counts` as {@link GeneSums}, or null when either is missing or not numeric. */
export function geneSumsOfVar(adata: AnnDataLite): GeneSums | null {
  const nCells = adata.var.get('n_cells'), totalCounts = adata.var.get('total_counts');
  if (nCells?.kind !== 'numeric' || totalCounts?.kind !== 'numeric') return null;
  return { nCells: nCells.values, totalCounts: totalCounts.values };
}

/**
 * {@link filterGenesParallel} over `rows` (distinct cells), given the sums over all cells: those of
 * the other cells are subtracted, so a selection of most cells (QC passes ~90%) costs a pass over
 * the few others instead of over all of it. Exact for integer counts (sums stay below 2^53).
 */
export async function filterGenesFromTotals(counts: CsrMatrix, rows: Int32Array, all: GeneSums, p: FilterGenesParams, threads: number): Promise<GeneFilterResult> {
  const selected = new Uint8Array(counts.nRows);
  let distinct = true;
  for (let t = 0; t < rows.length; t++) {
    if (selected[rows[t]]) distinct = false;
    selected[rows[t]] = 1;
  }
  if (!distinct || 2 * rows.length < counts.nRows) return filterGenesParallel(counts, rows, p, threads);
  const others = new Int32Array(counts.nRows - rows.length);
  for (let i = 0, t = 0; i < counts.nRows; i++) if (!selected[i]) others[t++] = i;
  const o = await filterGenesParallel(counts, others, p, threads);
  const nCells = new Float64Array(counts.nCols), totalCounts = new Float64Array(counts.nCols);
  for (let j = 0; j < counts.nCols; j++) {
    nCells[j] = all.nCells[j] - o.nCells[j];
    totalCounts[j] = all.totalCounts[j] - o.totalCounts[j];
  }
  return geneFilter(nCells, totalCounts, p);
}

/**
 * Worker kernel: per-gene detected cells and total counts over positions [t0, t1) of `rows`
 * (or rows t0..t1-1 when `rows` is null). Explicit zeros are not detections. Four entries per
 * turn of the loop; a gene occurs once per row, so its sums keep the plain loop's order.
 */
export function geneSumsRows(indptr: Indptr, indices: Int32Array, data: Float32Array, nCols: number, rows: Int32Array | null, t0: number, t1: number): Float64Array[] {
  const nCells = new Float64Array(nCols);
  const totals = new Float64Array(nCols);
  for (let t = t0; t < t1; t++) {
    const i = rows ? rows[t] : t;
    const end = indptr[i + 1];
    let k = indptr[i];
    for (; k + 3 < end; k += 4) {
      const j0 = indices[k], j1 = indices[k + 1], j2 = indices[k + 2], j3 = indices[k + 3];
      const v0 = data[k], v1 = data[k + 1], v2 = data[k + 2], v3 = data[k + 3];
      nCells[j0] += v0 !== 0 ? 1 : 0;
      nCells[j1] += v1 !== 0 ? 1 : 0;
      nCells[j2] += v2 !== 0 ? 1 : 0;
      nCells[j3] += v3 !== 0 ? 1 : 0;
      totals[j0] += v0;
      totals[j1] += v1;
      totals[j2] += v2;
      totals[j3] += v3;
    }
    for (; k < end; k++) {
      const v = data[k];
      const j = indices[k];
      nCells[j] += v !== 0 ? 1 : 0;
      totals[j] += v;
    }
  }
  return [nCells, totals];
}

/** The keep mask from per-gene detection counts and totals. */
function geneFilter(nCells: Float64Array, totalCounts: Float64Array, p: FilterGenesParams): GeneFilterResult {
  const keep = new Uint8Array(nCells.length);
  for (let j = 0; j < keep.length; j++) keep[j] = nCells[j] >= p.minCells && totalCounts[j] >= p.minCounts ? 1 : 0;
  return { keep, nCells, totalCounts };
}

/**
 * The step's body: the gene filter over the cells `rows` (null = all), then one copy (or with
 * `inPlace` a move within `adata`'s own counts) that keeps those cells (in that order) and the
 * passing genes; var gets `n_cells`, `total_counts` of the kept cells.
 */
async function keepCellsAndGenes(adata: AnnDataLite, rows: Int32Array | null, allCells: GeneSums | null, p: FilterGenesParams, ctx: StepContext, inPlace = false): Promise<AnnDataLite> {
  const counts = adata.layers.counts ?? adata.X;
  const r = rows && allCells ? await filterGenesFromTotals(counts, rows, allCells, p, ctx.threads) : await filterGenesParallel(counts, rows, p, ctx.threads);
  let kept = 0;
  for (let j = 0; j < r.keep.length; j++) kept += r.keep[j];
  if (kept === 0) throw new AnalysisError(`filter_genes removed all ${adata.nVars} genes (minCells ${p.minCells}); lower minCells`);
  const cols = new Int32Array(kept);
  for (let j = 0, t = 0; j < r.keep.length; j++) if (r.keep[j]) cols[t++] = j;
  ctx.log.info({ genesIn: adata.nVars, genesKept: kept }, 'gene filter');
  const withCols = adata.with({ var: adata.var.withNumeric('n_cells', r.nCells).withNumeric('total_counts', r.totalCounts) });
  return inPlace ? withCols.subsetInPlace(rows, cols, ctx.threads) : withCols.subset(rows, cols, ctx.threads);
}

/** Name, defaults and checks shared by {@link filterGenes} and {@link filterGenesOfCells}. */
const FILTER_GENES_STEP = {
  name: 'filter_genes',
  defaults: { minCells: 3, minCounts: 0 } as FilterGenesParams,
  validate: (p: FilterGenesParams): void => {
    if (!(Number.isInteger(p.minCells) && p.minCells >= 0)) throw new UsageError(`minCells must be an integer >= 0, got ${p.minCells}`);
    if (!(p.minCounts >= 0)) throw new UsageError(`minCounts must be >= 0, got ${p.minCounts}`);
  },
};

/**
 * Step `filter_genes`: drops genes seen in fewer than `minCells` cells; writes var `n_cells`, `total_counts`.
 * @example await filterGenes(adata, { minCells: 3 });
 */
export const filterGenes = defineStep<FilterGenesParams>({
  ...FILTER_GENES_STEP,
  run: (adata, p, ctx) => keepCellsAndGenes(adata, null, null, p, ctx),
});

/** Options of {@link filterGenesOfCells}. */
export interface CellsAndGenesOptions {
  /**
   * The per-gene sums over every cell of `adata` (var `n_cells`, `total_counts` of computeQcMetrics
   * on the same counts), when at hand: the sums over `rows` are then found from the other cells
   * alone (see {@link filterGenesFromTotals}).
   */
  allCells?: GeneSums | null;
  /**
   * Write the kept cells and genes over `adata`'s own counts (`AnnDataLite.subsetInPlace`) instead of
   * copying them: for a caller that drops `adata` afterwards and never reads its X again.
   */
  inPlace?: boolean;
}

/**
 * Step `filter_genes` on the cells `rows` of `adata` (e.g. those that passed `filter_cells` with
 * `subset: false`, in the order the analysis stores them): equal to `filterGenes(adata.subsetObs(rows))`
 * but with one copy of the counts instead of two (or none, `inPlace`), and no intermediate matrix.
 * @example await filterGenesOfCells(marked, passedRows, { minCells: 3 }, ctx, { allCells: geneSumsOfVar(marked) });
 */
export function filterGenesOfCells(adata: AnnDataLite, rows: Int32Array, params: Partial<FilterGenesParams> = {}, rc: RunContext = {}, options: CellsAndGenesOptions = {}): Promise<AnnDataLite> {
  const step = defineStep<FilterGenesParams>({
    ...FILTER_GENES_STEP,
    allocatesLittle: () => options.inPlace === true,
    run: (a, p, ctx) => keepCellsAndGenes(a, rows, options.allCells ?? null, p, ctx, options.inPlace ?? false),
  });
  return step(adata, params, rc);
}
