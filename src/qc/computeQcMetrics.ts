/**
 * Per-cell and per-gene QC metrics (scanpy `calculate_qc_metrics`, Seurat `nCount_RNA`,
 * `nFeature_RNA`, `PercentageFeatureSet`). Computed on raw counts: `layers.counts` when present,
 * otherwise X.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { defineStep } from '../core/step.js';
import { UsageError } from '../core/errors.js';

/** Parameters of {@link computeQcMetrics}. */
export interface QcMetricsParams {
  /** Gene-name prefixes that mark mitochondrial genes (case-sensitive). @default ['MT-', 'mt-'] */
  mitoPrefixes: string[];
  /** Explicit mitochondrial gene names; when non-null it replaces `mitoPrefixes`. @default null */
  mitoGenes: string[] | null;
  /** Gene-name prefixes that mark ribosomal-protein genes. @default ['RPS', 'RPL', 'Rps', 'Rpl'] */
  riboPrefixes: string[];
}

/** Output of {@link computeQcMetricsKernel}. */
export interface QcMetrics {
  /** Total counts per cell (obs `n_counts`). */
  nCounts: Float64Array;
  /** Genes with a non-zero count per cell (obs `n_genes`). */
  nGenes: Float64Array;
  /** Percent of the cell's counts in mitochondrial genes, 0-100 (obs `pct_mito`; 0 for an empty cell). */
  pctMito: Float64Array;
  /** Percent of the cell's counts in ribosomal genes, 0-100 (obs `pct_ribo`). */
  pctRibo: Float64Array;
  /** Cells in which each gene is detected (var `n_cells`). */
  geneNCells: Float64Array;
  /** Total counts per gene (var `total_counts`). */
  geneTotalCounts: Float64Array;
}

/**
 * Kernel: one pass over the CSR counts. Sums accumulate in Float64 (exact for integer counts up to 2^53).
 * @param counts - raw counts, cells x genes
 * @param mito - 1 for mitochondrial genes (length nCols)
 * @param ribo - 1 for ribosomal genes (length nCols)
 */
export function computeQcMetricsKernel(counts: CsrMatrix, mito: Uint8Array, ribo: Uint8Array): QcMetrics {
  const { nRows, nCols, indptr, indices, data } = counts;
  const nCounts = new Float64Array(nRows);
  const nGenes = new Float64Array(nRows);
  const pctMito = new Float64Array(nRows);
  const pctRibo = new Float64Array(nRows);
  const geneNCells = new Float64Array(nCols);
  const geneTotalCounts = new Float64Array(nCols);
  for (let i = 0; i < nRows; i++) {
    let total = 0, detected = 0, mt = 0, rb = 0;
    const end = indptr[i + 1];
    for (let k = indptr[i]; k < end; k++) {
      const v = data[k];
      if (v === 0) continue; // explicit zeros are not "detected"
      const j = indices[k];
      total += v;
      detected++;
      if (mito[j]) mt += v;
      if (ribo[j]) rb += v;
      geneNCells[j]++;
      geneTotalCounts[j] += v;
    }
    nCounts[i] = total;
    nGenes[i] = detected;
    pctMito[i] = total > 0 ? (100 * mt) / total : 0;
    pctRibo[i] = total > 0 ? (100 * rb) / total : 0;
  }
  return { nCounts, nGenes, pctMito, pctRibo, geneNCells, geneTotalCounts };
}

/** 1 for each name that starts with one of `prefixes` (or is in `exact` when given). */
export function geneMask(names: readonly string[], prefixes: readonly string[], exact: readonly string[] | null = null): Uint8Array {
  const out = new Uint8Array(names.length);
  const set = exact ? new Set(exact) : null;
  for (let j = 0; j < names.length; j++) {
    const name = names[j];
    if (set) {
      out[j] = set.has(name) ? 1 : 0;
      continue;
    }
    for (const p of prefixes) {
      if (name.startsWith(p)) {
        out[j] = 1;
        break;
      }
    }
  }
  return out;
}

/**
 * Step `qc_metrics`: writes obs `n_counts`, `n_genes`, `pct_mito`, `pct_ribo` and var `mito`, `ribo`,
 * `n_cells`, `total_counts`. Gene names are the var index (symbols).
 * @example const a = await computeQcMetrics(adata, { mitoPrefixes: ['MT-'] });
 */
export const computeQcMetrics = defineStep<QcMetricsParams>({
  name: 'qc_metrics',
  defaults: { mitoPrefixes: ['MT-', 'mt-'], mitoGenes: null, riboPrefixes: ['RPS', 'RPL', 'Rps', 'Rpl'] },
  validate: (p) => {
    if (!Array.isArray(p.mitoPrefixes)) throw new UsageError(`mitoPrefixes must be a list of strings, got ${JSON.stringify(p.mitoPrefixes)}`);
    if (!Array.isArray(p.riboPrefixes)) throw new UsageError(`riboPrefixes must be a list of strings, got ${JSON.stringify(p.riboPrefixes)}`);
    if (p.mitoGenes !== null && !Array.isArray(p.mitoGenes)) throw new UsageError(`mitoGenes must be null or a list of gene names`);
  },
  run: (adata, p, ctx) => {
    const counts = adata.layers.counts ?? adata.X;
    const names = adata.varNames;
    const mito = geneMask(names, p.mitoPrefixes, p.mitoGenes);
    const ribo = geneMask(names, p.riboPrefixes);
    const m = computeQcMetricsKernel(counts, mito, ribo);
    let nMito = 0;
    for (let j = 0; j < mito.length; j++) nMito += mito[j];
    if (nMito === 0) ctx.log.warn('no mitochondrial genes found by name; pct_mito is 0 for every cell');
    const obs = adata.obs
      .withNumeric('n_counts', m.nCounts)
      .withNumeric('n_genes', m.nGenes)
      .withNumeric('pct_mito', m.pctMito)
      .withNumeric('pct_ribo', m.pctRibo);
    const vars = adata.var
      .with('mito', { kind: 'bool', values: mito })
      .with('ribo', { kind: 'bool', values: ribo })
      .withNumeric('n_cells', m.geneNCells)
      .withNumeric('total_counts', m.geneTotalCounts);
    return adata.with({ obs, var: vars });
  },
});
