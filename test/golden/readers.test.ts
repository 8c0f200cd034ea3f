/**
 * Real-data readers: every dataset in ../shared/data reads with the dimensions, nonzero counts and
 * totals documented in ../shared/data/README.md.
 */
import { describe, expect, it } from 'vitest';
import { read10xMtx } from '../../src/io/read10xMtx.js';
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
