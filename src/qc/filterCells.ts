/**
 * Cell filter: absolute thresholds plus per-lot MAD outliers (scater `isOutlier` / `perCellQCFilters`
 * within each lot), with a per-lot report of how many cells each filter removed.
 *
 * Inequalities are strict, as the Seurat tutorial's
 * `subset(nFeature_RNA > 200 & nFeature_RNA < 2500 & percent.mt < 5)`: a cell is kept when
 * `n_counts > minCounts`, `n_counts < maxCounts`, `n_genes > minGenes`, `n_genes < maxGenes` and
 * `pct_mito < maxPctMito`. (scanpy's `filter_cells(min_genes=200)` is inclusive, `>=`; use 199 for that.)
 * Each removed cell is counted once, under the first failing filter in {@link QC_REASONS} order,
 * so `cells_in = sum(removed_*) + cells_kept` in every lot.
 */
import type { Json } from '../core/adata.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';
import { isOutlier } from './isOutlier.js';

/** Reasons in the order they are tested; `qc_reason` holds '' (kept) or one of these. */
export const QC_REASONS = [
  'low_counts',
  'high_counts',
  'low_genes',
  'high_genes',
  'high_mito',
  'mad_low_counts',
  'mad_low_genes',
  'mad_high_mito',
] as const;

/** A reason name. */
export type QcReason = (typeof QC_REASONS)[number];

/** Parameters of {@link filterCells}. `null` disables a threshold. */
export interface FilterCellsParams {
  /** Keep cells with n_counts > minCounts. @default null */
  minCounts: number | null;
  /** Keep cells with n_counts < maxCounts. @default null */
  maxCounts: number | null;
  /** Keep cells with n_genes > minGenes (Seurat tutorial: 200). @default 200 */
  minGenes: number | null;
  /** Keep cells with n_genes < maxGenes (Seurat tutorial: 2500). @default null */
  maxGenes: number | null;
  /** Keep cells with pct_mito < maxPctMito, percent (Seurat tutorial: 5). @default null */
  maxPctMito: number | null;
  /**
   * Scaled MADs for the per-lot outlier filters (low log n_counts, low log n_genes, high pct_mito,
   * each within its lot); null turns them off. @default 3
   */
  nmads: number | null;
  /** obs column with the lot of each cell; when absent from obs all cells form one lot. @default 'lot' */
  lotKey: string;
  /** Drop failing cells (true) or only mark them in obs `passed_qc` / `qc_reason` (false). @default true */
  subset: boolean;
}

/** Inputs of {@link filterCellsKernel}: per-cell metrics and lot codes. */
export interface FilterCellsInput {
  nCounts: ArrayLike<number>;
  nGenes: ArrayLike<number>;
  pctMito: ArrayLike<number>;
  /** Lot code per cell, 0..nLots-1. */
  lots: Int32Array;
  nLots: number;
}

/** Output of {@link filterCellsKernel}. */
export interface FilterCellsResult {
  /** 1 = passed. */
  keep: Uint8Array;
  /** -1 when kept, otherwise the index in {@link QC_REASONS} of the first failing filter. */
  reason: Int8Array;
  /** Cells per lot before filtering. */
  cellsIn: Int32Array;
  /** removed[r * nLots + lot]: cells of `lot` removed for reason r (first failing filter). */
  removed: Int32Array;
  /** Cells kept per lot. */
  cellsKept: Int32Array;
  /** MAD thresholds per lot on the original scale (NaN when the MAD filters are off). */
  madLowerCounts: Float64Array;
  madLowerGenes: Float64Array;
  madUpperMito: Float64Array;
}

/** Kernel: applies the thresholds and per-lot MAD filters. */
export function filterCellsKernel(x: FilterCellsInput, p: Omit<FilterCellsParams, 'lotKey' | 'subset'>): FilterCellsResult {
  const n = x.lots.length;
  const { nLots, lots } = x;
  const nanLots = (): Float64Array => new Float64Array(nLots).fill(NaN);
  let madCounts: Uint8Array | null = null, madGenes: Uint8Array | null = null, madMito: Uint8Array | null = null;
  let madLowerCounts = nanLots(), madLowerGenes = nanLots(), madUpperMito = nanLots();
  if (p.nmads !== null) {
    const opts = { nmads: p.nmads, batch: lots, nBatches: nLots };
    const c = isOutlier(x.nCounts, { ...opts, type: 'lower', log: true });
    const g = isOutlier(x.nGenes, { ...opts, type: 'lower', log: true });
    const m = isOutlier(x.pctMito, { ...opts, type: 'higher', log: false });
    madCounts = c.outlier; madGenes = g.outlier; madMito = m.outlier;
    madLowerCounts = c.lower; madLowerGenes = g.lower; madUpperMito = m.upper;
  }
  const keep = new Uint8Array(n);
  const reason = new Int8Array(n);
  const cellsIn = new Int32Array(nLots);
  const cellsKept = new Int32Array(nLots);
  const removed = new Int32Array(QC_REASONS.length * nLots);
  for (let i = 0; i < n; i++) {
    const c = x.nCounts[i], g = x.nGenes[i], mt = x.pctMito[i];
    // Tests in QC_REASONS order; the first failing one is the reason.
    let r = -1;
    if (p.minCounts !== null && !(c > p.minCounts)) r = 0;
    else if (p.maxCounts !== null && !(c < p.maxCounts)) r = 1;
    else if (p.minGenes !== null && !(g > p.minGenes)) r = 2;
    else if (p.maxGenes !== null && !(g < p.maxGenes)) r = 3;
    else if (p.maxPctMito !== null && !(mt < p.maxPctMito)) r = 4;
    else if (madCounts && madCounts[i]) r = 5;
    else if (madGenes && madGenes[i]) r = 6;
    else if (madMito && madMito[i]) r = 7;
    const lot = lots[i];
    reason[i] = r;
    if (lot >= 0) cellsIn[lot]++;
    if (r < 0) {
      keep[i] = 1;
      if (lot >= 0) cellsKept[lot]++;
    } else if (lot >= 0) {
      removed[r * nLots + lot]++;
    }
  }
  return { keep, reason, cellsIn, removed, cellsKept, madLowerCounts, madLowerGenes, madUpperMito };
}

const checkThreshold = (name: string, v: number | null): void => {
  if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
    throw new UsageError(`${name} must be null or a finite number >= 0, got ${v}`);
  }
};

/** Lot codes and labels from obs[lotKey] (categorical or string); one lot 'all' when absent. */
export function lotCodes(obs: { get(name: string): import('../core/frame.js').Column | undefined; nRows: number }, lotKey: string): { codes: Int32Array; labels: string[] } {
  const col = obs.get(lotKey);
  if (!col) return { codes: new Int32Array(obs.nRows), labels: ['all'] };
  if (col.kind === 'categorical') return { codes: col.codes, labels: [...col.categories] };
  if (col.kind === 'string' || col.kind === 'numeric') {
    const labels: string[] = [];
    const lookup = new Map<string, number>();
    const codes = new Int32Array(obs.nRows);
    for (let i = 0; i < obs.nRows; i++) {
      const v = String(col.values[i]);
      let code = lookup.get(v);
      if (code === undefined) { code = labels.length; labels.push(v); lookup.set(v, code); }
      codes[i] = code;
    }
    return { codes, labels };
  }
  throw new UsageError(`obs column '${lotKey}' must be categorical, string or numeric to define lots, got ${col.kind}`);
}

/**
 * Step `filter_cells`: needs obs `n_counts`, `n_genes`, `pct_mito` (run computeQcMetrics first).
 * Writes obs `passed_qc` and `qc_reason`, uns `qc_filter` (per-lot table: lot, cells_in,
 * removed_<reason>..., cells_kept, and the MAD thresholds), and keeps only passing cells unless `subset` is false.
 * @example await filterCells(adata, { minGenes: 200, maxGenes: 2500, maxPctMito: 5, nmads: null });
 */
export const filterCells = defineStep<FilterCellsParams>({
  name: 'filter_cells',
  allocatesLittle: (p) => !p.subset,
  defaults: { minCounts: null, maxCounts: null, minGenes: 200, maxGenes: null, maxPctMito: null, nmads: 3, lotKey: 'lot', subset: true },
  validate: (p) => {
    checkThreshold('minCounts', p.minCounts);
    checkThreshold('maxCounts', p.maxCounts);
    checkThreshold('minGenes', p.minGenes);
    checkThreshold('maxGenes', p.maxGenes);
    checkThreshold('maxPctMito', p.maxPctMito);
    if (p.nmads !== null && !(p.nmads > 0)) throw new UsageError(`nmads must be null or > 0, got ${p.nmads}`);
  },
  run: async (adata, p, ctx) => {
    for (const key of ['n_counts', 'n_genes', 'pct_mito']) {
      if (!adata.obs.has(key)) throw new AnalysisError(`filter_cells needs obs '${key}'; run qc_metrics first`);
    }
    const num = (key: string): ArrayLike<number> => {
      const c = adata.obs.require(key);
      if (c.kind !== 'numeric') throw new AnalysisError(`obs '${key}' must be numeric, got ${c.kind}`);
      return c.values;
    };
    const { codes, labels } = lotCodes(adata.obs, p.lotKey);
    const r = filterCellsKernel({ nCounts: num('n_counts'), nGenes: num('n_genes'), pctMito: num('pct_mito'), lots: codes, nLots: labels.length }, p);
    const reasonCodes = new Int32Array(r.reason.length);
    for (let i = 0; i < reasonCodes.length; i++) reasonCodes[i] = r.reason[i] + 1; // 0 = '' (kept)
    const obs = adata.obs
      .with('passed_qc', { kind: 'bool', values: r.keep })
      .with('qc_reason', { kind: 'categorical', codes: reasonCodes, categories: ['', ...QC_REASONS], ordered: false });
    const table: Record<string, Json> = { lot: labels, cells_in: r.cellsIn };
    QC_REASONS.forEach((name, t) => {
      table[`removed_${name}`] = r.removed.slice(t * labels.length, (t + 1) * labels.length);
    });
    table.cells_kept = r.cellsKept;
    table.mad_lower_n_counts = r.madLowerCounts;
    table.mad_lower_n_genes = r.madLowerGenes;
    table.mad_upper_pct_mito = r.madUpperMito;
    let kept = 0;
    for (let i = 0; i < r.keep.length; i++) kept += r.keep[i];
    if (kept === 0) throw new AnalysisError(`filter_cells removed all ${adata.nObs} cells; loosen the thresholds`);
    ctx.log.info({ cellsIn: adata.nObs, cellsKept: kept }, 'cell filter');
    const marked = adata.with({ obs, uns: { ...adata.uns, qc_filter: table } });
    if (!p.subset) return marked;
    const rows = new Int32Array(kept);
    for (let i = 0, t = 0; i < r.keep.length; i++) if (r.keep[i]) rows[t++] = i;
    return marked.subset(rows, null, ctx.threads);
  },
});
