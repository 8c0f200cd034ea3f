/**
 * Reader for 10x Genomics MatrixMarket folders (CellRanger v2: matrix.mtx, genes.tsv, barcodes.tsv;
 * v3: matrix.mtx.gz, features.tsv.gz, barcodes.tsv.gz; plain or gzipped, detected by magic bytes).
 *
 * The matrix file is genes x cells. The entry loop parses integers straight from the decompressed
 * bytes (no per-line strings), keeps the triplets in three typed arrays preallocated from the
 * header's nnz, counts entries per cell on the fly, and then builds CSR cells x genes:
 * - entries already grouped by cell (CellRanger and R's writeMM write column-major) are used in
 *   place: the gene array becomes `indices`, the value array `data`;
 * - any other order is grouped by an in-place counting sort (American flag sort: each entry is
 *   swapped into its cell's bucket), so no second copy of the triplets is needed.
 * Peak memory is therefore about 12 bytes per nonzero (gene, cell, value) against 8 for the CSR.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AnnDataLite } from '../core/adata.js';
import { InputError, UsageError } from '../core/errors.js';
import { Frame, categoricalFrom, type Column } from '../core/frame.js';
import { allocIndptr, sortRowSegment, type CsrMatrix, type Indptr } from '../core/sparse.js';
import { readChunks } from './readChunks.js';
import { readLines } from './lineReader.js';
import { makeNamesUnique } from './makeNamesUnique.js';

/** Options of {@link read10xMtx}. */
export interface Read10xMtxOptions {
  /**
   * Which feature column becomes the var index (made unique the anndata way); the other one is
   * kept as a var column (`gene_ids` or `gene_symbols`), as scanpy's `read_10x_mtx` does.
   * @default 'gene_symbols'
   */
  varNames: 'gene_symbols' | 'gene_ids';
}

/** The three files of a 10x MTX folder. */
export interface TenxMtxFiles {
  /** matrix.mtx or matrix.mtx.gz */
  readonly matrix: string;
  /** features.tsv(.gz) (v3) or genes.tsv(.gz) (v2) */
  readonly features: string;
  /** barcodes.tsv(.gz) */
  readonly barcodes: string;
}

/** A parsed MatrixMarket file already turned into CSR with the file's columns as rows. */
export interface MtxTransposed {
  /** CSR of the transpose: rows = the file's columns (cells), columns = the file's rows (genes). */
  readonly csr: CsrMatrix;
  /** `integer` or `real`, from the banner. */
  readonly field: 'integer' | 'real';
}

const DEFAULTS: Read10xMtxOptions = { varNames: 'gene_symbols' };

/** Finds the first existing file among `names` in `dir`, also accepting a GEO-style prefix. */
function findFile(dir: string, names: readonly string[], listing: readonly string[]): string | null {
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  for (const n of names) {
    const hit = listing.find((f) => f.endsWith(`_${n}`) || f.endsWith(`.${n}`));
    if (hit) return join(dir, hit);
  }
  return null;
}

/**
 * Locates matrix, features/genes and barcodes files in a 10x folder; throws `InputError` listing
 * what is missing.
 */
export function find10xMtxFiles(dir: string): TenxMtxFiles {
  let listing: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(`expected a 10x MTX folder at ${dir}, got a file`);
    listing = readdirSync(dir);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read 10x MTX folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const matrix = findFile(dir, ['matrix.mtx.gz', 'matrix.mtx'], listing);
  const features = findFile(dir, ['features.tsv.gz', 'features.tsv', 'genes.tsv.gz', 'genes.tsv'], listing);
  const barcodes = findFile(dir, ['barcodes.tsv.gz', 'barcodes.tsv'], listing);
  const missing: string[] = [];
  if (!matrix) missing.push('matrix.mtx(.gz)');
  if (!features) missing.push('features.tsv(.gz) or genes.tsv(.gz)');
  if (!barcodes) missing.push('barcodes.tsv(.gz)');
  if (missing.length > 0) {
    throw new InputError(`expected a 10x MTX folder at ${dir}; missing ${missing.join(', ')} (found: ${listing.join(', ') || 'nothing'})`);
  }
  return { matrix: matrix!, features: features!, barcodes: barcodes! };
}

/** Matches a MatrixMarket real token (the slow path; integers never get here). */
const REAL_TOKEN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses the banner `%%MatrixMarket matrix coordinate integer general`; returns the field. */
function parseBanner(line: string, where: string): 'integer' | 'real' {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length === 0 || tokens[0].toLowerCase() !== '%%matrixmarket') {
    throw new InputError(`${where} line 1: expected the header '%%MatrixMarket matrix coordinate integer|real general', got '${line.slice(0, 60)}'`);
  }
  const [, object, format, field, symmetry] = tokens.map((t) => t.toLowerCase());
  if (object !== 'matrix') throw new InputError(`${where} line 1: expected object 'matrix', got '${object ?? ''}'`);
  if (format !== 'coordinate') {
    throw new InputError(`${where} line 1: expected format 'coordinate' (sparse), got '${format ?? ''}'`);
  }
  if (field !== 'integer' && field !== 'real' && field !== 'double') {
    throw new InputError(`${where} line 1: expected field 'integer' or 'real', got '${field ?? ''}'`);
  }
  if (symmetry !== 'general') throw new InputError(`${where} line 1: expected symmetry 'general', got '${symmetry ?? ''}'`);
  return field === 'integer' ? 'integer' : 'real';
}

/** Parses the size line `nRows nCols nnz`. */
function parseSizeLine(line: string, where: string, lineNo: number): [number, number, number] {
  const tokens = line.trim().split(/\s+/);
  const nums = tokens.map((t) => (/^\d+$/.test(t) ? Number(t) : NaN));
  if (tokens.length !== 3 || nums.some((v) => !Number.isSafeInteger(v))) {
    throw new InputError(`${where} line ${lineNo}: expected the size line 'rows columns entries' (3 non-negative integers), got '${line.slice(0, 60)}'`);
  }
  const [nRows, nCols, nnz] = nums;
  if (nRows > 2 ** 31 - 1 || nCols > 2 ** 31 - 1) {
    throw new InputError(`${where} line ${lineNo}: expected dimensions below 2^31, got ${nRows} x ${nCols}`);
  }
  if (nnz > nRows * nCols) {
    throw new InputError(`${where} line ${lineNo}: expected at most rows x columns = ${nRows * nCols} entries, got ${nnz}`);
  }
  return [nRows, nCols, nnz];
}

/** Mutable state of the entry loop, carried from one chunk to the next. */
interface EntryState {
  readonly where: string;
  readonly field: 'integer' | 'real';
  readonly nGenes: number;
  readonly nCells: number;
  readonly nnz: number;
  readonly genes: Int32Array;
  readonly cells: Int32Array;
  readonly vals: Float32Array;
  /** Entries per cell at [cell + 1], turned into indptr afterwards. */
  readonly perCell: Float64Array;
  lineNo: number;
  k: number;
  fieldNo: number;
  acc: number;
  nd: number;
  realMode: boolean;
  tok: string;
  gene: number;
  cell: number;
  value: number;
  lastCell: number;
  lastGene: number;
  cellSorted: boolean;
  rowsSorted: boolean;
}

const FIELD_NAMES = ['field 1 (gene index)', 'field 2 (cell index)', 'field 3 (value)'];

function lineError(where: string, lineNo: number, what: string): InputError {
  return new InputError(`${where} line ${lineNo}: ${what}`);
}

/** Slow path for a value token that is not a plain integer (reals, signs, NaN, garbage). */
function parseValueToken(tok: string, st: EntryState, lineNo: number): number {
  const f = FIELD_NAMES[2];
  if (!REAL_TOKEN.test(tok)) {
    if (/^[+-]?nan$/i.test(tok)) throw lineError(st.where, lineNo, `${f}: expected a non-negative number, got NaN`);
    throw lineError(st.where, lineNo, `${f}: expected a non-negative number, got '${tok.slice(0, 40)}'`);
  }
  const v = Number(tok);
  if (tok.startsWith('-')) throw lineError(st.where, lineNo, `${f}: expected a non-negative count, got ${tok}`);
  if (!Number.isFinite(v)) throw lineError(st.where, lineNo, `${f}: expected a finite number, got ${tok}`);
  if (st.field === 'integer' && !Number.isInteger(v)) {
    throw lineError(st.where, lineNo, `${f}: expected an integer (the header says 'integer'), got ${tok}`);
  }
  return v;
}

/**
 * The hot loop: parses entry bytes `buf[start..]`. State lives in locals for the loop (no closure
 * captures, so V8 keeps them in registers) and is written back at the end of the chunk.
 */
function parseEntryBytes(buf: Uint8Array, start: number, end: number, st: EntryState): void {
  const { genes, cells, vals, perCell, nGenes, nCells, nnz } = st;
  let { lineNo, k, fieldNo, acc, nd, realMode, tok, gene, cell, value, lastCell, lastGene, cellSorted, rowsSorted } = st;
  const n = end;
  for (let p = start; p < n; p++) {
    const b = buf[p];
    const d = b - 48;
    if (d >= 0 && d <= 9) {
      if (realMode) tok += String.fromCharCode(b);
      else {
        acc = acc * 10 + d;
        nd++;
      }
      continue;
    }
    if (b === 32 || b === 9 || b === 10 || b === 13) {
      if (nd > 0 || realMode) {
        // End of a token.
        if (fieldNo === 0) {
          if (nd > 15 || acc < 1 || acc > nGenes) throw lineError(st.where, lineNo, `${FIELD_NAMES[0]}: expected an index in 1..${nGenes}, got ${acc}`);
          gene = acc - 1;
        } else if (fieldNo === 1) {
          if (nd > 15 || acc < 1 || acc > nCells) throw lineError(st.where, lineNo, `${FIELD_NAMES[1]}: expected an index in 1..${nCells}, got ${acc}`);
          cell = acc - 1;
        } else if (fieldNo === 2) {
          value = realMode ? parseValueToken(tok, st, lineNo) : acc;
        } else {
          throw lineError(st.where, lineNo, 'expected 3 fields (gene cell value), got more');
        }
        fieldNo++;
        acc = 0;
        nd = 0;
        if (realMode) {
          realMode = false;
          tok = '';
        }
      }
      if (b === 10) {
        if (fieldNo !== 0) {
          if (fieldNo !== 3) throw lineError(st.where, lineNo, `expected 3 fields (gene cell value), got ${fieldNo}`);
          if (k >= nnz) throw lineError(st.where, lineNo, `expected ${nnz} entries as declared on the size line, got more`);
          genes[k] = gene;
          cells[k] = cell;
          vals[k] = value;
          perCell[cell + 1]++;
          if (cell !== lastCell) {
            if (cell < lastCell) cellSorted = false;
            lastCell = cell;
          } else if (gene <= lastGene) {
            rowsSorted = false;
          }
          lastGene = gene;
          k++;
          fieldNo = 0;
        }
        lineNo++;
      }
      continue;
    }
    // Any other byte: a real value (decimal point, exponent, sign) or garbage.
    if (fieldNo === 2 && !realMode) {
      realMode = true;
      tok = (nd > 0 ? String(acc) : '') + String.fromCharCode(b);
    } else if (realMode) {
      tok += String.fromCharCode(b);
    } else {
      let e = p;
      while (e < n && buf[e] !== 32 && buf[e] !== 9 && buf[e] !== 10 && buf[e] !== 13) e++;
      const got = Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('utf8', Math.max(start, p - nd), Math.min(e, p + 40));
      if (fieldNo >= 3) throw lineError(st.where, lineNo, `expected 3 fields (gene cell value), got more ('${got}')`);
      throw lineError(st.where, lineNo, `${FIELD_NAMES[fieldNo]}: expected a positive integer index, got '${got}'`);
    }
  }
  Object.assign(st, { lineNo, k, fieldNo, acc, nd, realMode, tok, gene, cell, value, lastCell, lastGene, cellSorted, rowsSorted });
}

/**
 * Fast path over complete lines `buf[start..end)` (`end` just past a newline) in the canonical
 * layout `gene<space>cell<space>integer\n` (or `\r\n`): three digit loops per line and no
 * per-byte state machine. A line in any other shape (tabs, extra spaces, reals, errors) is handed
 * to {@link parseEntryBytes}, which parses it with full checks and exact error messages.
 */
function parseLinesFast(buf: Uint8Array, start: number, end: number, st: EntryState): void {
  const { genes, cells, vals, perCell, nGenes, nCells, nnz } = st;
  let { lineNo, k, lastCell, lastGene, cellSorted, rowsSorted } = st;
  let p = start;
  while (p < end) {
    const lineStart = p;
    let c = buf[p];
    let g = 0;
    let nd = 0;
    while (c >= 48 && c <= 57) {
      g = g * 10 + (c - 48);
      nd++;
      c = buf[++p];
    }
    let ok = nd > 0 && nd < 16 && c === 32 && g >= 1 && g <= nGenes;
    let j = 0;
    let v = 0;
    if (ok) {
      c = buf[++p];
      nd = 0;
      while (c >= 48 && c <= 57) {
        j = j * 10 + (c - 48);
        nd++;
        c = buf[++p];
      }
      ok = nd > 0 && nd < 16 && c === 32 && j >= 1 && j <= nCells;
    }
    if (ok) {
      c = buf[++p];
      nd = 0;
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        nd++;
        c = buf[++p];
      }
      if (c === 13 && buf[p + 1] === 10) c = buf[++p];
      ok = nd > 0 && c === 10 && k < nnz;
    }
    if (!ok) {
      // Irregular line: rewind and let the general parser handle (or reject) it.
      const nl = buf.indexOf(10, lineStart);
      Object.assign(st, { lineNo, k, lastCell, lastGene, cellSorted, rowsSorted });
      parseEntryBytes(buf, lineStart, nl + 1, st);
      ({ lineNo, k, lastCell, lastGene, cellSorted, rowsSorted } = st);
      p = nl + 1;
      continue;
    }
    const gene = g - 1;
    const cell = j - 1;
    genes[k] = gene;
    cells[k] = cell;
    vals[k] = v;
    perCell[j]++;
    if (cell !== lastCell) {
      if (cell < lastCell) cellSorted = false;
      lastCell = cell;
    } else if (gene <= lastGene) {
      rowsSorted = false;
    }
    lastGene = gene;
    k++;
    lineNo++;
    p++;
  }
  Object.assign(st, { lineNo, k, lastCell, lastGene, cellSorted, rowsSorted });
}

/**
 * Sorts one row segment by gene index, carrying values along. Short rows use insertion sort; long
 * rows sort Float64 keys `gene * len + position` natively (no comparator callback), which is exact
 * because gene < 2^31 and position < 2^21 keep keys below 2^53, then apply the permutation.
 */
function sortRowByGene(genes: Int32Array, vals: Float32Array, start: number, end: number, keys: Float64Array): void {
  const len = end - start;
  if (len <= 24) {
    for (let t = start + 1; t < end; t++) {
      const g = genes[t];
      const v = vals[t];
      let u = t - 1;
      while (u >= start && genes[u] > g) {
        genes[u + 1] = genes[u];
        vals[u + 1] = vals[u];
        u--;
      }
      genes[u + 1] = g;
      vals[u + 1] = v;
    }
    return;
  }
  if (len >= 2 ** 21) {
    sortRowSegment(genes, vals, start, end);
    return;
  }
  const key = keys.subarray(0, len);
  for (let t = 0; t < len; t++) key[t] = genes[start + t] * len + t;
  key.sort();
  const valCopy = vals.slice(start, end);
  for (let t = 0; t < len; t++) {
    const pos = key[t] % len;
    genes[start + t] = (key[t] - pos) / len;
    vals[start + t] = valCopy[pos];
  }
}

/**
 * Groups triplets by cell and returns CSR (cells x genes). Uses the arrays in place when the file
 * was already grouped by cell; otherwise an in-place American flag sort (O(nnz) swaps, no copy).
 * Rows with unsorted genes are sorted, and duplicate coordinates summed.
 */
function buildCsr(st: EntryState): CsrMatrix {
  const { genes, cells, vals, perCell, nCells, nGenes, nnz } = st;
  const indptr: Indptr = allocIndptr(nCells + 1, nnz);
  for (let c = 0; c < nCells; c++) indptr[c + 1] = indptr[c] + perCell[c + 1];
  if (!st.cellSorted) {
    // next[c] = first position in bucket c not yet known to hold a cell-c entry. Buckets before c
    // are complete when bucket c is processed, so every swap moves an entry to a later bucket.
    const next = new Float64Array(nCells);
    for (let c = 0; c < nCells; c++) next[c] = indptr[c];
    for (let c = 0; c < nCells; c++) {
      const end = indptr[c + 1];
      while (next[c] < end) {
        const pos = next[c];
        const cc = cells[pos];
        if (cc === c) {
          next[c] = pos + 1;
          continue;
        }
        const dst = next[cc]++;
        const g = genes[pos];
        const v = vals[pos];
        genes[pos] = genes[dst];
        vals[pos] = vals[dst];
        cells[pos] = cells[dst];
        genes[dst] = g;
        vals[dst] = v;
        cells[dst] = cc;
      }
    }
  }
  let hasDup = false;
  if (!st.cellSorted || !st.rowsSorted) {
    let longest = 0;
    for (let i = 0; i < nCells; i++) longest = Math.max(longest, indptr[i + 1] - indptr[i]);
    const keys = new Float64Array(Math.min(longest, 2 ** 21));
    for (let i = 0; i < nCells; i++) {
      const end = indptr[i + 1];
      let ordered = true;
      for (let t = indptr[i] + 1; t < end; t++) {
        if (genes[t] <= genes[t - 1]) {
          ordered = false;
          break;
        }
      }
      if (ordered) continue;
      sortRowByGene(genes, vals, indptr[i], end, keys);
      for (let t = indptr[i] + 1; t < end; t++) if (genes[t] === genes[t - 1]) hasDup = true;
    }
  }
  if (!hasDup) return { format: 'csr', nRows: nCells, nCols: nGenes, indptr, indices: genes, data: vals };
  // Sum duplicate coordinates (scipy's COO -> CSR rule), compacting in place.
  let w = 0;
  const out = allocIndptr(nCells + 1, nnz);
  for (let i = 0; i < nCells; i++) {
    const end = indptr[i + 1];
    for (let t = indptr[i]; t < end; t++) {
      if (w > out[i] && genes[w - 1] === genes[t]) vals[w - 1] += vals[t];
      else {
        genes[w] = genes[t];
        vals[w] = vals[t];
        w++;
      }
    }
    out[i + 1] = w;
  }
  const finalPtr = allocIndptr(nCells + 1, w);
  finalPtr.set(out);
  return { format: 'csr', nRows: nCells, nCols: nGenes, indptr: finalPtr, indices: genes.slice(0, w), data: vals.slice(0, w) };
}

/**
 * Kernel: parses a MatrixMarket coordinate file (genes x cells) into CSR of its transpose (cells x
 * genes). Any entry order is accepted; duplicate coordinates are summed, as scipy's COO to CSR does.
 * Every malformed input is an `InputError` naming the file, line and field.
 * @param path - matrix.mtx or matrix.mtx.gz
 * @param chunkSize - bytes per chunk (tests use tiny chunks to cross every token boundary). @default 1 MiB
 */
export async function readMtxTransposed(path: string, chunkSize = 1 << 20): Promise<MtxTransposed> {
  const where = path;
  let phase = 0; // 0 = banner, 1 = comments and size line, 2 = entries
  let headerCarry = '';
  let field: 'integer' | 'real' = 'integer';
  let lineNo = 1;
  let st: EntryState | null = null;
  for await (const buf of readChunks(path, { chunkSize })) {
    let p = 0;
    const n = buf.length;
    // Header lines are few and short, so strings are fine here.
    while (st === null && p < n) {
      const nl = buf.indexOf(10, p);
      if (nl < 0) {
        headerCarry += buf.toString('utf8', p, n);
        if (headerCarry.length > 1 << 20) throw lineError(where, lineNo, 'expected a header line, got over 1 MiB without a newline');
        p = n;
        break;
      }
      const line = (headerCarry + buf.toString('utf8', p, nl)).replace(/\r$/, '');
      headerCarry = '';
      p = nl + 1;
      if (phase === 0) {
        field = parseBanner(line, where);
        phase = 1;
      } else if (!line.startsWith('%') && line.trim() !== '') {
        // Lines starting with % are the comment block (e.g. CellRanger's %metadata_json).
        st = newEntryState(where, field, parseSizeLine(line, where, lineNo), lineNo + 1);
      }
      lineNo++;
    }
    if (st === null || p >= n) continue;
    // A line left open by the previous chunk is finished by the general parser first.
    if (st.fieldNo !== 0 || st.nd > 0 || st.realMode) {
      const nl = buf.indexOf(10, p);
      const stop = nl < 0 ? n : nl + 1;
      parseEntryBytes(buf, p, stop, st);
      p = stop;
    }
    // Complete lines take the fast path; the general parser takes the unfinished tail and keeps
    // its state in `st` for the next chunk.
    const lastNl = buf.lastIndexOf(10);
    if (lastNl >= p) {
      parseLinesFast(buf, p, lastNl + 1, st);
      p = lastNl + 1;
    }
    if (p < n) parseEntryBytes(buf, p, n, st);
  }
  if (st === null) {
    // The file ended inside the header; a last line without newline may still complete it.
    const last = headerCarry.replace(/\r$/, '');
    if (phase === 0) {
      if (last === '') throw lineError(where, 1, "expected the header '%%MatrixMarket matrix coordinate ...', got nothing");
      parseBanner(last, where);
      throw lineError(where, 2, 'expected the size line (rows columns entries), got end of file');
    }
    if (last.trim() === '' || last.startsWith('%')) throw lineError(where, lineNo, 'expected the size line (rows columns entries), got end of file');
    st = newEntryState(where, field, parseSizeLine(last, where, lineNo), lineNo + 1);
  }
  // A final line without newline: feed one newline to flush it.
  parseEntryBytes(NEWLINE, 0, 1, st);
  if (st.k !== st.nnz) {
    throw new InputError(`${where}: expected ${st.nnz} entries as declared on the size line, got ${st.k} (file ends early: truncated?)`);
  }
  return { csr: buildCsr(st), field: st.field };
}

const NEWLINE = new Uint8Array([10]);

/** Entry-loop state for a matrix of the given size, triplet arrays preallocated from nnz. */
function newEntryState(where: string, field: 'integer' | 'real', size: [number, number, number], lineNo: number): EntryState {
  const [nGenes, nCells, nnz] = size;
  return {
    where, field, nGenes, nCells, nnz,
    genes: new Int32Array(nnz), cells: new Int32Array(nnz), vals: new Float32Array(nnz),
    perCell: new Float64Array(nCells + 1),
    lineNo, k: 0, fieldNo: 0, acc: 0, nd: 0, realMode: false, tok: '',
    gene: 0, cell: 0, value: 0, lastCell: -1, lastGene: -1, cellSorted: true, rowsSorted: true,
  };
}

/** One row of a features/genes file. */
interface FeatureTable {
  ids: string[];
  symbols: string[];
  types: string[] | null;
}

async function readFeatures(path: string): Promise<FeatureTable> {
  const ids: string[] = [];
  const symbols: string[] = [];
  const types: string[] = [];
  let hasTypes = true;
  let lineNo = 0;
  for await (const line of readLines(path)) {
    lineNo++;
    if (line === '') continue;
    const parts = line.split('\t');
    ids.push(parts[0]);
    // A one-column file (symbols or IDs only) uses the same value for both.
    symbols.push(parts.length > 1 ? parts[1] : parts[0]);
    if (parts.length > 2) types.push(parts[2]);
    else hasTypes = false;
  }
  return { ids, symbols, types: hasTypes && types.length > 0 ? types : null };
}

async function readBarcodes(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLines(path)) {
    if (line === '') continue;
    out.push(line.split('\t')[0]);
  }
  return out;
}

/**
 * Reads a 10x Genomics MTX folder (CellRanger v2 or v3, plain or gzipped) as cells x genes.
 * `X` holds the counts as Float32 CSR and `layers.counts` is the same matrix object. obs index =
 * barcodes; var index = gene symbols (or IDs) made unique the anndata way; var columns `gene_ids`
 * (or `gene_symbols`) and, when the file has a third column, `feature_types` (categorical).
 * @param dir - the folder (or any file inside it)
 * @example
 * const adata = await read10xMtx('../shared/data/pbmc3k'); // 2,700 x 32,738
 */
export async function read10xMtx(dir: string, options: Partial<Read10xMtxOptions> = {}): Promise<AnnDataLite> {
  const opts = { ...DEFAULTS, ...options };
  if (opts.varNames !== 'gene_symbols' && opts.varNames !== 'gene_ids') {
    throw new UsageError(`read10xMtx: expected varNames 'gene_symbols' or 'gene_ids', got '${String(opts.varNames)}'`);
  }
  const files = find10xMtxFiles(dir);
  const [features, barcodes] = await Promise.all([readFeatures(files.features), readBarcodes(files.barcodes)]);
  const { csr } = await readMtxTransposed(files.matrix);
  if (features.ids.length !== csr.nCols) {
    throw new InputError(`${files.features}: expected ${csr.nCols} rows (the rows of ${basename(files.matrix)}), got ${features.ids.length}`);
  }
  if (barcodes.length !== csr.nRows) {
    throw new InputError(`${files.barcodes}: expected ${csr.nRows} rows (the columns of ${basename(files.matrix)}), got ${barcodes.length}`);
  }
  const bySymbol = opts.varNames === 'gene_symbols';
  const varIndex = makeNamesUnique(bySymbol ? features.symbols : features.ids);
  const varCols: [string, Column][] = [
    bySymbol ? ['gene_ids', { kind: 'string', values: features.ids }] : ['gene_symbols', { kind: 'string', values: features.symbols }],
  ];
  if (features.types) varCols.push(['feature_types', categoricalFrom(features.types)]);
  return new AnnDataLite({
    X: csr,
    layers: { counts: csr },
    obs: new Frame(barcodes),
    var: new Frame(varIndex, varCols),
  });
}
