import { describe, expect, it } from 'vitest';
import { readH5ad } from '../../../src/io/readH5ad.js';
import { checkCompressed, nnzOf, toDenseArray } from '../../../src/core/sparse.js';
import type { Column } from '../../../src/core/frame.js';
import { fixture, sharedData } from '../../helpers/paths.js';
import { inputError } from '../../helpers/expectInputError.js';

const PBMC68K = sharedData('pbmc68k_reduced', '10x_pbmc68k_reduced.h5ad');
const KANG = sharedData('kang2018_ifnb_2000cells', 'kang2018_ifnb_2000cells.h5ad');
const tiny = (name: string): string => fixture('tiny', 'h5', name);


/** Count per category label. */
function tally(c: Column | undefined): Record<string, number> {
  if (!c || c.kind !== 'categorical') return {};
  const out: Record<string, number> = {};
  for (let i = 0; i < c.codes.length; i++) {
    const k = c.categories[c.codes[i]];
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('readH5ad on real files', () => {
  it('takes raw/X from pbmc68k_reduced (no counts layer) and keeps obs, var, obsm, varm, obsp, uns', async () => {
    const { adata: a, countsSource } = await readH5ad(PBMC68K);
    expect(countsSource).toBe('raw/X');
    expect([a.nObs, a.nVars, nnzOf(a.X)]).toEqual([700, 765, 174400]);
    expect(a.layers.counts).toBe(a.X);
    expect(checkCompressed(a.X)).toBeNull();
    let sum = 0;
    for (const v of a.X.data) sum += v;
    expect(sum).toBeCloseTo(319044.23824, 4); // numpy: raw.X.data.astype(float64).sum() = 319044.23824107647
    expect(a.obsNames.slice(0, 2)).toEqual(['AAAGCCTGGCTAAC-1', 'AAATTCGATGCACA-1']);
    expect(a.varNames.slice(0, 3)).toEqual(['HES4', 'TNFRSF4', 'SSU72']);
    const bulk = a.obs.require('bulk_labels');
    expect(bulk.kind === 'categorical' && bulk.categories.slice(0, 3)).toEqual([
      'CD4+/CD25 T Reg',
      'CD4+/CD45RA+/CD25- Naive T',
      'CD4+/CD45RO+ Memory',
    ]);
    expect(tally(bulk)).toMatchObject({ Dendritic: 240, 'CD14+ Monocyte': 129, 'CD19+ B': 95, 'CD34+': 13 });
    const louvain = a.obs.require('louvain');
    expect(louvain.kind === 'categorical' && louvain.categories).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(tally(louvain)).toEqual({ '0': 130, '1': 123, '2': 117, '3': 70, '4': 66, '5': 54, '6': 42, '7': 35, '8': 31, '9': 19, '10': 13 });
    const nGenes = a.obs.require('n_genes');
    expect(nGenes.kind === 'numeric' && [...nGenes.values.slice(0, 3)]).toEqual([1003, 1080, 1228]);
    const hv = a.var.require('highly_variable');
    expect(hv.kind).toBe('bool');
    expect(hv.kind === 'bool' && hv.values.reduce((s, v) => s + v, 0)).toBe(309);
    expect(a.obsm.X_pca.nCols).toBe(50);
    expect(a.obsm.X_umap.data).toBeInstanceOf(Float64Array);
    expect(a.obsm.X_umap.data[0]).toBeCloseTo(-1.99186255, 6);
    expect([a.varm.PCs.nRows, a.varm.PCs.nCols]).toEqual([765, 50]);
    expect(nnzOf(a.obsp.connectivities)).toBe(9992);
    expect(nnzOf(a.obsp.distances)).toBe(6300);
    const pca = a.uns.pca as { variance_ratio: Float32Array };
    expect(pca.variance_ratio[0]).toBeCloseTo(0.09770954, 6);
    expect((a.uns.neighbors as { params: { method: string } }).params.method).toBe('umap');
    expect(a.uns.bulk_labels_colors).toHaveLength(10);
  });

  it("with prefer 'X' converts pbmc68k_reduced's dense scaled X to CSR", async () => {
    const { adata: a, countsSource } = await readH5ad(PBMC68K, { prefer: 'X' });
    expect(countsSource).toBe('X');
    // anndata: np.count_nonzero(adata.X) = 535,433; adata.X.sum() = -243.681; X[0, :3] = -0.326, -0.191, -0.728
    expect(nnzOf(a.X)).toBe(535433);
    let sum = 0;
    for (const v of a.X.data) sum += v;
    expect(sum).toBeCloseTo(-243.681, 1);
    expect([...toDenseArray(a.X).slice(0, 3)].map((v) => Math.round(v * 1000) / 1000)).toEqual([-0.326, -0.191, -0.728]);
    expect(a.var.columnNames).toEqual(['n_counts', 'means', 'dispersions', 'dispersions_norm', 'highly_variable']);
  });

  it('reads kang2018 X as integer counts with ctrl/stim totals 1,475,025 / 1,606,802', async () => {
    const { adata: a, countsSource } = await readH5ad(KANG);
    expect(countsSource).toBe('X');
    expect([a.nObs, a.nVars, nnzOf(a.X)]).toEqual([2000, 9015, 1129806]);
    const cond = a.obs.require('condition');
    expect(tally(cond)).toEqual({ ctrl: 1000, stim: 1000 });
    if (cond.kind !== 'categorical') throw new Error('condition is not categorical');
    const totals = new Float64Array(2);
    let nonInteger = 0;
    for (let i = 0; i < a.nObs; i++) {
      for (let k = a.X.indptr[i]; k < a.X.indptr[i + 1]; k++) {
        totals[cond.codes[i]] += a.X.data[k];
        if (!Number.isInteger(a.X.data[k])) nonInteger++;
      }
    }
    expect(nonInteger).toBe(0);
    expect(cond.categories).toEqual(['ctrl', 'stim']);
    expect([...totals]).toEqual([1475025, 1606802]);
    expect(new Set(a.obsNames).size).toBe(2000);
  });
});

describe('readH5ad on tiny fixtures', () => {
  it('uses raw/X and raw/var when raw holds another gene set than X', async () => {
    const { adata: a, countsSource } = await readH5ad(tiny('raw_subset.h5ad'));
    expect(countsSource).toBe('raw/X');
    expect(a.varNames).toEqual(['g0', 'g1', 'g2', 'g3']);
    const nCells = a.var.require('n_cells');
    expect(nCells.kind === 'numeric' && [...nCells.values]).toEqual([1, 1, 0, 1]);
    // counts: c0 = {g1: 1, g3: 2}, c1 = {g0: 5}, c2 = {}
    expect([...toDenseArray(a.X)]).toEqual([0, 1, 0, 2, 5, 0, 0, 0, 0, 0, 0, 0]);
    expect(a.varm).toEqual({}); // varm follows the 2-gene var, so it cannot be kept
  });

  it("with prefer 'X' keeps X, its var and varm", async () => {
    const { adata: a, countsSource } = await readH5ad(tiny('raw_subset.h5ad'), { prefer: 'X' });
    expect(countsSource).toBe('X');
    expect(a.varNames).toEqual(['g1', 'g3']);
    expect([...toDenseArray(a.X)].map((v) => Math.round(v * 10) / 10)).toEqual([0.7, 1.2, -0.3, -0.6, -0.4, -0.6]);
    expect([...a.varm.PCs.data]).toEqual([1, 0, 0, 1]);
  });

  it('sorts unsorted row indices (scipy allows them) together with their values', async () => {
    const { adata: a } = await readH5ad(tiny('unsorted_indices.h5ad'));
    // row 0 stored as indices [3, 1] with data [2, 1]
    expect([...a.X.indices]).toEqual([1, 3, 0]);
    expect([...a.X.data]).toEqual([1, 2, 5]);
  });

  it('reports a wrong X/indptr length with nObs+1 and the file', async () => {
    const e = await inputError(() => readH5ad(tiny('bad_indptr.h5ad')));
    expect(e.message).toMatch(/^expected 'X\/indptr' of length nObs\+1 \(4\) in .*bad_indptr\.h5ad, got 3$/);
  });

  it('reports an out-of-range gene index through validateCompressed', async () => {
    const e = await inputError(() => readH5ad(tiny('bad_indices.h5ad')));
    expect(e.message).toMatch(/^invalid sparse matrix 'X' in .*bad_indices\.h5ad: expected index in \[0, 4\) in row 0, got 7 at position 1$/);
  });

  it('names a missing var group, and the obs group of an HDF5 file that is not h5ad', async () => {
    const e = await inputError(() => readH5ad(tiny('no_var.h5ad')));
    expect(e.message).toMatch(/^expected group 'var' in .*no_var\.h5ad \(h5ad\), not found$/);
    const f = await inputError(() => readH5ad(tiny('empty.h5')));
    expect(f.message).toMatch(/^expected group 'obs' in .*empty\.h5 \(h5ad\), not found$/);
  });

  it('reports a truncated HDF5 file with the reason HDF5 gives', async () => {
    const e = await inputError(() => readH5ad(tiny('truncated.h5ad')));
    expect(e.message).toMatch(/^cannot open h5ad file .*truncated\.h5ad with HDF5: truncated file: eof = 6000, .*stored_eof = \d+$/);
  });

  it('rejects a non-HDF5 file and a missing file', async () => {
    const e = await inputError(() => readH5ad(tiny('not_hdf5.h5')));
    expect(e.message).toMatch(/^expected an HDF5 file \(h5ad\) at .*not_hdf5\.h5, got a file without the HDF5 signature$/);
    const m = await inputError(() => readH5ad(tiny('missing.h5ad')));
    expect(m.message).toMatch(/^cannot read h5ad file .*missing\.h5ad: no such file$/);
  });
});
