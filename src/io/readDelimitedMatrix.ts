/**
 * Dense count tables in CSV/TSV (plain or gzipped): by default genes x cells with a header row of
 * cell names and gene names in the first column, as R's `write.csv` writes a matrix (the header may
 * or may not have a corner cell). Zeros are dropped on the fly, so memory follows the nonzeros.
 */
import { AnnDataLite } from '../core/adata.js';
import { InputError } from '../core/errors.js';
import { Frame, type Column } from '../core/frame.js';
import { allocIndptr, toCsr, type CscMatrix, type CsrMatrix } from '../core/sparse.js';
import { readRecords } from './readRecords.js';
import { makeNamesUnique } from './makeNamesUnique.js';

/** Options of {@link readDelimitedMatrix}. */
export interface ReadDelimitedMatrixOptions {
  /** Rows are cells and columns genes (the header then holds gene names). @default false */
  cellsAsRows: boolean;
  /** Field delimiter; by default implied by the extension or sniffed from the header. */
  delimiter?: ',' | '\t';
}

/**
 * Ensembl-style gene IDs (ENSG..., ENSMUSG...). When most row names look like this (spike-ins such
 * as ERCC-00002 are IDs too) they are also stored as the `gene_ids` column, so multi-lot loading
 * can match genes by ID.
 */
const ENSEMBL_ID = /^ENS[A-Z]*G\d{6,}(\.\d+)?$/;

/** Growable parallel (index, value) arrays; doubling keeps appends amortised O(1). */
class Triplets {
  idx = new Int32Array(1024);
  val = new Float32Array(1024);
  n = 0;
  push(i: number, v: number): void {
    if (this.n === this.idx.length) {
      const idx = new Int32Array(this.n * 2);
      idx.set(this.idx);
      this.idx = idx;
      const val = new Float32Array(this.n * 2);
      val.set(this.val);
      this.val = val;
    }
    this.idx[this.n] = i;
    this.val[this.n] = v;
    this.n++;
  }
}

/**
 * Reads a dense CSV/TSV count table into an AnnDataLite (cells x genes, Float32 CSR counts in `X`
 * and the same object in `layers.counts`). Values must be finite and non-negative; an empty,
 * non-numeric or negative cell is an `InputError` naming file, line and column.
 * @param path - .csv, .tsv or .txt, optionally .gz
 * @example
 * const a = await readDelimitedMatrix('../shared/data/cellbench_5cl_celseq2/sc_celseq2_5cl_p1.count.csv.gz');
 */
export async function readDelimitedMatrix(path: string, options: Partial<ReadDelimitedMatrixOptions> = {}): Promise<AnnDataLite> {
  const cellsAsRows = options.cellsAsRows ?? false;
  let header: string[] | null = null;
  let headerLine = 0;
  let colNames: string[] = [];
  const rowNames: string[] = [];
  const store = new Triplets();
  const rowPtr: number[] = [0];
  let nFields = 0;
  for await (const { fields, line } of readRecords(path, options.delimiter)) {
    if (header === null) {
      header = fields;
      headerLine = line;
      continue;
    }
    if (nFields === 0) {
      // A header without a corner cell has one field fewer than the data rows.
      nFields = fields.length;
      if (header.length === nFields) colNames = header.slice(1);
      else if (header.length === nFields - 1) colNames = header;
      else {
        throw new InputError(`${path} line ${line}: expected ${header.length} or ${header.length + 1} fields to match the header on line ${headerLine}, got ${fields.length}`);
      }
    } else if (fields.length !== nFields) {
      throw new InputError(`${path} line ${line}: expected ${nFields} fields like the first data row, got ${fields.length}`);
    }
    rowNames.push(fields[0]);
    for (let c = 1; c < nFields; c++) {
      const s = fields[c];
      // Fast path for short plain integers (most count tables); Number() for the rest.
      let v = 0;
      const len = s.length;
      let plain = len > 0 && len < 10;
      for (let t = 0; plain && t < len; t++) {
        const d = s.charCodeAt(t) - 48;
        if (d < 0 || d > 9) plain = false;
        else v = v * 10 + d;
      }
      if (!plain) {
        const trimmed = s.trim();
        v = trimmed === '' ? NaN : Number(trimmed);
        if (!Number.isFinite(v) || v < 0) {
          throw new InputError(`${path} line ${line}, column ${c + 1} ('${colNames[c - 1]}'): expected a non-negative number, got '${s.slice(0, 40)}'`);
        }
      }
      if (v !== 0) store.push(c - 1, v);
    }
    rowPtr.push(store.n);
  }
  if (header === null) throw new InputError(`${path}: expected a header row and data rows, got no records`);
  if (nFields === 0) throw new InputError(`${path}: expected data rows after the header on line ${headerLine}, got none`);
  const nRows = rowNames.length;
  const nnz = store.n;
  const indptr = allocIndptr(nRows + 1, nnz);
  for (let r = 0; r <= nRows; r++) indptr[r] = rowPtr[r];
  const indices = store.idx.slice(0, nnz);
  const data = store.val.slice(0, nnz);
  const nCols = colNames.length;
  // File rows are genes by default: the stored rows are then columns of the cells x genes matrix.
  const x: CsrMatrix = cellsAsRows
    ? { format: 'csr', nRows, nCols, indptr, indices, data }
    : toCsr({ format: 'csc', nRows: nCols, nCols: nRows, indptr, indices, data } satisfies CscMatrix);
  const cellNames = cellsAsRows ? rowNames : colNames;
  const geneNames = cellsAsRows ? colNames : rowNames;
  const varCols: [string, Column][] = [];
  let idLike = 0;
  for (const g of geneNames) if (ENSEMBL_ID.test(g)) idLike++;
  if (geneNames.length > 0 && idLike * 2 > geneNames.length) varCols.push(['gene_ids', { kind: 'string', values: geneNames }]);
  return new AnnDataLite({
    X: x,
    layers: { counts: x },
    obs: new Frame(cellNames),
    var: new Frame(makeNamesUnique(geneNames), varCols),
  });
}
