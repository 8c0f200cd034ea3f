/**
 * Per-cell and per-gene QC metrics (scanpy `calculate_qc_metrics`, Seurat `nCount_RNA`,
 * `nFeature_RNA`, `PercentageFeatureSet`). Computed on raw counts: `layers.counts` when present,
 * otherwise X.
 */
import type { CsrMatrix, Indptr } from '../core/sparse.js';
import { allocFloat64, parallelMap } from '../core/parallel.js';
import { FINE_ROW_BLOCK_ENTRIES, rowBlocks, threadsFor } from '../core/rowBlocks.js';
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
  const sums = newQcSums(counts, 1, false);
  qcMetricsRows(counts.indptr, counts.indices, counts.data, geneFlags(mito, ribo), sums.perCell, sums.perGene, 0, 0, counts.nRows);
  return metricsOfSums(counts, sums);
}

/**
 * {@link computeQcMetricsKernel} over fixed row blocks in worker threads, which write their sums
 * into shared arrays (no per-block results to copy back). Per-gene partial sums are added in block
 * order, so the result is the same for any `threads` (and exact for integer counts).
 */
export async function computeQcMetricsParallel(counts: CsrMatrix, mito: Uint8Array, ribo: Uint8Array, threads: number): Promise<QcMetrics> {
  const flags = geneFlags(mito, ribo);
  const nnz = counts.indptr[counts.nRows];
  // Fine blocks: the per-gene partial sums are of counts (integers), exact in any grouping.
  const blocks = rowBlocks(counts.nRows, nnz, FINE_ROW_BLOCK_ENTRIES);
  const nThreads = threadsFor(threads, nnz);
  const sums = newQcSums(counts, blocks.length / 2, nThreads > 1);
  const tasks: unknown[][] = [];
  for (let b = 0; b < blocks.length; b += 2) tasks.push([counts.indptr, counts.indices, counts.data, flags, sums.perCell, sums.perGene, b / 2, blocks[b], blocks[b + 1]]);
  await parallelMap<void>(import.meta.url, 'qcMetricsRows', tasks, nThreads);
  return metricsOfSums(counts, sums);
}

/** Bit 1: mitochondrial, bit 2: ribosomal (one lookup per entry instead of two). */
function geneFlags(mito: Uint8Array, ribo: Uint8Array): Uint8Array {
  const flags = new Uint8Array(mito.length);
  for (let j = 0; j < flags.length; j++) flags[j] = (mito[j] ? 1 : 0) | (ribo[j] ? 2 : 0);
  return flags;
}

/** The sums one pass of {@link qcMetricsRows} per row block writes. */
interface QcSums {
  /** 4 values per cell: total counts, detected genes, mitochondrial counts, ribosomal counts. */
  perCell: Float64Array;
  /** Per block b: cells detecting each gene at [2b * nCols, (2b + 1) * nCols), its counts at the next nCols. */
  perGene: Float64Array;
  nBlocks: number;
}

function newQcSums(counts: CsrMatrix, nBlocks: number, shared: boolean): QcSums {
  return { perCell: allocFloat64(4 * counts.nRows, shared), perGene: allocFloat64(2 * nBlocks * counts.nCols, shared), nBlocks };
}

/**
 * Worker kernel: QC sums of rows [r0, r1), the rows' into `perCell` and the genes' into block
 * `block` of `perGene` (layout of {@link QcSums}). `flags` from {@link geneFlags}. Four entries per
 * turn of the loop (V8 compiles the plain loop to scalar code with a check per entry; unrolled it
 * runs ~1.5x faster), every sum still taken in entry order, so the result is that of the plain loop
 * bit for bit. An explicit zero adds nothing and is not a detection.
 */
export function qcMetricsRows(
  indptr: Indptr, indices: Int32Array, data: Float32Array, flags: Uint8Array, perCell: Float64Array, perGene: Float64Array,
  block: number, r0: number, r1: number,
): void {
  const nCols = flags.length;
  const geneNCells = perGene.subarray(2 * block * nCols, (2 * block + 1) * nCols);
  const geneTotalCounts = perGene.subarray((2 * block + 1) * nCols, (2 * block + 2) * nCols);
  for (let i = r0; i < r1; i++) {
    let total = 0, detected = 0, mt = 0, rb = 0;
    const end = indptr[i + 1];
    let k = indptr[i];
    for (; k + 3 < end; k += 4) {
      const v0 = data[k], v1 = data[k + 1], v2 = data[k + 2], v3 = data[k + 3];
      const j0 = indices[k], j1 = indices[k + 1], j2 = indices[k + 2], j3 = indices[k + 3];
      const d0 = v0 !== 0 ? 1 : 0, d1 = v1 !== 0 ? 1 : 0, d2 = v2 !== 0 ? 1 : 0, d3 = v3 !== 0 ? 1 : 0;
      total += v0;
      total += v1;
      total += v2;
      total += v3;
      detected += d0 + d1 + d2 + d3;
      const f0 = flags[j0], f1 = flags[j1], f2 = flags[j2], f3 = flags[j3];
      if ((f0 | f1 | f2 | f3) !== 0) {
        mt += (f0 & 1) * v0;
        mt += (f1 & 1) * v1;
        mt += (f2 & 1) * v2;
        mt += (f3 & 1) * v3;
        rb += (f0 >> 1) * v0;
        rb += (f1 >> 1) * v1;
        rb += (f2 >> 1) * v2;
        rb += (f3 >> 1) * v3;
      }
      geneNCells[j0] += d0;
      geneNCells[j1] += d1;
      geneNCells[j2] += d2;
      geneNCells[j3] += d3;
      geneTotalCounts[j0] += v0;
      geneTotalCounts[j1] += v1;
      geneTotalCounts[j2] += v2;
      geneTotalCounts[j3] += v3;
    }
    for (; k < end; k++) {
      const v = data[k], j = indices[k], f = flags[j];
      const d = v !== 0 ? 1 : 0;
      total += v;
      detected += d;
      mt += (f & 1) * v;
      rb += (f >> 1) * v;
      geneNCells[j] += d;
      geneTotalCounts[j] += v;
    }
    perCell[4 * i] = total;
    perCell[4 * i + 1] = detected;
    perCell[4 * i + 2] = mt;
    perCell[4 * i + 3] = rb;
  }
}

/** Per-cell metrics from the sums, per-gene sums added in block order. */
function metricsOfSums(counts: CsrMatrix, sums: QcSums): QcMetrics {
  const { nRows, nCols } = counts;
  const { perCell, perGene } = sums;
  const nCounts = new Float64Array(nRows);
  const nGenes = new Float64Array(nRows);
  const pctMito = new Float64Array(nRows);
  const pctRibo = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) {
    const total = perCell[4 * i];
    nCounts[i] = total;
    nGenes[i] = perCell[4 * i + 1];
    pctMito[i] = total > 0 ? (100 * perCell[4 * i + 2]) / total : 0;
    pctRibo[i] = total > 0 ? (100 * perCell[4 * i + 3]) / total : 0;
  }
  const geneNCells = new Float64Array(nCols);
  const geneTotalCounts = new Float64Array(nCols);
  for (let b = 0; b < sums.nBlocks; b++) {
    const o = 2 * b * nCols;
    for (let j = 0; j < nCols; j++) {
      geneNCells[j] += perGene[o + j];
      geneTotalCounts[j] += perGene[o + nCols + j];
    }
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
  allocatesLittle: () => true,
  defaults: { mitoPrefixes: ['MT-', 'mt-'], mitoGenes: null, riboPrefixes: ['RPS', 'RPL', 'Rps', 'Rpl'] },
  validate: (p) => {
    if (!Array.isArray(p.mitoPrefixes)) throw new UsageError(`mitoPrefixes must be a list of strings, got ${JSON.stringify(p.mitoPrefixes)}`);
    if (!Array.isArray(p.riboPrefixes)) throw new UsageError(`riboPrefixes must be a list of strings, got ${JSON.stringify(p.riboPrefixes)}`);
    if (p.mitoGenes !== null && !Array.isArray(p.mitoGenes)) throw new UsageError(`mitoGenes must be null or a list of gene names`);
  },
  run: async (adata, p, ctx) => {
    const counts = adata.layers.counts ?? adata.X;
    const names = adata.varNames;
    const mito = geneMask(names, p.mitoPrefixes, p.mitoGenes);
    const ribo = geneMask(names, p.riboPrefixes);
    const m = await computeQcMetricsParallel(counts, mito, ribo, ctx.threads);
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
