/**
 * `cqamine inspect PATH...`: what is in a count matrix before any analysis: format, dimensions,
 * sparsity, whether values are integer counts, which gene identifiers are there, per-cell depth
 * and detected-gene quantiles, and duplicated names. A table on stdout, or JSON with `--json`.
 */
import type { Command } from 'commander';
import { columnStrings } from '../../core/frame.js';
import type { AnnDataLite } from '../../core/adata.js';
import type { CsrMatrix } from '../../core/sparse.js';
import { readMatrix, type MatrixFormat } from '../../io/readMatrix.js';
import { find10xMtxFiles } from '../../io/read10xMtx.js';
import { readLines } from '../../io/lineReader.js';
import { loggerFor } from '../context.js';
import { writeJsonResult, writeResult } from '../output.js';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Quantile levels reported for per-cell distributions. */
const LEVELS = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1] as const;
const LEVEL_NAMES = ['min', 'p5', 'p25', 'p50', 'p75', 'p95', 'max'] as const;

type Quantiles = Record<(typeof LEVEL_NAMES)[number], number>;

/** The summary of one input (also the JSON shape, keys in snake_case). */
interface InputSummary {
  path: string;
  format: MatrixFormat;
  counts_source: string | null;
  n_cells: number;
  n_genes: number;
  nnz: number;
  density: number;
  integer_valued: boolean;
  var_columns: string[];
  gene_id_column: string | null;
  /** 'gene_symbols', 'var index' (symbols are the var names), or null when there are none. */
  gene_symbol_column: string | null;
  total_counts: Quantiles;
  detected_genes: Quantiles;
  duplicates: { barcodes: number; gene_symbols: number | null; gene_ids: number | null };
}

/** Quantiles of `x` with R's default (type 7) linear interpolation; sorts `x` in place. */
function quantiles(x: Float64Array): Quantiles {
  x.sort();
  const out = {} as Quantiles;
  const n = x.length;
  LEVELS.forEach((p, t) => {
    if (n === 0) {
      out[LEVEL_NAMES[t]] = NaN;
      return;
    }
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, n - 1);
    out[LEVEL_NAMES[t]] = x[lo] + (h - lo) * (x[hi] - x[lo]);
  });
  return out;
}

/** Number of entries that repeat an earlier one. */
function countDuplicates(names: readonly string[]): number {
  return names.length - new Set(names).size;
}

/** Raw (not made unique) symbols and IDs of a 10x MTX folder, re-read from its features file. */
async function rawFeatureNames(dir: string): Promise<{ ids: string[]; symbols: string[] }> {
  const ids: string[] = [];
  const symbols: string[] = [];
  for await (const line of readLines(find10xMtxFiles(dir).features)) {
    if (line === '') continue;
    const parts = line.split('\t');
    ids.push(parts[0]);
    symbols.push(parts.length > 1 ? parts[1] : parts[0]);
  }
  return { ids, symbols };
}

/** Summarises one matrix: per-cell totals and detected genes, integrality, duplicates. */
async function summarize(path: string, adata: AnnDataLite, format: MatrixFormat, countsSource: string | null): Promise<InputSummary> {
  const m: CsrMatrix = adata.layers.counts ?? adata.X;
  const nnz = m.indptr[m.nRows];
  const totals = new Float64Array(m.nRows);
  const detected = new Float64Array(m.nRows);
  let integer = true;
  for (let i = 0; i < m.nRows; i++) {
    let s = 0;
    let d = 0;
    const end = m.indptr[i + 1];
    for (let k = m.indptr[i]; k < end; k++) {
      const v = m.data[k];
      s += v;
      if (v !== 0) d++;
      if (integer && v !== Math.round(v)) integer = false;
    }
    totals[i] = s;
    detected[i] = d;
  }
  const varColumns = adata.var.columnNames;
  const idCol = varColumns.includes('gene_ids') ? 'gene_ids' : null;
  const symbolCol = varColumns.includes('gene_symbols') ? 'gene_symbols' : null;
  // Tables with IDs only (e.g. Ensembl IDs as row names) have no symbols at all.
  let indexIsIds = false;
  if (idCol && !symbolCol) {
    const ids = columnStrings(adata.var.require(idCol));
    indexIsIds = adata.varNames.every((n, j) => n === ids[j]);
  }
  // Duplicates are counted on the names as stored in the file; readers make var names unique.
  let dupSymbols: number | null = null;
  let dupIds: number | null = null;
  if (format === '10x-mtx') {
    const raw = await rawFeatureNames(statSync(path).isDirectory() ? path : dirname(path));
    dupSymbols = countDuplicates(raw.symbols);
    dupIds = countDuplicates(raw.ids);
  } else {
    if (idCol) dupIds = countDuplicates(columnStrings(adata.var.require(idCol)));
    if (symbolCol) dupSymbols = countDuplicates(columnStrings(adata.var.require(symbolCol)));
    else if (!indexIsIds) dupSymbols = countDuplicates(adata.varNames);
  }
  const cells = m.nRows;
  const genes = m.nCols;
  return {
    path,
    format,
    counts_source: countsSource,
    n_cells: cells,
    n_genes: genes,
    nnz,
    density: cells * genes === 0 ? 0 : nnz / (cells * genes),
    integer_valued: integer,
    var_columns: varColumns,
    gene_id_column: idCol,
    gene_symbol_column: symbolCol ?? (indexIsIds ? null : 'var index'),
    total_counts: quantiles(totals),
    detected_genes: quantiles(detected),
    duplicates: { barcodes: countDuplicates(adata.obsNames), gene_symbols: dupSymbols, gene_ids: dupIds },
  };
}

/** A number for the table: integers with thousands separators, others with 4 significant digits. */
function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NA';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Number(v.toPrecision(4)).toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

/** The human-readable block of one input. */
function renderSummary(s: InputSummary): string {
  const pad = (label: string) => `  ${label.padEnd(16)}`;
  const qRow = (label: string, q: Quantiles) => pad(label) + LEVEL_NAMES.map((k) => fmt(q[k]).padStart(10)).join('');
  const dup = (n: number | null) => (n === null ? 'n/a' : String(n));
  const lines = [
    s.path,
    `${pad('format')}${s.format}${s.counts_source ? ` (counts from ${s.counts_source})` : ''}`,
    `${pad('cells x genes')}${fmt(s.n_cells)} x ${fmt(s.n_genes)}`,
    `${pad('nonzeros')}${fmt(s.nnz)} (density ${(s.density * 100).toFixed(2)}%)`,
    `${pad('values')}${s.integer_valued ? 'integer counts' : 'non-integer (not raw counts?)'}`,
    `${pad('gene ids')}${s.gene_id_column ?? 'none'}`,
    `${pad('gene symbols')}${s.gene_symbol_column ?? 'none'}`,
    `${pad('var columns')}${s.var_columns.join(', ') || 'none'}`,
    `${pad('duplicates')}barcodes ${s.duplicates.barcodes}, gene symbols ${dup(s.duplicates.gene_symbols)}, gene ids ${dup(s.duplicates.gene_ids)}`,
    pad('per cell') + LEVEL_NAMES.map((k) => k.padStart(10)).join(''),
    qRow('total counts', s.total_counts),
    qRow('detected genes', s.detected_genes),
  ];
  return lines.join('\n');
}

interface InspectFlags {
  json: boolean;
  cellsAsRows: boolean;
}

/** Registers `inspect` on the program. */
export function registerInspect(program: Command): Command {
  return program
    .command('inspect')
    .description('Summarise count matrices (10x MTX folder, 10x HDF5, h5ad, CSV/TSV): dims, sparsity, integrality, per-cell depth and detected-gene quantiles, duplicated names')
    .argument('<path...>', 'inputs: 10x MTX folders or files, .h5, .h5ad, .csv/.tsv(.gz)')
    .option('--json', 'print JSON (an array, one object per input) instead of a table', false)
    .option('--cells-as-rows', 'CSV/TSV inputs have cells as rows (default: genes as rows)', false)
    .action(async (paths: string[], flags: InspectFlags, cmd: Command) => {
      const log = loggerFor(cmd).child({ command: 'inspect' });
      const out: InputSummary[] = [];
      for (const path of paths) {
        const t0 = performance.now();
        const { adata, format, countsSource } = await readMatrix(path, { cellsAsRows: flags.cellsAsRows, log });
        out.push(await summarize(path, adata, format, countsSource ?? null));
        log.debug({ path, ms: Math.round(performance.now() - t0) }, 'inspected');
      }
      if (flags.json) writeJsonResult(out);
      else writeResult(out.map(renderSummary).join('\n\n'));
    });
}
