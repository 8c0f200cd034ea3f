import { describe, expect, it } from 'vitest';
import { AnnDataLite } from '../../../src/core/adata.js';
import { isIdentitySelection, isLargePrefixSelection, subsetCols, subsetColsSharing, subsetRows, subsetRowsSharing, type CsrMatrix } from '../../../src/core/sparse.js';
import { readMatrix } from '../../../src/io/readMatrix.js';
import { logNormalizeKernel, totalSizeFactors } from '../../../src/normalize/logNormalize.js';
import { fixture } from '../../helpers/paths.js';

/** One real lot (300 cells x 2,000 genes) with counts in a layer and log-normalized X sharing its structure. */
async function normalizedLot(): Promise<AnnDataLite> {
  const { adata } = await readMatrix(fixture('lots', 'BM01'));
  const counts = adata.X;
  const X = logNormalizeKernel(counts, totalSizeFactors(counts, 1e4));
  return adata.with({ X, layers: { counts, scaled: { ...X, data: X.data.map((v) => 2 * v) } } });
}

/** Copies the arrays, so that the matrix shares nothing with any other. */
const own = (m: CsrMatrix): CsrMatrix => ({ ...m, indptr: m.indptr.slice(), indices: m.indices.slice(), data: m.data.slice() });

/** First position where two arrays differ (-1 when equal; the shorter length when one is a prefix). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let t = 0; t < n; t++) if (a[t] !== b[t]) return t;
  return a.length === b.length ? -1 : n;
}

/** Exact equality of two CSR matrices (a plain loop: vitest's deep equality is slow on big typed arrays). */
function expectSame(a: CsrMatrix, b: CsrMatrix): void {
  expect([a.nRows, a.nCols]).toEqual([b.nRows, b.nCols]);
  expect(firstDiff(a.indptr, b.indptr)).toBe(-1);
  expect(firstDiff(a.indices, b.indices)).toBe(-1);
  expect(firstDiff(a.data, b.data)).toBe(-1);
}

describe('AnnDataLite subsets share structure and skip identity selections', () => {
  it('subsetObs gives the same matrices as subsetting each one separately, with the layers sharing the new X structure', async () => {
    const a = await normalizedLot();
    expect(a.layers.counts.indices).toBe(a.X.indices);
    // Every third cell, then a few in reverse order (order must be kept).
    const rows = [...Array.from({ length: 100 }, (_, t) => 3 * t), 299, 150, 7];
    const s = a.subsetObs(rows);
    expectSame(s.X, subsetRows(own(a.X), rows));
    expectSame(s.layers.counts, subsetRows(own(a.layers.counts), rows));
    expectSame(s.layers.scaled, subsetRows(own(a.layers.scaled), rows));
    expect(s.layers.counts.indptr).toBe(s.X.indptr);
    expect(s.layers.counts.indices).toBe(s.X.indices);
    expect(s.layers.counts.data).not.toBe(s.X.data);
    expect(s.obsNames).toEqual(rows.map((i) => a.obsNames[i]));
    // The input is untouched.
    expectSame(a.X, logNormalizeKernel(a.layers.counts, totalSizeFactors(a.layers.counts, 1e4)));
  });

  it('subsetVars gives the same matrices as subsetCols per matrix; sharing kept for increasing columns only', async () => {
    const a = await normalizedLot();
    const cols = Array.from({ length: 700 }, (_, t) => 2 * t + 1);
    const s = a.subsetVars(cols);
    expectSame(s.X, subsetCols(own(a.X), cols));
    expectSame(s.layers.counts, subsetCols(own(a.layers.counts), cols));
    expect(s.layers.counts.indices).toBe(s.X.indices);
    const reversed = [...cols].reverse();
    const r = a.subsetVars(reversed);
    expectSame(r.X, subsetCols(own(a.X), reversed));
    expectSame(r.layers.counts, subsetCols(own(a.layers.counts), reversed));
  });

  it('selecting every cell or gene in order reuses the matrices but still resets obsp and subsets obs/var', async () => {
    const a = await normalizedLot();
    const all = Int32Array.from({ length: a.nObs }, (_, i) => i);
    const s = a.subsetObs(all);
    expect(s.X).toBe(a.X);
    expect(s.layers.counts).toBe(a.layers.counts);
    expect(s.obsNames).toEqual(a.obsNames);
    const v = a.subsetVars(Int32Array.from({ length: a.nVars }, (_, j) => j));
    expect(v.X).toBe(a.X);
    expect(v.varNames).toEqual(a.varNames);
    expect(isIdentitySelection([0, 1, 2], 3)).toBe(true);
    expect(isIdentitySelection([0, 2, 1], 3)).toBe(false);
    expect(isIdentitySelection([0, 1], 3)).toBe(false);
  });

  it('selecting the leading cells in order gives views of the matrices; a small prefix is copied', async () => {
    const a = await normalizedLot();
    const head = Int32Array.from({ length: 250 }, (_, i) => i);
    const s = a.subsetObs(head);
    expectSame(s.X, subsetRows(own(a.X), head));
    expectSame(s.layers.counts, subsetRows(own(a.layers.counts), head));
    expectSame(s.layers.scaled, subsetRows(own(a.layers.scaled), head));
    // Views: the same memory as the parent, the counts layer still sharing X's structure.
    expect(s.X.data.buffer).toBe(a.X.data.buffer);
    expect(s.X.indices.length).toBe(a.X.indptr[250]);
    expect(s.layers.counts.indices).toBe(s.X.indices);
    expect(s.layers.counts.data.buffer).toBe(a.layers.counts.data.buffer);
    expect(s.obsNames).toEqual(a.obsNames.slice(0, 250));
    // Ten cells of 300 hold far less than half of the entries: copied, so they do not pin the parent.
    const small = a.subsetObs([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(small.X.data.buffer).not.toBe(a.X.data.buffer);
    expectSame(small.X, subsetRows(own(a.X), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(isLargePrefixSelection([0, 1, 3], a.X)).toBe(false);
  });

  it('subsetRowsSharing and subsetColsSharing gather exactly the values subsetRows and subsetCols keep', async () => {
    const a = await normalizedLot();
    const rows = [5, 4, 200, 17];
    const sub = subsetRows(a.X, rows);
    const viaShare = subsetRowsSharing(a.layers.counts, rows, sub);
    expect(firstDiff(viaShare.data, subsetRows(a.layers.counts, rows).data)).toBe(-1);
    const cols = [0, 10, 11, 1999];
    const subC = subsetCols(a.X, cols);
    expect(firstDiff(subsetColsSharing(a.layers.counts, cols, subC).data, subsetCols(a.layers.counts, cols).data)).toBe(-1);
  });
});
