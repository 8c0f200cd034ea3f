import { describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectMatrixFormat, readMatrix } from '../../../src/io/readMatrix.js';
import { InputError } from '../../../src/core/errors.js';
import { fixture, sharedData, tempDir } from '../../helpers/paths.js';

describe('readMatrix format detection and dispatch', () => {
  it.each([
    [fixture('tiny', 'v3_mtx'), '10x-mtx'],
    [fixture('tiny', 'v3_mtx', 'matrix.mtx.gz'), '10x-mtx'],
    [fixture('tiny', 'mtx_unsorted', 'barcodes.tsv'), '10x-mtx'],
    [fixture('tiny', 'csv', 'genes_by_cells.csv.gz'), 'csv'],
    [fixture('tiny', 'csv', 'cells_by_genes.tsv'), 'tsv'],
    [sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5'), '10x-h5'],
    [sharedData('pbmc68k_reduced', '10x_pbmc68k_reduced.h5ad'), 'h5ad'],
  ])('%s is %s', async (path, format) => {
    expect(await detectMatrixFormat(path)).toBe(format);
  });

  it('tells h5ad from 10x HDF5 by content when the extension says nothing', async () => {
    const dir = tempDir();
    const a = join(dir, 'counts.bin');
    const b = join(dir, 'other.bin');
    copyFileSync(sharedData('kang2018_ifnb_2000cells', 'kang2018_ifnb_2000cells.h5ad'), a);
    copyFileSync(sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5'), b);
    expect(await detectMatrixFormat(a)).toBe('h5ad');
    expect(await detectMatrixFormat(b)).toBe('10x-h5');
  });

  it('reads a .mtx.gz file path as its folder', async () => {
    const { adata, format } = await readMatrix(fixture('tiny', 'v3_mtx', 'matrix.mtx.gz'));
    expect(format).toBe('10x-mtx');
    expect([adata.nObs, adata.nVars]).toEqual([40, 50]);
  });

  it('passes cellsAsRows to the CSV/TSV reader', async () => {
    const { adata } = await readMatrix(fixture('tiny', 'csv', 'cells_by_genes.tsv'), { cellsAsRows: true });
    expect(adata.obsNames).toEqual(['c1', 'c2']);
  });

  it('rejects a truncated .h5 with an InputError naming the file, not an HDF5 dump', async () => {
    const path = join(tempDir(), 'truncated.h5');
    writeFileSync(path, readFileSync(sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5')).subarray(0, 2000));
    await expect(readMatrix(path)).rejects.toThrow(/cannot open HDF5 file .*truncated\.h5 with HDF5: truncated file/);
    await expect(readMatrix(path)).rejects.toBeInstanceOf(InputError);
  });

  it('rejects a path that does not exist', async () => {
    await expect(readMatrix(fixture('tiny', 'nope.csv'))).rejects.toBeInstanceOf(InputError);
  });
});
