/**
 * Interoperability with the reference implementation: Debian's python3-anndata (0.8) run through
 * /usr/bin/python3 (not a pyenv python on PATH). (1) h5ad files written by writeH5ad open in
 * anndata with the same shape, values, names, categoricals and obsm/obsp; (2) h5ad files written
 * by anndata (CSR X, dense X, CSC X, raw with more genes, categoricals) are read correctly by readH5ad.
 * CI installs python3-anndata; where it cannot be imported the tests log why and return early.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeH5ad } from '../../src/io/writeH5ad.js';
import { readH5ad } from '../../src/io/readH5ad.js';
import { AnnDataLite } from '../../src/core/adata.js';
import { categoricalFrom, columnStrings } from '../../src/core/frame.js';
import { nnzOf, toDenseArray, type CsrMatrix } from '../../src/core/sparse.js';
import { sharedData, tempDir } from '../helpers/paths.js';

const PYTHON = '/usr/bin/python3';

/** Why anndata cannot be used, or null when `import anndata` works. */
function anndataUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import anndata, h5py, scipy; print(anndata.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import anndata: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return null;
}

const SKIP_REASON = anndataUnavailable();

/** Runs a Python snippet with arguments and parses the JSON it prints last. */
function python(script: string, ...args: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

/** Reads an h5ad with anndata (warnings are errors, so legacy-format fallbacks would fail) and summarises it. */
const SUMMARISE = `
import sys, json, warnings
import numpy as np, anndata
warnings.simplefilter('error')
a = anndata.read_h5ad(sys.argv[1])
out = {
  'version': anndata.__version__,
  'shape': list(a.shape), 'nnz': int(a.X.nnz), 'x_format': a.X.format, 'x_dtype': str(a.X.dtype),
  'row_sums': np.asarray(a.X.sum(axis=1, dtype=np.float64)).ravel().tolist(),
  'obs_names': [a.obs_names[0], a.obs_names[-1]], 'n_unique_obs': int(a.obs_names.nunique()),
  'var_names': [a.var_names[0], a.var_names[-1]], 'n_unique_var': int(a.var_names.nunique()),
  'obs_dtypes': {k: str(v) for k, v in a.obs.dtypes.items()},
  'categoricals': {k: {'categories': [str(c) for c in a.obs[k].cat.categories], 'ordered': bool(a.obs[k].cat.ordered),
                       'counts': {str(c): int(n) for c, n in a.obs[k].value_counts(sort=False).items()}}
                   for k in a.obs.columns if str(a.obs[k].dtype) == 'category'},
  'numeric_first': {k: float(a.obs[k].iloc[0]) for k in a.obs.columns if a.obs[k].dtype.kind in 'fiu'},
  'layers': {k: int(v.nnz) for k, v in a.layers.items()},
  'obsm': {k: list(v.shape) for k, v in a.obsm.items()},
  'obsm_first': {k: [float(x) for x in v[0]] for k, v in a.obsm.items()},
  'obsp': {k: [list(v.shape), int(v.nnz), v.format] for k, v in a.obsp.items()},
  'uns_keys': sorted(a.uns.keys()),
  'uns_pca_ratio': [float(x) for x in a.uns['pca']['variance_ratio']] if 'pca' in a.uns else None,
  'uns_title': str(a.uns.get('title')),
}
print(json.dumps(out))
`;

/** Writes three h5ad files with anndata and prints what they hold. */
const WRITE_WITH_ANNDATA = `
import sys, json
import numpy as np, pandas as pd, anndata
from scipy import sparse
d = sys.argv[1]
rs = np.random.RandomState(0)
# (a) CSR counts, categoricals (one ordered), bool and float columns, counts layer, obsm, obsp, uns
counts = rs.poisson(0.8, size=(30, 20)).astype(np.float32)
obs = pd.DataFrame({
  'group': pd.Categorical(rs.choice(['b', 'a', 'c'], 30), categories=['b', 'a', 'c']),
  'grade': pd.Categorical(rs.choice(['lo', 'hi'], 30), categories=['lo', 'hi'], ordered=True),
  'flag': rs.rand(30) > 0.5,
  'score': rs.randn(30),
}, index=[f'cell{i}' for i in range(30)])
var = pd.DataFrame({'gene_ids': [f'ENSG{j:03d}' for j in range(20)]}, index=[f'G{j}' for j in range(20)])
a = anndata.AnnData(X=sparse.csr_matrix(counts), obs=obs, var=var)
a.layers['counts'] = sparse.csr_matrix(counts)
a.obsm['X_pca'] = rs.randn(30, 5).astype(np.float32)
a.obsp['distances'] = sparse.random(30, 30, density=0.1, format='csr', random_state=1)
a.uns['pca'] = {'variance_ratio': np.array([0.5, 0.25])}
a.uns['method'] = 'test'
a.write_h5ad(d + '/csr.h5ad', compression='gzip')
# (b) dense X with a categorical condition
dense = rs.poisson(2.0, size=(12, 7)).astype(np.float32)
b = anndata.AnnData(X=dense, obs=pd.DataFrame({'condition': pd.Categorical(['ctrl'] * 6 + ['stim'] * 6)}, index=[f'd{i}' for i in range(12)]),
                    var=pd.DataFrame(index=[f'H{j}' for j in range(7)]))
b.write_h5ad(d + '/dense.h5ad')
# (c) raw holds 20 genes of counts, X the 5 first genes scaled
c = anndata.AnnData(X=sparse.csr_matrix(counts), var=var.copy(), obs=pd.DataFrame(index=obs.index))
c.raw = c
c = c[:, :5].copy()
c.X = c.X.toarray() * 0.5 - 1
c.write_h5ad(d + '/raw.h5ad')
# (d) the counts as a CSC X
anndata.AnnData(X=sparse.csc_matrix(counts), obs=pd.DataFrame(index=obs.index), var=var.copy()).write_h5ad(d + '/csc.h5ad')
print(json.dumps({
  'a_dense': counts.ravel().tolist(),
  'a_group_codes': obs['group'].cat.codes.tolist(), 'a_grade_codes': obs['grade'].cat.codes.tolist(),
  'a_flag': obs['flag'].astype(int).tolist(), 'a_score': obs['score'].tolist(),
  'a_pca': a.obsm['X_pca'].ravel().astype(float).tolist(),
  'a_dist': a.obsp['distances'].toarray().ravel().tolist(),
  'b_dense': dense.ravel().tolist(),
}))
`;

describe('anndata interoperability (Debian python3-anndata)', () => {
  it('anndata opens an h5ad written by writeH5ad with the same shape, values, names, categoricals, obsm and obsp', async () => {
    if (SKIP_REASON) {
      console.warn(`anndata interop test returned early: ${SKIP_REASON}`);
      return;
    }
    const { adata: kang } = await readH5ad(sharedData('kang2018_ifnb_2000cells', 'kang2018_ifnb_2000cells.h5ad'));
    const n = kang.nObs;
    // Deterministic extra slots: a 2-D embedding, a ring graph, an ordered categorical, a bool flag.
    const pca = new Float32Array(n * 3);
    for (let t = 0; t < pca.length; t++) pca[t] = ((t * 37) % 101) / 10 - 5;
    const indptr = new Uint32Array(n + 1);
    const indices = new Int32Array(2 * n);
    const data = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const a = (i + n - 1) % n;
      const b = (i + 1) % n;
      indices[2 * i] = Math.min(a, b);
      indices[2 * i + 1] = Math.max(a, b);
      data[2 * i] = 0.5;
      data[2 * i + 1] = 1;
      indptr[i + 1] = 2 * i + 2;
    }
    const ring: CsrMatrix = { format: 'csr', nRows: n, nCols: n, indptr, indices, data };
    const sizes = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'small' : i % 3 === 1 ? 'medium' : 'large'));
    const grade = { ...categoricalFrom(sizes, ['small', 'medium', 'large']), ordered: true } as const;
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = i % 2;
    const adata = kang.with({
      obs: kang.obs.with('size', grade).with('keep', { kind: 'bool', values: keep }),
      obsm: { X_pca: { nRows: n, nCols: 3, data: pca } },
      obsp: { connectivities: ring },
      uns: { pca: { variance_ratio: new Float64Array([0.4, 0.2, 0.1]) }, title: 'kang' },
    });
    const path = join(tempDir(), 'kang.h5ad');
    await writeH5ad(path, adata, { compression: 'gzip' }); // anndata must also inflate our deflated chunks
    const s = python(SUMMARISE, path);
    expect(s.shape).toEqual([2000, 9015]);
    expect(s.nnz).toBe(1129806);
    expect([s.x_format, s.x_dtype]).toEqual(['csr', 'float32']);
    const rowSums = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = kang.X.indptr[i]; k < kang.X.indptr[i + 1]; k++) rowSums[i] += kang.X.data[k];
    expect(s.row_sums).toEqual([...rowSums]);
    expect(s.obs_names).toEqual([kang.obsNames[0], kang.obsNames[n - 1]]);
    expect(s.n_unique_obs).toBe(2000);
    expect(s.var_names).toEqual([kang.varNames[0], kang.varNames[kang.nVars - 1]]);
    expect(s.n_unique_var).toBe(9015);
    expect(s.categoricals).toEqual({
      condition: { categories: ['ctrl', 'stim'], ordered: false, counts: { ctrl: 1000, stim: 1000 } },
      size: { categories: ['small', 'medium', 'large'], ordered: true, counts: { small: 667, medium: 667, large: 666 } },
    });
    // h5py booleans are HDF5 enums, which h5wasm cannot write: anndata sees the flag as uint8 0/1.
    expect((s.obs_dtypes as Record<string, string>).keep).toBe('uint8');
    expect(s.layers).toEqual({ counts: 1129806 });
    expect(s.obsm).toEqual({ X_pca: [2000, 3] });
    expect(s.obsm_first).toEqual({ X_pca: [...pca.slice(0, 3)] });
    expect(s.obsp).toEqual({ connectivities: [[2000, 2000], 4000, 'csr'] });
    expect(s.uns_keys).toEqual(['pca', 'title']);
    expect(s.uns_pca_ratio).toEqual([0.4, 0.2, 0.1]);
    expect(s.uns_title).toBe('kang');
  });

  it('readH5ad reads h5ad files written by anndata: CSR X, dense X, raw with more genes, CSC X', async () => {
    if (SKIP_REASON) {
      console.warn(`anndata interop test returned early: ${SKIP_REASON}`);
      return;
    }
    const dir = tempDir();
    const e = python(WRITE_WITH_ANNDATA, dir) as Record<string, number[]>;

    // (a) CSR, gzip, counts layer present -> layers/counts
    const a = await readH5ad(join(dir, 'csr.h5ad'));
    expect(a.countsSource).toBe('layers/counts');
    expect([...toDenseArray(a.adata.X)]).toEqual(e.a_dense);
    expect(a.adata.obsNames[29]).toBe('cell29');
    expect(a.adata.varNames[19]).toBe('G19');
    expect(columnStrings(a.adata.var.require('gene_ids'))[3]).toBe('ENSG003');
    const group = a.adata.obs.require('group');
    expect(group.kind === 'categorical' && [group.categories, [...group.codes], group.ordered]).toEqual([['b', 'a', 'c'], e.a_group_codes, false]);
    const gr = a.adata.obs.require('grade');
    expect(gr.kind === 'categorical' && [gr.categories, [...gr.codes], gr.ordered]).toEqual([['lo', 'hi'], e.a_grade_codes, true]);
    const flag = a.adata.obs.require('flag');
    expect(flag.kind === 'bool' && [...flag.values]).toEqual(e.a_flag);
    const score = a.adata.obs.require('score');
    expect(score.kind === 'numeric' && [...score.values]).toEqual(e.a_score);
    expect(Array.from(a.adata.obsm.X_pca.data)).toEqual(e.a_pca.map((v) => Math.fround(v)));
    expect(Array.from(toDenseArray(a.adata.obsp.distances), (v) => Math.fround(v))).toEqual(e.a_dist.map((v) => Math.fround(v)));
    expect(a.adata.uns.method).toBe('test');
    expect(Array.from((a.adata.uns.pca as { variance_ratio: Float64Array }).variance_ratio)).toEqual([0.5, 0.25]);

    // (b) dense X -> CSR
    const b = await readH5ad(join(dir, 'dense.h5ad'));
    expect(b.countsSource).toBe('X');
    expect([...toDenseArray(b.adata.X)]).toEqual(e.b_dense);
    let nz = 0;
    for (const v of e.b_dense) if (v !== 0) nz++;
    expect(nnzOf(b.adata.X)).toBe(nz);
    const cond = b.adata.obs.require('condition');
    expect(cond.kind === 'categorical' && [cond.categories, [...cond.codes]]).toEqual([['ctrl', 'stim'], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]]);

    // (c) raw/X with 20 genes while X has 5 -> counts and var from raw
    const c = await readH5ad(join(dir, 'raw.h5ad'));
    expect(c.countsSource).toBe('raw/X');
    expect([c.adata.nObs, c.adata.nVars]).toEqual([30, 20]);
    expect(c.adata.varNames[19]).toBe('G19');
    expect([...toDenseArray(c.adata.X)]).toEqual(e.a_dense);
    expect(c.adata).toBeInstanceOf(AnnDataLite);

    // (d) CSC X -> CSR with the same values
    const d = await readH5ad(join(dir, 'csc.h5ad'));
    expect(d.adata.X.format).toBe('csr');
    expect([...toDenseArray(d.adata.X)]).toEqual(e.a_dense);
  });
});
