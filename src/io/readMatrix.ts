/**
 * One entry point for every input format: detects the format of a path and dispatches to the
 * matching reader. Detection looks at content before names where it can:
 * - a folder, or a matrix/features/genes/barcodes file inside one: 10x MTX folder;
 * - a file with the HDF5 signature: h5ad when named .h5ad or holding `X`/`obs`, else 10x HDF5;
 * - anything else: a dense CSV/TSV table (delimiter by extension, else sniffed).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { openH5Read } from './h5.js';
import { InputError } from '../core/errors.js';
import type { AnnDataLite } from '../core/adata.js';
import type { Logger } from '../core/log.js';
import { find10xMtxFiles, read10xMtx } from './read10xMtx.js';
import { read10xH5 } from './read10xH5.js';
import { readH5ad } from './readH5ad.js';
import { readDelimitedMatrix } from './readDelimitedMatrix.js';
import { delimiterFromName } from './readRecords.js';

/** Formats {@link readMatrix} recognises. */
export type MatrixFormat = '10x-mtx' | '10x-h5' | 'h5ad' | 'csv' | 'tsv';

/** Options of {@link readMatrix}; each applies to the formats named. */
export interface ReadMatrixOptions {
  /** 10x MTX: var index from symbols or IDs. @default 'gene_symbols' */
  varNames: 'gene_symbols' | 'gene_ids';
  /** CSV/TSV: rows are cells (default: rows are genes). @default false */
  cellsAsRows: boolean;
  /** h5ad: take counts from `layers/counts`/`raw/X` when present ('counts') or always `X`. @default 'counts' */
  prefer: 'counts' | 'X';
  /** Logger handed to readers that log (10x HDF5). */
  log?: Logger;
}

/** What {@link readMatrix} returns. */
export interface ReadMatrixResult {
  /** The data, cells x genes; counts in `X` (and `layers.counts` where the reader sets it). */
  readonly adata: AnnDataLite;
  /** The detected input format. */
  readonly format: MatrixFormat;
  /** h5ad only: where the counts came from. */
  readonly countsSource?: 'layers/counts' | 'raw/X' | 'X';
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const TENX_FILE = /(^|[._])(matrix\.mtx|features\.tsv|genes\.tsv|barcodes\.tsv)(\.gz)?$/i;

/** True when the HDF5 superblock signature sits at offset 0, 512, 1024, 2048, ... (user blocks). */
function isHdf5(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      if (readSync(fd, buf, 0, 8, off) === 8 && buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** h5ad or 10x HDF5: `.h5ad` by name, otherwise by content (anndata writes `X` at the root). */
async function hdf5Kind(path: string): Promise<'h5ad' | '10x-h5'> {
  if (path.toLowerCase().endsWith('.h5ad')) return 'h5ad';
  // openH5Read maps a truncated or corrupt file to an InputError (exit 3) without HDF5's stderr dump.
  const f = await openH5Read(path, 'HDF5');
  try {
    // CellRanger writes /matrix (v3) or one group per genome (v2), never a root X.
    return f.keys().includes('X') ? 'h5ad' : '10x-h5';
  } finally {
    f.close();
  }
}

/** True when `dir` holds the three files of a 10x MTX folder. */
function isTenxFolder(dir: string): boolean {
  try {
    find10xMtxFiles(dir);
    return true;
  } catch {
    return false;
  }
}

/** Detects the format of `path` without reading the data. */
export async function detectMatrixFormat(path: string): Promise<MatrixFormat> {
  if (!existsSync(path)) throw new InputError(`expected an input file or folder, got '${path}' (does not exist)`);
  if (statSync(path).isDirectory()) return '10x-mtx';
  if (TENX_FILE.test(basename(path)) && isTenxFolder(dirname(path))) return '10x-mtx';
  if (isHdf5(path)) return hdf5Kind(path);
  const delim = delimiterFromName(path);
  if (delim === '\t') return 'tsv';
  if (delim === ',') return 'csv';
  return 'csv';
}

/**
 * Reads any supported count matrix as an AnnDataLite (cells x genes): a 10x MTX folder (v2 or v3,
 * or a .mtx(.gz)/features/barcodes file inside one), a 10x HDF5 file, an h5ad file or a dense
 * CSV/TSV table.
 * @param path - file or folder
 * @example
 * const { adata, format } = await readMatrix('../shared/data/pbmc3k'); // format '10x-mtx'
 */
export async function readMatrix(path: string, options: Partial<ReadMatrixOptions> = {}): Promise<ReadMatrixResult> {
  const format = await detectMatrixFormat(path);
  switch (format) {
    case '10x-mtx': {
      const dir = statSync(path).isDirectory() ? path : dirname(path);
      return { adata: await read10xMtx(dir, { varNames: options.varNames ?? 'gene_symbols' }), format };
    }
    case 'csv':
    case 'tsv':
      return { adata: await readDelimitedMatrix(path, { cellsAsRows: options.cellsAsRows ?? false }), format };
    case '10x-h5': {
      return { adata: await read10xH5(path, options.log), format };
    }
    case 'h5ad': {
      const { adata, countsSource } = await readH5ad(path, { prefer: options.prefer ?? 'counts' });
      return { adata, format, countsSource };
    }
  }
}
