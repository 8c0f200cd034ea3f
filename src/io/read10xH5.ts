/**
 * Reader for CellRanger HDF5 matrices (`filtered_feature_bc_matrix.h5`).
 *
 * Layouts (10x Genomics "HDF5 Feature-Barcode Matrix Format"):
 * - v3+: `/matrix/{data,indices,indptr,shape,barcodes}` and `/matrix/features/{id,name,feature_type,genome}`.
 * - v2:  one group per genome, `/<genome>/{data,indices,indptr,shape,barcodes,genes,gene_names}`.
 * Both store the genes x cells matrix in CSC: `indptr` runs over cells and `indices` are genes.
 * Read as CSR that is exactly the cells x genes matrix, so the arrays are used as they are, no
 * transpose. CellRanger writes int64 indices/indptr and int32 values; they become Int32 (range
 * checked), Uint32 and Float32.
 */
import { AnnDataLite } from '../core/adata.js';
import { InputError } from '../core/errors.js';
import { Frame, categoricalFrom } from '../core/frame.js';
import { silentLogger, type Logger } from '../core/log.js';
import { subsetCols, type CsrMatrix } from '../core/sparse.js';
import {
  getDataset,
  getGroup,
  mapReadError,
  openH5Read,
  readCompressed,
  readNumberArrayAttr,
  readStrings,
  requireDataset,
  type Group,
  type H5File,
} from './h5.js';
import { makeNamesUnique } from './makeNamesUnique.js';

/** Feature type CellRanger gives to genes. */
const GENE_EXPRESSION = 'Gene Expression';

/** What a layout reader extracts before the common assembly. */
interface Raw10x {
  readonly matrix: CsrMatrix;
  readonly barcodes: string[];
  readonly ids: string[];
  readonly names: string[];
  readonly types: string[];
}

/** Reads the `shape` dataset ([nGenes, nCells]) and checks it against barcodes and features. */
function readShape(file: H5File, group: string, path: string, kind: string): [number, number] {
  const ds = requireDataset(file, `${group}/shape`, path, kind);
  const v = ds.value;
  const shape = ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<number | bigint>, Number) : null;
  if (!shape || shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new InputError(`expected '${group}/shape' = [genes, cells] in ${path} (${kind}), got ${String(v)}`);
  }
  return [shape[0], shape[1]];
}

/** Reads the shared matrix part of both layouts under `group`. */
function readMatrix(file: H5File, group: string, path: string, kind: string, nGenes: number, nCells: number): CsrMatrix {
  // Stored CSC genes x cells = CSR cells x genes: the major dimension is cells.
  const m = readCompressed(file, { path: group, format: 'csr', nRows: nCells, nCols: nGenes, majorName: 'nCells', file: path, kind });
  return m as CsrMatrix;
}

/** Checks that a per-gene or per-cell string array has the length the shape announces. */
function checkLength(values: readonly string[], expected: number, name: string, path: string, what: string): void {
  if (values.length !== expected) {
    throw new InputError(`expected '${name}' of length ${what} (${expected}) in ${path}, got ${values.length}`);
  }
}

/** CellRanger v3+ layout. */
function readV3(file: H5File, path: string): Raw10x {
  const kind = '10x HDF5 v3';
  // Check the matrix datasets first so a non-10x file is reported by its first missing dataset.
  for (const name of ['data', 'indices', 'indptr', 'shape', 'barcodes']) requireDataset(file, `matrix/${name}`, path, kind);
  const [nGenes, nCells] = readShape(file, 'matrix', path, kind);
  const barcodes = readStrings(requireDataset(file, 'matrix/barcodes', path, kind), `'matrix/barcodes' in ${path}`);
  checkLength(barcodes, nCells, 'matrix/barcodes', path, 'cells');
  const ids = readStrings(requireDataset(file, 'matrix/features/id', path, kind), `'matrix/features/id' in ${path}`);
  const names = readStrings(requireDataset(file, 'matrix/features/name', path, kind), `'matrix/features/name' in ${path}`);
  checkLength(ids, nGenes, 'matrix/features/id', path, 'features');
  checkLength(names, nGenes, 'matrix/features/name', path, 'features');
  // feature_type is present in every CellRanger >= 3 file; treat an older variant without it as all genes.
  const typeDs = getDataset(file, 'matrix/features/feature_type');
  const types = typeDs ? readStrings(typeDs, `'matrix/features/feature_type' in ${path}`) : new Array<string>(nGenes).fill(GENE_EXPRESSION);
  checkLength(types, nGenes, 'matrix/features/feature_type', path, 'features');
  const matrix = readMatrix(file, 'matrix', path, kind, nGenes, nCells);
  return { matrix, barcodes, ids, names, types };
}

/** CellRanger v2 layout: the first root group that holds a complete matrix. */
function readV2(file: H5File, path: string, genome: string, log: Logger): Raw10x {
  const kind = '10x HDF5 v2';
  const genomes = file.keys().filter((k) => isV2Group(file, k));
  if (genomes.length > 1) log.warn({ file: path, genomes, used: genome }, 'several genomes in a 10x v2 HDF5 file; reading the first');
  const [nGenes, nCells] = readShape(file, genome, path, kind);
  const barcodes = readStrings(requireDataset(file, `${genome}/barcodes`, path, kind), `'${genome}/barcodes' in ${path}`);
  const ids = readStrings(requireDataset(file, `${genome}/genes`, path, kind), `'${genome}/genes' in ${path}`);
  const names = readStrings(requireDataset(file, `${genome}/gene_names`, path, kind), `'${genome}/gene_names' in ${path}`);
  checkLength(barcodes, nCells, `${genome}/barcodes`, path, 'cells');
  checkLength(ids, nGenes, `${genome}/genes`, path, 'genes');
  checkLength(names, nGenes, `${genome}/gene_names`, path, 'genes');
  const matrix = readMatrix(file, genome, path, kind, nGenes, nCells);
  return { matrix, barcodes, ids, names, types: new Array<string>(nGenes).fill(GENE_EXPRESSION) };
}

/** A v2 genome group: has the matrix datasets and `genes`. */
function isV2Group(file: H5File, key: string): boolean {
  const g: Group | null = getGroup(file, key);
  if (!g) return false;
  return ['data', 'indices', 'indptr', 'shape', 'barcodes', 'genes'].every((n) => getDataset(g, n) !== null);
}

/**
 * Reads a CellRanger HDF5 matrix (v3+ or v2) into an AnnDataLite, cells x genes.
 *
 * Conventions (shared with `read10xMtx`): `X` is a Float32 CSR of counts and `layers.counts` is
 * the same object; obs index = barcodes; var index = gene symbols made unique the anndata way
 * (`A`, `A` -> `A`, `A-1`); var columns `gene_ids` (string) and `feature_types` (categorical).
 * When a v3 file also holds other feature types (antibody capture, CRISPR guides), only
 * `Gene Expression` features are kept and a warning says how many were dropped.
 *
 * @param path - the `.h5` file
 * @param log - receives the warning about dropped feature types. @default silent
 * @throws InputError (exit 3) when the file is missing, not HDF5, not a 10x matrix (the message
 *   names the first missing dataset, e.g. `expected dataset 'matrix/indptr' in FILE (10x HDF5 v3),
 *   not found`) or holds an invalid matrix.
 * @example
 * const adata = await read10xH5('filtered_feature_bc_matrix.h5');
 * adata.nObs; // cells
 */
export async function read10xH5(path: string, log: Logger = silentLogger): Promise<AnnDataLite> {
  const file = await openH5Read(path, '10x HDF5');
  let raw: Raw10x;
  try {
    if (getGroup(file, 'matrix')) {
      raw = readV3(file, path);
    } else {
      const genome = file.keys().find((k) => isV2Group(file, k));
      raw = genome !== undefined ? readV2(file, path, genome, log) : readV3(file, path);
    }
  } catch (e) {
    throw mapReadError(e, path, '10x HDF5');
  } finally {
    file.close();
  }
  let { matrix, ids, names, types } = raw;
  let nOther = 0;
  for (let j = 0; j < types.length; j++) if (types[j] !== GENE_EXPRESSION) nOther++;
  // A file of only non-gene features (e.g. antibody capture alone) is kept whole rather than emptied.
  if (nOther > 0 && nOther < types.length) {
    const keep: number[] = [];
    const dropped: Record<string, number> = {};
    for (let j = 0; j < types.length; j++) {
      if (types[j] === GENE_EXPRESSION) keep.push(j);
      else dropped[types[j]] = (dropped[types[j]] ?? 0) + 1;
    }
    log.warn({ file: path, dropped, kept: keep.length }, `dropped ${nOther} features that are not '${GENE_EXPRESSION}'`);
    matrix = subsetCols(matrix, keep);
    ids = keep.map((j) => ids[j]);
    names = keep.map((j) => names[j]);
    types = keep.map((j) => types[j]);
  }
  const varFrame = new Frame(makeNamesUnique(names), [
    ['gene_ids', { kind: 'string', values: ids }],
    ['feature_types', categoricalFrom(types)],
  ]);
  return new AnnDataLite({ X: matrix, layers: { counts: matrix }, obs: new Frame(raw.barcodes), var: varFrame });
}
