import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { writeH5ad } from '../../../src/io/writeH5ad.js';
import { readH5ad } from '../../../src/io/readH5ad.js';
import { read10xMtx } from '../../../src/io/read10xMtx.js';
import { AnnDataLite, type Json } from '../../../src/core/adata.js';
import { OutputError } from '../../../src/core/errors.js';
import { Frame, categoricalFrom } from '../../../src/core/frame.js';
import { csrFromDense, nnzOf, type CsrMatrix } from '../../../src/core/sparse.js';
import { sharedData, tempDir } from '../../helpers/paths.js';
import { H5_SLICE_ELEMENTS } from '../../../src/io/h5.js';

/**
 * 3 cells x 4 genes:
 *   c0: g1 = 1, g3 = 2
 *   c1: g0 = 5
 *   c2: (no counts)
 */
const X = csrFromDense(3, 4, [0, 1, 0, 2, 5, 0, 0, 0, 0, 0, 0, 0]);

function tinyAdata(): AnnDataLite {
  const logX: CsrMatrix = { ...X, data: X.data.map((v) => Math.log1p(v)) };
  const obs = new Frame(['c0', 'c1', 'c2'], [
    ['lot', categoricalFrom(['L2', 'L1', 'L2'])],
    ['grade', { kind: 'categorical', codes: new Int32Array([2, -1, 0]), categories: ['low', 'mid', 'high'], ordered: true }],
    ['donor', { kind: 'string', values: ['d-1', 'dé2', ''] }],
    ['score', { kind: 'numeric', values: new Float64Array([0.25, NaN, -1e300]) }],
    ['n_genes', { kind: 'numeric', values: new Int32Array([2, 1, 0]) }],
    ['frac', { kind: 'numeric', values: new Float32Array([0.5, 0.125, 0]) }],
    ['total', { kind: 'numeric', values: new Uint32Array([3, 5, 4294967295]) }],
    ['keep', { kind: 'bool', values: new Uint8Array([1, 0, 1]) }],
  ]);
  const varFrame = new Frame(['g0', 'g1', 'g2', 'g3'], [
    ['gene_ids', { kind: 'string', values: ['E0', 'E1', 'E2', 'E3'] }],
    ['highly_variable', { kind: 'bool', values: new Uint8Array([0, 1, 0, 1]) }],
    ['feature_types', categoricalFrom(['Gene Expression', 'Gene Expression', 'Gene Expression', 'Gene Expression'])],
  ]);
  const uns: Record<string, Json> = {
    pca: { variance_ratio: new Float32Array([0.6, 0.3]), params: { n_comps: 2, zero_center: true, scale: 0.5 } },
    title: 'tiny',
    ids: new Int32Array([3, 1, 2]),
    list_num: [1, 2.5, -3],
    list_str: ['a', 'b'],
    list_bool: [true, false],
    mixed: [1, 'a', { b: [2, null] }],
    nothing: null,
    empty: [],
    labels_with_slash: { 'CD4+/CD25': 1, plain: 'x' },
  };
  return new AnnDataLite({
    X,
    layers: { counts: X, log1p: logX },
    obs,
    var: varFrame,
    obsm: {
      X_pca: { nRows: 3, nCols: 2, data: new Float32Array([0.5, -1, 2, 0, -0.25, 3]) },
      X_umap: { nRows: 3, nCols: 2, data: new Float64Array([1.5, 2.5, -3.5, 4.5, 0.1, 0.2]) },
    },
    varm: { PCs: { nRows: 4, nCols: 2, data: new Float32Array([1, 0, 0, 1, 0.5, 0.5, -0.5, 0.25]) } },
    obsp: { connectivities: csrFromDense(3, 3, [0, 0.5, 0, 0.5, 0, 1, 0, 1, 0]) },
    uns,
    history: [{ step: 'normalize_total', params: { targetSum: 10000 }, seed: null, ms: 12, version: '0.1.0' }],
  });
}

/** Position of the first difference of two arrays (-1 when equal); a plain loop, as deep equality is slow on millions of values. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

function sameCsr(a: CsrMatrix, b: CsrMatrix): void {
  expect([a.nRows, a.nCols]).toEqual([b.nRows, b.nCols]);
  expect(firstDiff(a.indptr, b.indptr)).toBe(-1);
  expect(firstDiff(a.indices, b.indices)).toBe(-1);
  expect(firstDiff(a.data, b.data)).toBe(-1);
  expect(a.data).toBeInstanceOf(Float32Array);
}

describe('writeH5ad', () => {
  it('round-trips X, layers, obs, var, obsm, varm, obsp, uns and history through readH5ad', async () => {
    const dir = tempDir();
    const path = join(dir, 'tiny.h5ad');
    const a = tinyAdata();
    await writeH5ad(path, a);
    const { adata: b, countsSource } = await readH5ad(path);
    expect(countsSource).toBe('layers/counts');
    sameCsr(b.X, a.X);
    expect(b.layers.counts).toBe(b.X);
    sameCsr(b.layers.log1p, a.layers.log1p);
    // Frames compare column by column, typed-array types included (Int32 stays Int32, etc.).
    expect(b.obs).toEqual(a.obs);
    expect(b.var).toEqual(a.var);
    expect(b.obsm).toEqual(a.obsm);
    expect(b.varm).toEqual(a.varm);
    sameCsr(b.obsp.connectivities, a.obsp.connectivities);
    expect(b.uns).toEqual(a.uns);
    expect(b.history).toEqual(a.history);
    // Nothing but the output is left in the directory (no temporary sibling).
    expect(readdirSync(dir)).toEqual(['tiny.h5ad']);
  });

  it('stores layers.counts === X once, as a hard link to X', async () => {
    const path = join(tempDir(), 'link.h5ad');
    await writeH5ad(path, tinyAdata());
    await h5wasm.ready;
    const f = new h5wasm.File(path, 'r');
    try {
      const x = f.get('X/data') as InstanceType<typeof h5wasm.Dataset>;
      const c = f.get('layers/counts/data') as InstanceType<typeof h5wasm.Dataset>;
      expect(Array.from(c.value as Float32Array)).toEqual(Array.from(x.value as Float32Array));
      expect(f.get_attribute('encoding-type', false)).toBe('anndata');
      const xg = f.get('X') as InstanceType<typeof h5wasm.Group>;
      expect(xg.get_attribute('encoding-type', false)).toBe('csr_matrix');
      expect(Array.from(xg.get_attribute('shape', false) as BigInt64Array, Number)).toEqual([3, 4]);
      expect((f.get('obs') as InstanceType<typeof h5wasm.Group>).get_attribute('column-order', false)).toEqual([
        'lot', 'grade', 'donor', 'score', 'n_genes', 'frac', 'total', 'keep',
      ]);
    } finally {
      f.close();
    }
  });

  it('gives identical X, obs and var for 10x MTX -> h5ad -> readH5ad', async () => {
    const mtx = await read10xMtx(sharedData('10x_formats', 'v3_mtx'));
    const path = join(tempDir(), 'v3.h5ad');
    await writeH5ad(path, mtx);
    const { adata, countsSource } = await readH5ad(path);
    expect(countsSource).toBe('layers/counts');
    expect([adata.nObs, adata.nVars, nnzOf(adata.X)]).toEqual([1107, 507, 23866]);
    sameCsr(adata.X, mtx.X);
    expect(adata.obs).toEqual(mtx.obs);
    expect(adata.var).toEqual(mtx.var);
  });

  it('writes a matrix larger than one transfer slice (nnz 1.5e6) in chunks, gzip or raw, and reads it back exactly', async () => {
    // 1,500 cells x 2,000 genes, 1,000 stored values per cell at genes (i mod 2) + 2t, t < 1000.
    const nRows = 1500;
    const perRow = 1000;
    const indptr = new Uint32Array(nRows + 1);
    const indices = new Int32Array(nRows * perRow);
    const data = new Float32Array(nRows * perRow);
    for (let i = 0; i < nRows; i++) {
      const start = i % 2; // every other cell starts at an odd gene, so rows differ
      for (let t = 0; t < perRow; t++) {
        indices[i * perRow + t] = start + 2 * t;
        data[i * perRow + t] = ((i * 7 + t * 3) % 11) + 1;
      }
      indptr[i + 1] = (i + 1) * perRow;
    }
    expect(nRows * perRow).toBeGreaterThan(H5_SLICE_ELEMENTS);
    expect(nRows * 800).toBeGreaterThan(H5_SLICE_ELEMENTS);
    const big: CsrMatrix = { format: 'csr', nRows, nCols: 2000, indptr, indices, data };
    const names = (p: string, n: number) => Array.from({ length: n }, (_, t) => `${p}${t}`);
    // A 2-D embedding of 1.2e6 values (> one slice) exercises the row-block path of dense arrays.
    const emb = new Float32Array(nRows * 800);
    for (let t = 0; t < emb.length; t++) emb[t] = ((t * 13) % 997) / 7 - 50;
    const a = new AnnDataLite({
      X: big,
      layers: { counts: big },
      obs: new Frame(names('c', nRows)),
      var: new Frame(names('g', 2000)),
      obsm: { X_pca: { nRows, nCols: 800, data: emb } },
    });
    const dir = tempDir();
    for (const compression of ['gzip', 'none'] as const) {
      const path = join(dir, `big-${compression}.h5ad`);
      await writeH5ad(path, a, { compression });
      const { adata: b } = await readH5ad(path);
      sameCsr(b.X, big);
      expect([b.obsm.X_pca.nRows, b.obsm.X_pca.nCols]).toEqual([nRows, 800]);
      expect(firstDiff(b.obsm.X_pca.data, emb)).toBe(-1);
      await h5wasm.ready;
      const f = new h5wasm.File(path, 'r');
      try {
        const ds = f.get('X/data') as InstanceType<typeof h5wasm.Dataset>;
        expect(ds.metadata.chunks).toEqual([262144]);
        expect(ds.filters.map((x) => x.name)).toEqual(compression === 'gzip' ? ['deflate'] : []);
      } finally {
        f.close();
      }
    }
  });

  it('handles an empty matrix and frames without columns', async () => {
    const empty: CsrMatrix = { format: 'csr', nRows: 2, nCols: 3, indptr: new Uint32Array(3), indices: new Int32Array(0), data: new Float32Array(0) };
    const a = new AnnDataLite({ X: empty, obs: new Frame(['a', 'b']), var: new Frame(['x', 'y', 'z']) });
    const path = join(tempDir(), 'empty.h5ad');
    await writeH5ad(path, a);
    const { adata: b, countsSource } = await readH5ad(path);
    expect(countsSource).toBe('X');
    sameCsr(b.X, empty);
    expect(b.obsNames).toEqual(['a', 'b']);
    expect(b.var.columnNames).toEqual([]);
  });

  it('refuses a key with "/" with an OutputError and leaves an existing file untouched', async () => {
    const dir = tempDir();
    const path = join(dir, 'keep.h5ad');
    writeFileSync(path, 'previous content');
    const bad = tinyAdata().with({ obs: tinyAdata().obs.with('CD4+/CD25', { kind: 'numeric', values: new Float64Array(3) }) });
    let err: unknown;
    try {
      await writeH5ad(path, bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).message).toMatch(/^cannot write obs key 'CD4\+\/CD25' to .*keep\.h5ad: h5ad keys must be non-empty and contain no '\/'$/);
    expect(readFileSync(path, 'utf8')).toBe('previous content');
    expect(readdirSync(dir)).toEqual(['keep.h5ad']);
    expect(existsSync(join(dir, 'keep.h5ad'))).toBe(true);
  });
});
