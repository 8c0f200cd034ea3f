/**
 * Reader for AnnData `.h5ad` files (anndata >= 0.7 on-disk encoding, documented in anndata's
 * "On-disk format" page): every element carries `encoding-type` / `encoding-version` attributes;
 * sparse matrices are groups (`csr_matrix` / `csc_matrix`, with a `shape` attribute) holding
 * `data`, `indices`, `indptr`; dense arrays are datasets; dataframes are groups with an `_index`
 * attribute naming the index dataset and a `column-order` attribute; categoricals are groups with
 * `categories` and `codes` (0.2.0) or, in files from anndata 0.7 and from our writer, a codes
 * dataset whose `categories` attribute references a dataset under `__categories/` (0.1.0).
 *
 * Counts-first: cqamine analyses start from raw counts, so the matrix put in `X` (and
 * `layers.counts`, the same object) is the first found of `layers/counts`, `raw/X`, `X`; the
 * result says which in `countsSource`. When X is not the counts its values are not kept.
 */
import { AnnDataLite, type Json, type StepRecord } from '../core/adata.js';
import type { DenseMatrix } from '../core/dense.js';
import { InputError } from '../core/errors.js';
import { Frame, columnLength, type Column } from '../core/frame.js';
import { allocIndptr, toCsr, validateCompressed, vstackCsr, type CsrMatrix } from '../core/sparse.js';
import {
  Dataset,
  Group,
  H5T,
  datasetLength,
  getDataset,
  getGroup,
  isBoolEnum,
  isNumericDataset,
  isStringDataset,
  mapReadError,
  openH5Read,
  readAttr,
  readCompressed,
  readFloat32,
  readFloat64,
  readInt32,
  readNumberArrayAttr,
  readNumericColumn,
  readStringArrayAttr,
  readStringAttr,
  readStrings,
  H5_SLICE_ELEMENTS,
  type H5File,
} from './h5.js';

/** Options of {@link readH5ad}. */
export interface ReadH5adOptions {
  /**
   * `counts`: take `layers/counts`, else `raw/X`, else `X` (what the analysis needs).
   * `X`: take `X` whatever it holds.
   * @default 'counts'
   */
  prefer: 'counts' | 'X';
}

/** Where the matrix in the returned `X` came from. */
export type CountsSource = 'layers/counts' | 'raw/X' | 'X';

/** Result of {@link readH5ad}. */
export interface ReadH5adResult {
  /** The data, with the chosen matrix as `X` and `layers.counts`. */
  readonly adata: AnnDataLite;
  /** Which stored matrix became `X`. */
  readonly countsSource: CountsSource;
}

/** Attribute our writer sets on elements whose JS type HDF5/anndata cannot express by itself. */
export const CQAMINE_TYPE_ATTR = 'cqamine-type';

/** uns key under which our writer stores `history` (as JSON). */
export const HISTORY_UNS_KEY = 'cqamine_history';

const KIND = 'h5ad';

/** Reading context: the open file and its path for messages. */
interface Ctx {
  readonly file: H5File;
  readonly path: string;
}

/** The `encoding-type` of an element, or '' when absent (pre-0.7 or foreign files). */
function encodingOf(e: Group | Dataset): string {
  return readStringAttr(e, 'encoding-type') ?? '';
}

/** Strings of a string or numeric dataset (numeric category labels and indices become text). */
function readLabels(ds: Dataset, where: string): string[] {
  if (isStringDataset(ds)) return readStrings(ds, where);
  if (isNumericDataset(ds)) return Array.from(readFloat64(ds), (v) => String(v));
  throw new InputError(`expected strings or numbers in ${where}, got an unsupported HDF5 type`);
}

/** Categories dataset of an old-style (0.1.0) categorical column, or null. */
function oldStyleCategories(ctx: Ctx, frameGroup: Group, name: string, codes: Dataset): Dataset | null {
  const ref = readAttr(codes, 'categories');
  if (Array.isArray(ref) && ref.length > 0 && typeof ref[0] === 'object' && ref[0] !== null && 'ref_data' in ref[0]) {
    try {
      const target = ctx.file.dereference(ref[0] as Parameters<H5File['dereference']>[0]);
      if (target instanceof Dataset) return target;
    } catch {
      // fall through to the conventional location
    }
  }
  return getDataset(frameGroup, `__categories/${name}`);
}

/** A truthy attribute (`ordered`): h5py booleans arrive as 0/1 numbers. */
function attrTrue(e: Group | Dataset, name: string): boolean {
  const v = readAttr(e, name);
  if (v === null) return false;
  if (ArrayBuffer.isView(v)) return (v as ArrayLike<number>).length > 0 && Number((v as ArrayLike<number>)[0]) !== 0;
  return Boolean(Number(v));
}

/** Reads one dataframe column; null for encodings we do not model (they are skipped). */
function readColumn(ctx: Ctx, frameGroup: Group, name: string, where: string): Column | null {
  const e = frameGroup.get(name);
  if (e instanceof Group) {
    const enc = encodingOf(e);
    if (enc === 'categorical') {
      const codesDs = getDataset(e, 'codes');
      const catsDs = getDataset(e, 'categories');
      if (!codesDs || !catsDs) throw new InputError(`expected 'codes' and 'categories' in categorical ${where}/${name} in ${ctx.path}`);
      const codes = readInt32(codesDs, `'${where}/${name}/codes' in ${ctx.path}`);
      const categories = readLabels(catsDs, `'${where}/${name}/categories' in ${ctx.path}`);
      checkCodes(codes, categories.length, `${where}/${name}`, ctx.path);
      return { kind: 'categorical', codes, categories, ordered: attrTrue(e, 'ordered') };
    }
    if (enc === 'nullable-integer' || enc === 'nullable-boolean') {
      const valuesDs = getDataset(e, 'values');
      if (!valuesDs) return null;
      const maskDs = getDataset(e, 'mask');
      const mask = maskDs ? readInt32(maskDs, `'${where}/${name}/mask' in ${ctx.path}`) : null;
      if (enc === 'nullable-boolean') {
        const v = readInt32(valuesDs, `'${where}/${name}/values' in ${ctx.path}`);
        const out = new Uint8Array(v.length);
        // A missing boolean has no slot in a Uint8 column; it reads as false.
        for (let i = 0; i < v.length; i++) out[i] = mask && mask[i] ? 0 : v[i] ? 1 : 0;
        return { kind: 'bool', values: out };
      }
      const v = readFloat64(valuesDs);
      if (mask) for (let i = 0; i < v.length; i++) if (mask[i]) v[i] = NaN;
      return { kind: 'numeric', values: v };
    }
    return null;
  }
  if (!(e instanceof Dataset)) return null;
  const meta = e.metadata;
  if (meta.type === H5T.string) return { kind: 'string', values: readStrings(e, `'${where}/${name}' in ${ctx.path}`) };
  if (isBoolEnum(meta)) return { kind: 'bool', values: Uint8Array.from(readInt32(e, `'${where}/${name}' in ${ctx.path}`)) };
  if (!isNumericDataset(e) || (e.shape ?? []).length !== 1) return null;
  const cats = oldStyleCategories(ctx, frameGroup, name, e);
  if (cats) {
    const codes = readInt32(e, `'${where}/${name}' in ${ctx.path}`);
    const categories = readLabels(cats, `'${where}/__categories/${name}' in ${ctx.path}`);
    checkCodes(codes, categories.length, `${where}/${name}`, ctx.path);
    return { kind: 'categorical', codes, categories, ordered: attrTrue(cats, 'ordered') };
  }
  if (readStringAttr(e, CQAMINE_TYPE_ATTR) === 'bool') {
    return { kind: 'bool', values: Uint8Array.from(readInt32(e, `'${where}/${name}' in ${ctx.path}`)) };
  }
  return { kind: 'numeric', values: readNumericColumn(e) };
}

/** Category codes must be -1 (missing) or index a category. */
function checkCodes(codes: Int32Array, nCategories: number, where: string, path: string): void {
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < -1 || codes[i] >= nCategories) {
      throw new InputError(`expected category codes in [-1, ${nCategories}) in '${where}' in ${path}, got ${codes[i]} at row ${i}`);
    }
  }
}

/** Reads an anndata dataframe group (`obs`, `var`, `raw/var`). */
function readFrame(ctx: Ctx, where: string): Frame {
  const g = getGroup(ctx.file, where);
  if (!g) {
    if (getDataset(ctx.file, where)) {
      throw new InputError(`expected '${where}' as a dataframe group in ${ctx.path}, got a dataset (anndata < 0.7 layout, not supported; re-save it with a recent anndata)`);
    }
    throw new InputError(`expected group '${where}' in ${ctx.path} (${KIND}), not found`);
  }
  const indexKey = readStringAttr(g, '_index') ?? '_index';
  const indexDs = getDataset(g, indexKey);
  if (!indexDs) throw new InputError(`expected dataset '${where}/${indexKey}' (the ${where} index) in ${ctx.path} (${KIND}), not found`);
  const index = readLabels(indexDs, `'${where}/${indexKey}' in ${ctx.path}`);
  const order = readStringArrayAttr(g, 'column-order') ?? g.keys().filter((k) => k !== indexKey && k !== '__categories');
  const cols: [string, Column][] = [];
  for (const name of order) {
    if (name === indexKey) continue;
    const col = readColumn(ctx, g, name, where);
    if (!col) continue;
    if (columnLength(col) !== index.length) {
      throw new InputError(`expected column '${where}/${name}' of length ${index.length} in ${ctx.path}, got ${columnLength(col)}`);
    }
    cols.push([name, col]);
  }
  return new Frame(index, cols);
}

/**
 * Reads a dense 2-D dataset as CSR, block of rows by block of rows so that only one block of
 * dense values is held at a time (pbmc68k_reduced's X is dense).
 */
function denseToCsr(ds: Dataset, nRows: number, nCols: number): CsrMatrix {
  const rowsPer = Math.max(1, Math.floor(H5_SLICE_ELEMENTS / Math.max(1, nCols)));
  const parts: CsrMatrix[] = [];
  for (let r0 = 0; r0 < nRows; r0 += rowsPer) {
    const r1 = Math.min(nRows, r0 + rowsPer);
    const block = ds.slice([[r0, r1]]) as unknown as ArrayLike<number | bigint>;
    let nnz = 0;
    for (let t = 0; t < block.length; t++) if (Number(block[t]) !== 0) nnz++;
    const indptr = allocIndptr(r1 - r0 + 1, nnz);
    const indices = new Int32Array(nnz);
    const data = new Float32Array(nnz);
    let pos = 0;
    for (let i = 0; i < r1 - r0; i++) {
      for (let j = 0; j < nCols; j++) {
        const v = Number(block[i * nCols + j]);
        if (v !== 0) {
          indices[pos] = j;
          data[pos] = v;
          pos++;
        }
      }
      indptr[i + 1] = pos;
    }
    parts.push({ format: 'csr', nRows: r1 - r0, nCols, indptr, indices, data });
  }
  if (parts.length === 0) return { format: 'csr', nRows: 0, nCols, indptr: new Uint32Array(1), indices: new Int32Array(0), data: new Float32Array(0) };
  return parts.length === 1 ? parts[0] : vstackCsr(parts);
}

/**
 * Reads the matrix at `where` (sparse group or dense dataset) as CSR of shape nRows x nCols.
 * `rowsName` / `colsName` name the dimensions in messages (`nObs`, `nVars`).
 */
function readMatrix(ctx: Ctx, where: string, nRows: number, nCols: number, rowsName: string, colsName: string): CsrMatrix {
  const e = ctx.file.get(where);
  if (e instanceof Group) {
    const enc = encodingOf(e);
    // anndata < 0.7 marked sparse groups with h5sparse_* attributes instead of encoding-type.
    const legacy = readStringAttr(e, 'h5sparse_format');
    const format = enc === 'csr_matrix' || legacy === 'csr' ? 'csr' : enc === 'csc_matrix' || legacy === 'csc' ? 'csc' : null;
    if (!format) throw new InputError(`expected '${where}' as csr_matrix or csc_matrix in ${ctx.path}, got encoding '${enc || 'none'}'`);
    const shape = readNumberArrayAttr(e, 'shape') ?? readNumberArrayAttr(e, 'h5sparse_shape');
    if (!shape || shape.length !== 2) throw new InputError(`expected a 'shape' attribute [rows, cols] on '${where}' in ${ctx.path}, not found`);
    if (shape[0] !== nRows || shape[1] !== nCols) {
      throw new InputError(`expected '${where}' of shape ${rowsName} x ${colsName} (${nRows} x ${nCols}) in ${ctx.path}, got ${shape[0]} x ${shape[1]}`);
    }
    const m = readCompressed(ctx.file, {
      path: where,
      format,
      nRows,
      nCols,
      majorName: format === 'csr' ? rowsName : colsName,
      file: ctx.path,
      kind: KIND,
    });
    return toCsr(m);
  }
  if (e instanceof Dataset) {
    const shape = e.shape ?? [];
    if (shape.length !== 2 || !isNumericDataset(e)) {
      throw new InputError(`expected '${where}' as a 2-D numeric array in ${ctx.path}, got shape [${shape.join(', ')}]`);
    }
    if (shape[0] !== nRows || shape[1] !== nCols) {
      throw new InputError(`expected '${where}' of shape ${rowsName} x ${colsName} (${nRows} x ${nCols}) in ${ctx.path}, got ${shape[0]} x ${shape[1]}`);
    }
    const m = denseToCsr(e, nRows, nCols);
    validateCompressed(m, (problem) => new InputError(`invalid matrix '${where}' in ${ctx.path}: ${problem}`));
    return m;
  }
  throw new InputError(`expected '${where}' in ${ctx.path} (${KIND}), not found`);
}

/** True when two name lists are identical. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) return false;
  return true;
}

/** Dense 2-D datasets of an `obsm`/`varm` group with `nRows` rows; other entries are skipped. */
function readDenseMap(ctx: Ctx, where: string, nRows: number): Record<string, DenseMatrix> {
  const out: Record<string, DenseMatrix> = {};
  const g = getGroup(ctx.file, where);
  if (!g) return out;
  for (const key of g.keys()) {
    const ds = getDataset(g, key);
    if (!ds || !isNumericDataset(ds)) continue;
    const shape = ds.shape ?? [];
    if (shape.length !== 2 || shape[0] !== nRows) continue;
    const data = ds.metadata.type === H5T.float && ds.metadata.size === 4 ? readFloat32(ds) : readFloat64(ds);
    out[key] = { nRows: shape[0], nCols: shape[1], data };
  }
  return out;
}

/** Sparse (or dense) nObs x nObs graphs of `obsp`. */
function readGraphs(ctx: Ctx, nObs: number): Record<string, CsrMatrix> {
  const out: Record<string, CsrMatrix> = {};
  const g = getGroup(ctx.file, 'obsp');
  if (!g) return out;
  for (const key of g.keys()) out[key] = readMatrix(ctx, `obsp/${key}`, nObs, nObs, 'nObs', 'nObs');
  return out;
}

/** Typed array or number list from a numeric dataset, keeping float32/int32 when stored so. */
function numericJson(ds: Dataset): Json {
  const { type, size } = ds.metadata;
  if (type === H5T.float && size === 4) return readFloat32(ds);
  const col = type === H5T.float ? readFloat64(ds) : readNumericColumn(ds);
  if (col instanceof Float64Array || col instanceof Int32Array || col instanceof Float32Array) return col;
  return Float64Array.from(col);
}

/** Best-effort conversion of one uns element to Json; undefined = skip. */
function readUnsElement(ctx: Ctx, e: Group | Dataset): Json | undefined {
  if (e instanceof Group) {
    const enc = encodingOf(e);
    if (enc === 'categorical') {
      const codes = getDataset(e, 'codes');
      const cats = getDataset(e, 'categories');
      if (!codes || !cats) return undefined;
      const labels = readLabels(cats, e.path);
      return Array.from(readInt32(codes, e.path), (c) => (c < 0 ? null : labels[c]));
    }
    if (enc !== '' && enc !== 'dict') return undefined;
    const obj: Record<string, Json> = {};
    for (const key of e.keys()) {
      const child = e.get(key);
      if (!(child instanceof Group) && !(child instanceof Dataset)) continue;
      const v = readUnsElement(ctx, child);
      if (v !== undefined) obj[key] = v;
    }
    return obj;
  }
  const meta = e.metadata;
  const shape = e.shape ?? [];
  const marker = readStringAttr(e, CQAMINE_TYPE_ATTR);
  if (meta.type === H5T.string) {
    const strings = readStrings(e, e.path);
    if (shape.length === 0) return marker === 'json' ? (JSON.parse(strings[0]) as Json) : strings[0];
    return strings;
  }
  if (isBoolEnum(meta) || marker === 'bool') {
    const v = readInt32(e, e.path);
    return shape.length === 0 ? v[0] !== 0 : Array.from(v, (x) => x !== 0);
  }
  if (isNumericDataset(e)) {
    if (shape.length === 0) return readFloat64(e)[0];
    const arr = numericJson(e);
    return marker === 'list' ? Array.from(arr as ArrayLike<number>) : arr;
  }
  if (meta.type === H5T.compound && shape.length === 1) {
    // scanpy's rank_genes_groups stores record arrays: one field per group. Kept as columns.
    const rows = e.value;
    const members = meta.compound_type?.members ?? [];
    if (!Array.isArray(rows)) return undefined;
    const obj: Record<string, Json> = {};
    members.forEach((m, t) => {
      obj[m.name] = rows.map((r) => {
        const v = (r as unknown[])[t];
        return typeof v === 'bigint' ? Number(v) : (v as Json);
      });
    });
    return obj;
  }
  return undefined;
}

/** Reads `uns` best-effort: anything that fails to convert is left out. */
function readUns(ctx: Ctx): Record<string, Json> {
  const g = getGroup(ctx.file, 'uns');
  if (!g) return {};
  const out: Record<string, Json> = {};
  for (const key of g.keys()) {
    try {
      const child = g.get(key);
      if (!(child instanceof Group) && !(child instanceof Dataset)) continue;
      const v = readUnsElement(ctx, child);
      if (v !== undefined) out[key] = v;
    } catch {
      // Best effort by design: a foreign uns entry must not make the whole file unreadable.
    }
  }
  return out;
}

/** Pulls our serialized history out of uns (written by writeH5ad), validating its shape loosely. */
function takeHistory(uns: Record<string, Json>): StepRecord[] {
  const h = uns[HISTORY_UNS_KEY];
  delete uns[HISTORY_UNS_KEY];
  if (!Array.isArray(h)) return [];
  return h.filter((r): r is StepRecord => typeof r === 'object' && r !== null && !Array.isArray(r) && typeof (r as { step?: unknown }).step === 'string') as StepRecord[];
}

/**
 * Reads an `.h5ad` file into an AnnDataLite with the raw counts as `X`.
 *
 * - The counts are taken from `layers/counts`, else `raw/X`, else `X`; `countsSource` reports
 *   which, and `X` and `layers.counts` are the same CSR object. With `prefer: 'X'` the stored X
 *   is read as it is (e.g. log-normalized) and a stored `layers/counts` is kept beside it.
 * - When the counts come from `raw/X` and `raw/var` lists other genes than `var`, `raw/var` becomes
 *   `var` and `varm` and other layers (which follow the main var set) are dropped.
 * - obs/var dataframes: string, numeric, boolean and categorical columns (both categorical
 *   encodings); obsm/varm dense arrays; obsp graphs (sparse or dense) as CSR; `uns` best-effort.
 *
 * @param path - the `.h5ad` file
 * @param opts - `prefer`: which matrix becomes X. @default { prefer: 'counts' }
 * @throws InputError (exit 3): missing or non-HDF5 file, missing element (named), wrong indptr
 *   length (`expected 'X/indptr' of length nObs+1 (2701) in FILE, got 2700`), invalid matrix.
 * @example
 * const { adata, countsSource } = await readH5ad('pbmc.h5ad');
 */
export async function readH5ad(path: string, opts: Partial<ReadH5adOptions> = {}): Promise<ReadH5adResult> {
  const prefer = opts.prefer ?? 'counts';
  const file = await openH5Read(path, KIND);
  const ctx: Ctx = { file, path };
  try {
    const obs = readFrame(ctx, 'obs');
    const mainVar = readFrame(ctx, 'var');
    const nObs = obs.nRows;
    const nVars = mainVar.nRows;
    let source: CountsSource = 'X';
    if (prefer === 'counts') {
      if (file.get('layers/counts')) source = 'layers/counts';
      else if (file.get('raw/X')) source = 'raw/X';
    }
    if (source === 'X' && !file.get('X')) throw new InputError(`expected 'X' in ${path} (${KIND}), not found`);
    let varFrame = mainVar;
    let sameVars = true;
    if (source === 'raw/X' && getGroup(file, 'raw/var')) {
      const rawVar = readFrame(ctx, 'raw/var');
      if (!sameNames(rawVar.index, mainVar.index)) {
        varFrame = rawVar;
        sameVars = false;
      }
    }
    const counts = readMatrix(ctx, source, nObs, varFrame.nRows, 'nObs', source === 'raw/X' ? 'raw nVars' : 'nVars');
    const layers: Record<string, CsrMatrix> = { counts };
    const layersGroup = getGroup(file, 'layers');
    if (layersGroup && sameVars) {
      for (const key of layersGroup.keys()) {
        // With prefer 'X' (a processed file), X stays as stored and a stored counts layer is kept.
        if (key === 'counts' && source === 'layers/counts') continue;
        layers[key] = readMatrix(ctx, `layers/${key}`, nObs, nVars, 'nObs', 'nVars');
      }
    }
    const uns = readUns(ctx);
    const history = takeHistory(uns);
    const adata = new AnnDataLite({
      X: counts,
      obs,
      var: varFrame,
      layers,
      obsm: readDenseMap(ctx, 'obsm', nObs),
      varm: sameVars ? readDenseMap(ctx, 'varm', nVars) : {},
      obsp: readGraphs(ctx, nObs),
      uns,
      history,
    });
    return { adata, countsSource: source };
  } catch (e) {
    throw mapReadError(e, path, KIND);
  } finally {
    file.close();
  }
}
