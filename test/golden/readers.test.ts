/**
 * Real-data readers: every dataset in ../shared/data reads with the dimensions, nonzero counts and
 * totals documented in ../shared/data/README.md.
 */
import { describe, expect, it } from 'vitest';
import { read10xMtx } from '../../src/io/read10xMtx.js';
import { readMatrix } from '../../src/io/readMatrix.js';
import { read10xH5 } from '../../src/io/read10xH5.js';
import { checkCompressed, type CsrMatrix } from '../../src/core/sparse.js';
import { columnStrings } from '../../src/core/frame.js';
import { sharedData } from '../helpers/paths.js';

function total(m: CsrMatrix): number {
  let s = 0;
  for (let k = 0; k < m.data.length; k++) s += m.data[k];
  return s;
}

describe('10x MTX folders from ../shared/data', () => {
  it('pbmc3k: 2,700 cells x 32,738 genes, nnz 2,286,884, total 6,390,631; AAACATACAACCAC-1 has 781 genes / 2,421 UMIs', async () => {
    const a = await read10xMtx(sharedData('pbmc3k'));
    expect([a.nObs, a.nVars]).toEqual([2700, 32738]);
    expect(a.X.indptr[a.nObs]).toBe(2286884);
    expect(total(a.X)).toBe(6390631);
    expect(checkCompressed(a.X)).toBeNull();
    const i = a.obsNames.indexOf('AAACATACAACCAC-1');
    expect(i).toBe(0);
    const start = a.X.indptr[i];
    const end = a.X.indptr[i + 1];
    expect(end - start).toBe(781);
    let umis = 0;
    for (let k = start; k < end; k++) umis += a.X.data[k];
    expect(umis).toBe(2421);
    // v2 genes.tsv: IDs in the gene_ids column, symbols (made unique) as var names
    expect(a.varNames[0]).toBe('MIR1302-10');
    expect(columnStrings(a.var.require('gene_ids'))[0]).toBe('ENSG00000243485');
    expect(new Set(a.varNames).size).toBe(a.nVars);
    expect(a.layers.counts).toBe(a.X);
  });

  it('10x_formats v3_mtx: 1,107 cells x 507 genes, nnz 23,866, total 41,549, feature_types', async () => {
    const a = await read10xMtx(sharedData('10x_formats', 'v3_mtx'));
    expect([a.nObs, a.nVars]).toEqual([1107, 507]);
    expect(a.X.indptr[a.nObs]).toBe(23866);
    expect(total(a.X)).toBe(41549);
    expect(a.var.require('feature_types').kind).toBe('categorical');
    expect(checkCompressed(a.X)).toBeNull();
  });

  it('10x_formats v2_mtx (plain text): 12 cells x 343 genes, nnz 12', async () => {
    const a = await read10xMtx(sharedData('10x_formats', 'v2_mtx'));
    expect([a.nObs, a.nVars]).toEqual([12, 343]);
    expect(a.X.indptr[a.nObs]).toBe(12);
    expect(total(a.X)).toBe(12);
  });

  it('zheng2017_sorted_pbmc: 2,140 cells x 8,863 genes, nnz 2,495,965, total 7,376,965', async () => {
    const a = await read10xMtx(sharedData('zheng2017_sorted_pbmc'));
    expect([a.nObs, a.nVars]).toEqual([2140, 8863]);
    expect(a.X.indptr[a.nObs]).toBe(2495965);
    expect(total(a.X)).toBe(7376965);
    expect(a.obsNames[0].startsWith('bcells')).toBe(true);
  });

  it('mouse_brain_10k_subset: 10,000 cells x 1,000 genes, nnz 691,914, total 1,597,698, max 624', async () => {
    const a = await read10xMtx(sharedData('mouse_brain_10k_subset'));
    expect([a.nObs, a.nVars]).toEqual([10000, 1000]);
    expect(a.X.indptr[a.nObs]).toBe(691914);
    expect(total(a.X)).toBe(1597698);
    let max = 0;
    for (let k = 0; k < a.X.data.length; k++) if (a.X.data[k] > max) max = a.X.data[k];
    expect(max).toBe(624);
    expect(a.varNames.slice(0, 2)).toEqual(['Xkr4', 'Gm1992']);
  });
});

describe('v3 MTX and v3 HDF5 hold the same matrix', () => {
  it('read10xMtx and read10xH5 agree on barcodes, gene IDs and every value (507 genes x 1,107 cells)', async () => {
    const m = await read10xMtx(sharedData('10x_formats', 'v3_mtx'));
    const h = await read10xH5(sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5'));
    expect([h.nObs, h.nVars]).toEqual([m.nObs, m.nVars]);
    expect(h.obsNames).toEqual(m.obsNames);
    expect(h.varNames).toEqual(m.varNames);
    expect(columnStrings(h.var.require('gene_ids'))).toEqual(columnStrings(m.var.require('gene_ids')));
    expect([...h.X.indptr]).toEqual([...m.X.indptr]);
    expect(h.X.indices).toEqual(m.X.indices);
    expect(h.X.data).toEqual(m.X.data);
  });
});

describe('dense CSV (CellBench CEL-seq2 plates) through readMatrix', () => {
  it.each([
    ['sc_celseq2_5cl_p1.count.csv.gz', 297, 15564],
    ['sc_celseq2_5cl_p2.count.csv.gz', 307, 14078],
    ['sc_celseq2_5cl_p3.count.csv.gz', 305, 13426],
  ])('%s: %i cells x %i genes, integer counts, Ensembl IDs as gene_ids', async (name, nObs, nVars) => {
    const { adata, format } = await readMatrix(sharedData('cellbench_5cl_celseq2', name));
    expect(format).toBe('csv');
    expect([adata.nObs, adata.nVars]).toEqual([nObs, nVars]);
    expect(checkCompressed(adata.X)).toBeNull();
    let integral = true;
    for (let k = 0; k < adata.X.data.length; k++) if (!Number.isInteger(adata.X.data[k])) integral = false;
    expect(integral).toBe(true);
    expect(adata.var.has('gene_ids')).toBe(true);
    expect(adata.obsNames[0]).toBe('p1_A1');
  });

  // Reference figures from an independent pass over the raw files:
  //   zcat FILE | awk -F, 'NR>1{for(i=2;i<=NF;i++){s+=$i; if($i!=0)n++}} END{print s, n}'
  // and for the first cell (column 2) of p1: 34,719 UMIs in 6,944 genes.
  it.each([
    ['sc_celseq2_5cl_p1.count.csv.gz', 9783530, 1810635],
    ['sc_celseq2_5cl_p2.count.csv.gz', 7347615, 1737067],
    ['sc_celseq2_5cl_p3.count.csv.gz', 5546889, 1463083],
  ])('%s: total %i, nnz %i (as counted by awk)', async (name, sum, nnz) => {
    const { adata } = await readMatrix(sharedData('cellbench_5cl_celseq2', name));
    expect(total(adata.X)).toBe(sum);
    expect(adata.X.indptr[adata.nObs]).toBe(nnz);
    if (name.includes('p1')) {
      expect(adata.X.indptr[1] - adata.X.indptr[0]).toBe(6944);
      let s = 0;
      for (let k = adata.X.indptr[0]; k < adata.X.indptr[1]; k++) s += adata.X.data[k];
      expect(s).toBe(34719);
    }
  });
});

describe('HDF5 inputs through readMatrix', () => {
  it('kang2018 h5ad: 2,000 cells x 9,015 genes with integer counts (total 3,081,827)', async () => {
    const { adata, format } = await readMatrix(sharedData('kang2018_ifnb_2000cells', 'kang2018_ifnb_2000cells.h5ad'));
    expect(format).toBe('h5ad');
    expect([adata.nObs, adata.nVars]).toEqual([2000, 9015]);
    expect(total(adata.layers.counts ?? adata.X)).toBe(1475025 + 1606802);
  });
});

describe('other HDF5 files through readMatrix', () => {
  it('v2 10x HDF5: 12 cells x 343 genes, nnz 12 (same as the v2 MTX folder)', async () => {
    const h = await readMatrix(sharedData('10x_formats', 'v2_h5', 'filtered_gene_bc_matrices_h5.h5'));
    const m = await read10xMtx(sharedData('10x_formats', 'v2_mtx'));
    expect(h.format).toBe('10x-h5');
    expect([h.adata.nObs, h.adata.nVars]).toEqual([12, 343]);
    expect(h.adata.X.indptr[12]).toBe(12);
    expect(h.adata.obsNames).toEqual(m.obsNames);
    expect(total(h.adata.X)).toBe(total(m.X));
  });

  it('pbmc68k_reduced h5ad: 700 cells x 765 genes, counts taken from raw/X', async () => {
    const { adata, format, countsSource } = await readMatrix(sharedData('pbmc68k_reduced', '10x_pbmc68k_reduced.h5ad'));
    expect(format).toBe('h5ad');
    expect(countsSource).toBe('raw/X');
    expect([adata.nObs, adata.nVars]).toEqual([700, 765]);
  });
});
