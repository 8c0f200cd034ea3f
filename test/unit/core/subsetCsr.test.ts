import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { ROW_BLOCK_ENTRIES } from '../../../src/core/rowBlocks.js';
import { allocIndices, allocIndptr, allocValues, csrFromDense, entriesOfRows, subsetCols, subsetRows, toDenseArray, type CsrMatrix } from '../../../src/core/sparse.js';
import { subsetCsrInPlace, subsetCsrParallel, subsetValuesParallel } from '../../../src/core/subsetCsr.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame } from '../../../src/core/frame.js';

/** 9,000 cells x 2,000 genes at about half density (over two row blocks, so workers are used). */
function bigSparse(): CsrMatrix {
  const nRows = 9000, nCols = 2000;
  const rng = createRng(11);
  const indptr = allocIndptr(nRows + 1, nRows * nCols);
  const cols = new Int32Array(nRows * nCols), vals = new Float32Array(nRows * nCols);
  let nnz = 0;
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) {
      if (rng.next() < 0.5) continue;
      cols[nnz] = j;
      vals[nnz++] = 1 + rng.int(9);
    }
    indptr[i + 1] = nnz;
  }
  const indices = allocIndices(nnz), data = allocValues(nnz);
  indices.set(cols.subarray(0, nnz));
  data.set(vals.subarray(0, nnz));
  return { format: 'csr', nRows, nCols, indptr, indices, data };
}

/** A copy of `m` in shared memory (so workers may write to it) whose arrays the test may overwrite. */
function own(m: CsrMatrix): CsrMatrix {
  const indices = allocIndices(m.indices.length), data = allocValues(m.data.length);
  indices.set(m.indices);
  data.set(m.data);
  return { ...m, indptr: m.indptr.slice(), indices, data };
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) return false;
  return true;
}

function times2(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let t = 0; t < a.length; t++) out[t] = 2 * a[t];
  return out;
}

// Every 7th cell dropped and the rest stored pool first, as `run` does: an increasing run (odd
// cells), then the even cells, which lie between them in the source (subsetCsrInPlace must set them
// aside before the run moves over them). Genes divisible by 5 dropped (about a fifth of the entries,
// scattered over every row).
const x = bigSparse();
const rows = Int32Array.from({ length: x.nRows }, (_, i) => i).filter((i) => i % 7 !== 0);
const reordered = Int32Array.from([...rows.filter((i) => i % 2 === 1), ...rows.filter((i) => i % 2 === 0)]);
const cols = Int32Array.from({ length: x.nCols }, (_, j) => j).filter((j) => j % 5 !== 0);
// A gene filter after QC: a few genes dropped, the first and last among them (rows move in stretches).
const fewCols = Int32Array.from({ length: x.nCols }, (_, j) => j).filter((j) => j !== 0 && j !== 777 && j !== 778 && j !== 1999);

describe('subsetCsrParallel', () => {
  it('equals the serial row then column subset, with 1 and 2 threads', async () => {
    expect(x.data.length).toBeGreaterThan(2 * ROW_BLOCK_ENTRIES);
    const serial = subsetCols(subsetRows(x, reordered), cols);
    for (const threads of [1, 2]) {
      const y = await subsetCsrParallel(x, reordered, cols, threads);
      expect([y.nRows, y.nCols]).toEqual([reordered.length, cols.length]);
      expect(same(y.indptr, serial.indptr)).toBe(true);
      expect(same(y.indices, serial.indices)).toBe(true);
      expect(same(y.data, serial.data)).toBe(true);
    }
    // About 4/5 of the kept cells' entries survive the gene filter.
    const keptFraction = serial.data.length / subsetRows(x, reordered).data.length;
    expect(keptFraction).toBeGreaterThan(0.79);
    expect(keptFraction).toBeLessThan(0.81);
  });

  it('copies rows only, columns only, and the values of a matrix sharing the structure', async () => {
    const byRows = await subsetCsrParallel(x, reordered, null, 2);
    expect(same(byRows.data, subsetRows(x, reordered).data)).toBe(true);
    const byCols = await subsetCsrParallel(x, null, cols, 2);
    expect(same(byCols.indices, subsetCols(x, cols).indices)).toBe(true);
    const doubled: CsrMatrix = { ...x, data: times2(x.data) };
    const both = await subsetCsrParallel(x, reordered, cols, 2);
    const values = await subsetValuesParallel(doubled, reordered, cols, both, 2);
    expect(values.indices).toBe(both.indices);
    expect(same(values.data, times2(both.data))).toBe(true);
  });

  it('drops a few columns in stretches as the serial subset does, with values alone too', async () => {
    const serial = subsetCols(subsetRows(x, reordered), fewCols);
    expect(serial.data.length).toBeLessThan(subsetRows(x, reordered).data.length - 3 * 2000);
    for (const threads of [1, 2]) {
      const y = await subsetCsrParallel(x, reordered, fewCols, threads);
      expect(same(y.indptr, serial.indptr)).toBe(true);
      expect(same(y.indices, serial.indices)).toBe(true);
      expect(same(y.data, serial.data)).toBe(true);
      const values = await subsetValuesParallel({ ...x, data: times2(x.data) }, reordered, fewCols, y, threads);
      expect(same(values.data, times2(serial.data))).toBe(true);
    }
  });

  it('rejects columns out of order', async () => {
    await expect(subsetCsrParallel(x, null, [3, 1], 1)).rejects.toThrow(/increasing/);
  });
});

describe('subsetCsrInPlace', () => {
  const poolFirst = reordered;

  it('gives the entries subsetCsrParallel copies, written over the source arrays', async () => {
    const cases: [Int32Array | null, Int32Array | null][] = [
      [poolFirst, cols], [poolFirst, fewCols], [poolFirst, null], [rows, cols], [rows, fewCols], [rows, null], [null, cols], [null, fewCols], [Int32Array.of(8999, 3, 2), cols],
    ];
    for (const [r, c] of cases) {
      const expected = await subsetCsrParallel(x, r, c, 1);
      // Moved in 1, 2 and 3 concurrent stretches (3 over 2 workers: one takes two in turn).
      for (const [threads, parts] of r === poolFirst || r === rows ? [[1, 1], [2, 2], [2, 3]] : [[2, undefined]]) {
        if (c === fewCols && r !== null) expect(expected.data.length).toBeLessThan(entriesOfRows(x, r) - 3 * 2000);
        const source = own(x);
        const y = await subsetCsrInPlace(source, r, c, threads, parts);
        expect(y.data.buffer).toBe(source.data.buffer);
        expect(y.indices.buffer).toBe(source.indices.buffer);
        expect([y.nRows, y.nCols]).toEqual([expected.nRows, expected.nCols]);
        expect(same(y.indptr, expected.indptr)).toBe(true);
        expect(same(y.indices, expected.indices)).toBe(true);
        expect(same(y.data, expected.data)).toBe(true);
      }
    }
  });

  it('AnnDataLite.subsetInPlace writes over an X it alone holds, and copies beside other layers', async () => {
    const n = x.nRows, names = (k: number, p: string): string[] => Array.from({ length: k }, (_, i) => `${p}${i}`);
    const expected = await subsetCsrParallel(x, poolFirst, cols, 2);
    const counts = own(x);
    const owned = new AnnDataLite({ X: counts, layers: { counts }, obs: new Frame(names(n, 'c')), var: new Frame(names(x.nCols, 'g')) });
    const out = await owned.subsetInPlace(poolFirst, cols, 2);
    expect(out.X.data.buffer).toBe(counts.data.buffer);
    expect(out.layers.counts).toBe(out.X);
    expect(same(out.X.data, expected.data)).toBe(true);
    expect(out.obsNames[0]).toBe('c1');
    const logged: CsrMatrix = { ...x, data: times2(x.data) };
    const withLog = new AnnDataLite({ X: logged, layers: { counts: x }, obs: new Frame(names(n, 'c')), var: new Frame(names(x.nCols, 'g')) });
    const copied = await withLog.subsetInPlace(poolFirst, cols, 2);
    expect(copied.X.data.buffer).not.toBe(logged.data.buffer);
    expect(same(copied.layers.counts.data, expected.data)).toBe(true);
    expect(same(x.data, bigSparse().data)).toBe(true);
  });
});

describe('AnnDataLite.subset', () => {
  // 4 cells x 3 genes; counts layer shares X's structure, a log layer beside it.
  const counts = csrFromDense(4, 3, [1, 0, 2, 0, 3, 0, 4, 5, 6, 0, 0, 7]);
  const logX: CsrMatrix = { ...counts, data: Float32Array.from(counts.data, (v) => Math.log1p(v)) };
  const adata = new AnnDataLite({
    X: logX,
    layers: { counts },
    obs: new Frame(['c0', 'c1', 'c2', 'c3']).withNumeric('depth', Float64Array.of(3, 3, 15, 7)),
    var: new Frame(['g0', 'g1', 'g2']),
    obsm: { X_pca: { nRows: 4, nCols: 1, data: Float32Array.of(0.5, 1.5, 2.5, 3.5) } },
    varm: { PCs: { nRows: 3, nCols: 1, data: Float32Array.of(10, 20, 30) } },
  });

  it('keeps cells and genes in one step, as subsetObs then subsetVars', async () => {
    const out = await adata.subset([3, 0, 2], [0, 2], 2);
    expect(out.obsNames).toEqual(['c3', 'c0', 'c2']);
    expect(out.varNames).toEqual(['g0', 'g2']);
    expect([...toDenseArray(out.layers.counts)]).toEqual([0, 7, 1, 2, 4, 6]);
    expect(out.layers.counts.indices).toBe(out.X.indices);
    expect(out.X.data[2]).toBeCloseTo(Math.log1p(2), 6);
    expect([...out.obsm.X_pca.data]).toEqual([3.5, 0.5, 2.5]);
    expect([...out.varm.PCs.data]).toEqual([10, 30]);
    const twoSteps = adata.subsetObs([3, 0, 2]).subsetVars([0, 2]);
    expect([...toDenseArray(out.X)]).toEqual([...toDenseArray(twoSteps.X)]);
    expect(out.obs.require('depth')).toEqual(twoSteps.obs.require('depth'));
  });

  it('reuses the matrices for full selections and falls back for genes out of order', async () => {
    expect((await adata.subset(null, null, 2)).X).toBe(adata.X);
    const reordered = await adata.subset(null, [2, 0], 1);
    expect(reordered.varNames).toEqual(['g2', 'g0']);
    expect([...toDenseArray(reordered.layers.counts)]).toEqual([2, 1, 0, 0, 6, 4, 7, 0]);
  });
});
