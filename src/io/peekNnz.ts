/**
 * Number of stored entries of a count matrix, learnt without reading the matrix: the MatrixMarket
 * size line (`rows cols entries`) of a 10x MTX folder, or the length of the sparse `data` dataset of
 * a 10x HDF5 / h5ad file. `loadLots` uses it to allocate the merged matrix once, before any lot is
 * read, so that only one lot's own copy is alive beside it.
 *
 * The number is an upper bound of the reader's nnz (a 10x HDF5 reader may drop non-gene features);
 * it is exact for the files CellRanger, anndata and `cqamine simulate` write. Anything this cannot
 * tell cheaply (dense CSV/TSV, a dense h5ad matrix, a malformed header) gives null, and the caller
 * must not rely on a number; the real reader then reports any problem with the file.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Dataset, Group, datasetLength, getDataset, getGroup, openH5Read, readNumberArrayAttr } from './h5.js';
import { readLines } from './lineReader.js';
import { find10xMtxFiles } from './read10xMtx.js';
import { detectMatrixFormat } from './readMatrix.js';

/** Header lines read at most before giving up on an MTX file (banner + comment block + size line). */
const MAX_HEADER_LINES = 10_000;

/** The `entries` field of a MatrixMarket coordinate header, or null. */
async function mtxNnz(matrixPath: string): Promise<number | null> {
  let lineNo = 0;
  for await (const line of readLines(matrixPath)) {
    lineNo++;
    if (lineNo > MAX_HEADER_LINES) return null;
    if (lineNo === 1) {
      if (!line.toLowerCase().startsWith('%%matrixmarket')) return null;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('%')) continue;
    const tokens = trimmed.split(/\s+/);
    if (tokens.length !== 3 || !/^\d+$/.test(tokens[2])) return null;
    const nnz = Number(tokens[2]);
    return Number.isSafeInteger(nnz) ? nnz : null;
  }
  return null;
}

/** Length of `<group>/data` when `group` is a sparse matrix group, else null. */
function sparseDataLength(root: Group, group: string): number | null {
  const g = getGroup(root, group);
  if (!g) return null;
  const data = getDataset(g, 'data');
  if (!(data instanceof Dataset) || (data.shape ?? []).length !== 1) return null;
  return datasetLength(data);
}

/** 10x HDF5: `/matrix/data` (v3) or `/<genome>/data` (v2, the first genome group with a matrix). */
async function tenxH5Nnz(path: string): Promise<number | null> {
  const file = await openH5Read(path, '10x HDF5');
  try {
    if (getGroup(file, 'matrix')) return sparseDataLength(file, 'matrix');
    for (const key of file.keys()) {
      const g = getGroup(file, key);
      if (g && getDataset(g, 'genes') && getDataset(g, 'indptr')) return sparseDataLength(file, key);
    }
    return null;
  } finally {
    file.close();
  }
}

/**
 * h5ad: the matrix `readH5ad` takes as counts with its default `prefer: 'counts'`
 * (`layers/counts`, else `raw/X`, else `X`), when it is stored sparse.
 */
async function h5adNnz(path: string): Promise<number | null> {
  const file = await openH5Read(path, 'h5ad');
  try {
    const source = file.get('layers/counts') ? 'layers/counts' : file.get('raw/X') ? 'raw/X' : 'X';
    const g = getGroup(file, source);
    // A sparse group without a 2-D shape attribute is left to the reader to reject.
    if (!g || (readNumberArrayAttr(g, 'shape') ?? readNumberArrayAttr(g, 'h5sparse_shape'))?.length !== 2) return null;
    return sparseDataLength(file, source);
  } finally {
    file.close();
  }
}

/**
 * Stored entries of the count matrix at `path` as `readMatrix(path)` (default options) will read it,
 * from the file's header only; null when the format does not say (dense tables) or the header
 * cannot be read. Never throws for a bad file: the reader that follows reports it.
 * @param path - file or folder accepted by `readMatrix`
 * @example
 * await peekNnz('../shared/data/pbmc3k'); // 2286884, from matrix.mtx's size line
 */
export async function peekNnz(path: string): Promise<number | null> {
  try {
    const format = await detectMatrixFormat(path);
    switch (format) {
      case '10x-mtx': {
        const dir = statSync(path).isDirectory() ? path : dirname(path);
        return await mtxNnz(find10xMtxFiles(dir).matrix);
      }
      case '10x-h5':
        return await tenxH5Nnz(path);
      case 'h5ad':
        return await h5adNnz(path);
      case 'csv':
      case 'tsv':
        return null;
    }
  } catch {
    // Best effort by design: the reader gives the precise InputError for a bad file.
    return null;
  }
}
