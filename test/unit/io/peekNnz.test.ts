import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peekNnz } from '../../../src/io/peekNnz.js';
import { readMatrix } from '../../../src/io/readMatrix.js';
import { nnzOf } from '../../../src/core/sparse.js';
import { fixture, sharedData, tempDir } from '../../helpers/paths.js';

/** nnz of the counts matrix exactly as readMatrix reads it. */
async function readNnz(path: string): Promise<number> {
  const { adata } = await readMatrix(path);
  return nnzOf(adata.layers.counts ?? adata.X);
}

describe('peekNnz', () => {
  it('reads the MatrixMarket size line of 10x MTX folders (gzipped v3 with a metadata comment, plain v2)', async () => {
    expect(await peekNnz(sharedData('10x_formats', 'v3_mtx'))).toBe(23866);
    expect(await peekNnz(sharedData('10x_formats', 'v2_mtx'))).toBe(12);
    // A file inside the folder is accepted as readMatrix accepts it.
    expect(await peekNnz(sharedData('10x_formats', 'v3_mtx', 'matrix.mtx.gz'))).toBe(23866);
    expect(await peekNnz(sharedData('pbmc3k'))).toBe(2286884);
    expect(await peekNnz(fixture('lots', 'BM01'))).toBe(228593);
  });

  it('reads the data length of 10x HDF5 v3 and v2 files', async () => {
    expect(await peekNnz(sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5'))).toBe(23866);
    expect(await peekNnz(sharedData('10x_formats', 'v2_h5', 'filtered_gene_bc_matrices_h5.h5'))).toBe(12);
  });

  it('matches the nnz readMatrix reads for every sparse format, including h5ad raw/X and X', async () => {
    const paths = [
      sharedData('10x_formats', 'v3_mtx'),
      sharedData('10x_formats', 'v2_mtx'),
      sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5'),
      sharedData('10x_formats', 'v2_h5', 'filtered_gene_bc_matrices_h5.h5'),
      sharedData('pbmc68k_reduced', '10x_pbmc68k_reduced.h5ad'),
      sharedData('kang2018_ifnb_2000cells', 'kang2018_ifnb_2000cells.h5ad'),
      fixture('tiny', 'lots', 'lotA'),
    ];
    for (const p of paths) {
      const peeked = await peekNnz(p);
      expect(peeked, p).not.toBeNull();
      expect(peeked, p).toBe(await readNnz(p));
    }
  });

  it('gives null for dense tables, missing paths and malformed headers instead of throwing', async () => {
    const dir = tempDir();
    const csv = join(dir, 'counts.csv');
    writeFileSync(csv, 'gene,c1,c2\nG1,1,0\nG2,0,3\n');
    expect(await peekNnz(csv)).toBeNull();
    expect(await peekNnz(join(dir, 'nope'))).toBeNull();
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'matrix.mtx'), '%%MatrixMarket matrix coordinate integer general\n3 2 x\n');
    writeFileSync(join(bad, 'genes.tsv'), 'G1\tG1\nG2\tG2\nG3\tG3\n');
    writeFileSync(join(bad, 'barcodes.tsv'), 'c1\nc2\n');
    expect(await peekNnz(bad)).toBeNull();
  });
});
