/**
 * Writes CellRanger v3 feature-barcode HDF5 files (`filtered_feature_bc_matrix.h5` layout):
 *
 * ```
 * /matrix/data      int32   nnz counts            /matrix/shape    int32 [nGenes, nCells]
 * /matrix/indices   int64   nnz gene indices      /matrix/barcodes |S   nCells
 * /matrix/indptr    int64   nCells + 1            /matrix/features/{id,name,feature_type,genome,_all_tag_keys}
 * ```
 * The matrix is CSC with cells as columns, so cells can be appended one after another:
 * {@link H5StreamWriter} keeps a 1 Mi-entry buffer and appends it to chunked, resizable,
 * deflate-compressed datasets (h5wasm's wasm heap is 32-bit, so data must move in slices, see
 * io/h5.ts). Strings are fixed-length ASCII like CellRanger's, so h5py/scanpy read them as `|S`.
 */
import { renameSync, rmSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AnnDataLite } from '../core/adata.js';
import type { CsrMatrix } from '../core/sparse.js';
import { columnStrings, type Column } from '../core/frame.js';
import { tempPathFor } from '../core/atomic.js';
import { OutputError } from '../core/errors.js';
import { openH5Write, type H5File, type Dataset, type Group } from './h5.js';
import type { Features10x } from './write10xMtx.js';

/** Options of {@link H5StreamWriter}. */
export interface H5StreamOptions {
  /** Number of genes (rows of the CSC matrix). */
  readonly nGenes: number;
  /** Deflate level 1-9 of the data and indices datasets. @default 1 */
  readonly gzipLevel?: number;
  /** Library id stored in the root `library_ids` attribute. @default 'sample' */
  readonly libraryId?: string;
}

/** Entries buffered before a slice is appended to the file. */
const BUFFER_ENTRIES = 1 << 20;
/** Chunk size of the growing datasets (elements). */
const CHUNK = 1 << 16;

/** Creates an empty, unlimited, chunked and compressed 1-D dataset. */
function growable(group: Group, name: string, dtype: string, level: number): Dataset {
  const empty = dtype === '<q' ? new BigInt64Array(0) : new Int32Array(0);
  return group.create_dataset({ name, data: empty, shape: [0], maxshape: [null], chunks: [CHUNK], dtype, compression: 'gzip', compression_opts: level });
}

/** Fixed-length ASCII string dataset sized to the longest value. */
function fixedStrings(group: Group, name: string, values: readonly string[]): void {
  let width = 1;
  for (const v of values) width = Math.max(width, Buffer.byteLength(v));
  group.create_dataset({ name, data: [...values], shape: [values.length], dtype: `A${width}` });
}

/** Widens int32 values to int64 for CellRanger's index datasets. */
function toInt64(src: ArrayLike<number>, n: number): BigInt64Array {
  const out = new BigInt64Array(n);
  // Write the two 32-bit halves directly instead of creating a BigInt per element.
  const halves = new Int32Array(out.buffer);
  for (let k = 0; k < n; k++) {
    const v = src[k];
    halves[2 * k] = v | 0;
    halves[2 * k + 1] = v < 0 ? -1 : Math.floor(v / 4294967296);
  }
  return out;
}

/**
 * Streams one CellRanger v3 HDF5 file cell by cell; the file appears at `path` only when
 * {@link H5StreamWriter.finish} succeeds.
 *
 * @example
 * const w = await H5StreamWriter.create('BM01.h5', { nGenes: 3 });
 * w.addCell('AAAC-1', Int32Array.of(0, 2), Int32Array.of(5, 1), 2);
 * await w.finish({ ids: ['G1', 'G2', 'G3'], symbols: ['A', 'B', 'C'] });
 */
export class H5StreamWriter {
  private readonly indicesBuf = new Int32Array(BUFFER_ENTRIES);
  private readonly dataBuf = new Int32Array(BUFFER_ENTRIES);
  private buffered = 0;
  private written = 0;
  private indptr = new Float64Array(1024);
  private readonly barcodes: string[] = [];
  private closed = false;
  /** Entries so far. */
  nnz = 0;
  /** Never blocks: HDF5 writes are synchronous. */
  readonly needsDrain = false;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly file: H5File,
    private readonly matrix: Group,
    private readonly dataDs: Dataset,
    private readonly indicesDs: Dataset,
    readonly nGenes: number,
    private readonly libraryId: string,
  ) {}

  /**
   * Opens a temporary sibling of `path` and creates the growing datasets.
   * @param path Final file path.
   * @param options Gene count, deflate level, library id.
   */
  static async create(path: string, options: H5StreamOptions): Promise<H5StreamWriter> {
    const dir = dirname(path);
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OutputError(`cannot create output directory ${dir}: ${(e as Error).message}`, { cause: e });
    }
    const tmp = tempPathFor(path);
    const file = await openH5Write(tmp);
    const level = options.gzipLevel ?? 1;
    const matrix = file.create_group('matrix');
    const dataDs = growable(matrix, 'data', '<i', level);
    const indicesDs = growable(matrix, 'indices', '<q', level);
    return new H5StreamWriter(path, tmp, file, matrix, dataDs, indicesDs, options.nGenes, options.libraryId ?? 'sample');
  }

  /** Cells so far. */
  get nCells(): number {
    return this.barcodes.length;
  }

  /** Appends one cell: `n` entries, 0-based increasing gene indices `genes`, values `counts` (zeros skipped). */
  addCell(barcode: string, genes: ArrayLike<number>, counts: ArrayLike<number>, n: number): void {
    for (let k = 0; k < n; k++) {
      const v = counts[k];
      if (v === 0) continue;
      if (this.buffered === BUFFER_ENTRIES) this.flush();
      this.indicesBuf[this.buffered] = genes[k];
      this.dataBuf[this.buffered] = v;
      this.buffered++;
      this.nnz++;
    }
    this.barcodes.push(barcode);
    const c = this.barcodes.length;
    if (c + 1 > this.indptr.length) {
      const grown = new Float64Array(this.indptr.length * 2);
      grown.set(this.indptr);
      this.indptr = grown;
    }
    this.indptr[c] = this.nnz;
  }

  /** Appends the buffered entries to the file. */
  private flush(): void {
    if (this.buffered === 0) return;
    const end = this.written + this.buffered;
    this.dataDs.resize([end]);
    this.dataDs.write_slice([[this.written, end]], this.dataBuf.subarray(0, this.buffered));
    this.indicesDs.resize([end]);
    this.indicesDs.write_slice([[this.written, end]], toInt64(this.indicesBuf, this.buffered));
    this.written = end;
    this.buffered = 0;
  }

  /** Nothing to wait for (kept for the common sink interface). */
  async drain(): Promise<void> {}

  /** Writes indptr, shape, barcodes, features and attributes, closes and renames into place. */
  async finish(features: Features10x): Promise<void> {
    try {
      if (features.ids.length !== this.nGenes || features.symbols.length !== this.nGenes) {
        throw new Error(`features have ${features.ids.length} ids and ${features.symbols.length} symbols, expected ${this.nGenes}`);
      }
      this.flush();
      const m = this.matrix;
      const nCells = this.barcodes.length;
      const indptr = toInt64(this.indptr, nCells + 1);
      m.create_dataset({ name: 'indptr', data: indptr, shape: [nCells + 1], dtype: '<q' });
      m.create_dataset({ name: 'shape', data: Int32Array.of(this.nGenes, nCells), shape: [2], dtype: '<i' });
      fixedStrings(m, 'barcodes', this.barcodes);
      const f = m.create_group('features');
      fixedStrings(f, 'id', features.ids);
      fixedStrings(f, 'name', features.symbols);
      fixedStrings(f, 'feature_type', features.types ?? new Array<string>(this.nGenes).fill('Gene Expression'));
      fixedStrings(f, 'genome', new Array<string>(this.nGenes).fill('GRCh38'));
      fixedStrings(f, '_all_tag_keys', ['genome']);
      this.file.create_attribute('filetype', 'matrix');
      this.file.create_attribute('version', Int32Array.of(2), [], '<i');
      this.file.create_attribute('chemistry_description', "Single Cell 3' v3");
      this.file.create_attribute('library_ids', [this.libraryId]);
      this.file.close();
      this.closed = true;
      stripHdf5Timestamps(this.tmp);
      renameSync(this.tmp, this.path);
    } catch (e) {
      await this.abort();
      if (e instanceof Error && 'code' in e) throw new OutputError(`cannot write ${this.path}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** Closes and removes the temporary file. */
  async abort(): Promise<void> {
    if (!this.closed) {
      try {
        this.file.close();
      } catch {
        // already unusable; removing the file is all that is left
      }
      this.closed = true;
    }
    rmSync(this.tmp, { force: true });
  }
}

function optionalStrings(c: Column | undefined): string[] | undefined {
  return c && (c.kind === 'string' || c.kind === 'categorical') ? columnStrings(c) : undefined;
}

/**
 * Writes `adata` (raw counts from `layers.counts` when present, else `X`; values rounded to
 * integers as CellRanger stores int32 counts) as a CellRanger v3 HDF5 file at `path`, atomically.
 * Features: ids from var `gene_ids` (else the index), symbols from the index, types from
 * `feature_types`.
 *
 * @example
 * await write10xH5('out/pbmc.h5', adata);
 */
export async function write10xH5(path: string, adata: AnnDataLite): Promise<void> {
  const m: CsrMatrix = adata.layers.counts ?? adata.X;
  const ids = optionalStrings(adata.var.get('gene_ids')) ?? [...adata.var.index];
  const symbols = adata.var.has('gene_ids') ? [...adata.var.index] : (optionalStrings(adata.var.get('gene_symbols')) ?? [...adata.var.index]);
  const types = optionalStrings(adata.var.get('feature_types'));
  const w = await H5StreamWriter.create(path, { nGenes: m.nCols });
  const rounded = new Int32Array(m.nCols);
  try {
    const barcodes = adata.obs.index;
    for (let i = 0; i < m.nRows; i++) {
      const start = m.indptr[i];
      const end = m.indptr[i + 1];
      for (let k = start; k < end; k++) rounded[k - start] = Math.round(m.data[k]);
      w.addCell(barcodes[i], m.indices.subarray(start, end), rounded, end - start);
    }
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.finish({ ids, symbols, types });
}

/** Bob Jenkins' lookup3 `hashlittle` (2006), the checksum HDF5 puts on v2 metadata blocks. */
function lookup3(buf: Uint8Array, start: number, length: number, initval = 0): number {
  const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  let a = (0xdeadbeef + length + initval) | 0;
  let b = a;
  let c = a;
  let p = start;
  while (length > 12) {
    a = (a + (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24))) | 0;
    b = (b + (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24))) | 0;
    c = (c + (buf[p + 8] | (buf[p + 9] << 8) | (buf[p + 10] << 16) | (buf[p + 11] << 24))) | 0;
    // mix(a, b, c)
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    length -= 12;
    p += 12;
  }
  if (length === 0) return c >>> 0;
  // Tail: bytes 0-3 into a, 4-7 into b, 8-11 into c, little-endian.
  for (let t = length - 1; t >= 0; t--) {
    const v = buf[p + t] << ((t & 3) * 8);
    if (t >= 8) c = (c + v) | 0;
    else if (t >= 4) b = (b + v) | 0;
    else a = (a + v) | 0;
  }
  // final(a, b, c)
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

/**
 * Makes an HDF5 file byte-reproducible by zeroing the object times HDF5 stamps into every v2
 * object header (HDF5 spec, "Version 2 Data Object Header Prefix": flags bit 5 = access,
 * modification, change and birth times follow the flags) and recomputing the header checksum.
 * A candidate `OHDR` signature is rewritten only when its stored checksum verifies, so bytes in
 * compressed chunks that happen to spell `OHDR` are never touched. h5wasm offers no switch to
 * disable time tracking, hence this pass. Returns the number of headers rewritten.
 */
export function stripHdf5Timestamps(path: string): number {
  const buf = readFileSync(path);
  let changed = 0;
  for (let p = buf.indexOf('OHDR'); p >= 0; p = buf.indexOf('OHDR', p + 4)) {
    if (buf[p + 4] !== 2) continue;
    const flags = buf[p + 5];
    if ((flags & 0x20) === 0) continue;
    let q = p + 6 + 16;
    if (flags & 0x10) q += 4;
    const sizeBytes = 1 << (flags & 3);
    let chunk0 = 0;
    for (let t = sizeBytes - 1; t >= 0; t--) chunk0 = chunk0 * 256 + buf[q + t];
    q += sizeBytes;
    const sumAt = q + chunk0;
    if (sumAt + 4 > buf.length) continue;
    if (lookup3(buf, p, sumAt - p) !== buf.readUInt32LE(sumAt)) continue;
    buf.fill(0, p + 6, p + 22);
    buf.writeUInt32LE(lookup3(buf, p, sumAt - p), sumAt);
    changed++;
  }
  if (changed > 0) writeFileSync(path, buf);
  return changed;
}
