import { describe, expect, it } from 'vitest';
import { checkCompressed, csrFromDense, toCsc, toCsr, subsetRows, subsetCols, toDenseArray, transposeCsr, vstackCsr } from '../../../src/core/sparse.js';

// 3 x 4 matrix
// [1 0 2 0]
// [0 0 3 0]
// [4 5 0 6]
const dense = [1, 0, 2, 0, 0, 0, 3, 0, 4, 5, 0, 6];

describe('compressed sparse matrices', () => {
  it('builds CSR from dense with sorted indices and indptr [0,2,3,6]', () => {
    const m = csrFromDense(3, 4, dense);
    expect([...m.indptr]).toEqual([0, 2, 3, 6]);
    expect([...m.indices]).toEqual([0, 2, 2, 0, 1, 3]);
    expect([...m.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(checkCompressed(m)).toBeNull();
  });

  it('converts CSR to CSC and back without changing values', () => {
    const m = csrFromDense(3, 4, dense);
    const c = toCsc(m);
    // column 0 holds rows 0 and 2 (values 1, 4); column 1 row 2 (5); column 2 rows 0, 1 (2, 3); column 3 row 2 (6)
    expect([...c.indptr]).toEqual([0, 2, 3, 5, 6]);
    expect([...c.indices]).toEqual([0, 2, 2, 0, 1, 2]);
    expect([...c.data]).toEqual([1, 4, 5, 2, 3, 6]);
    expect([...toDenseArray(c)]).toEqual(dense);
    expect([...toDenseArray(toCsr(c))]).toEqual(dense);
  });

  it('transposes a CSR matrix', () => {
    const t = transposeCsr(csrFromDense(3, 4, dense));
    expect(t.nRows).toBe(4);
    expect([...toDenseArray(t)]).toEqual([1, 0, 4, 0, 0, 5, 2, 3, 0, 0, 0, 6]);
  });

  it('subsets rows and columns (columns re-sorted when given out of order)', () => {
    const m = csrFromDense(3, 4, dense);
    expect([...toDenseArray(subsetRows(m, [2, 0]))]).toEqual([4, 5, 0, 6, 1, 0, 2, 0]);
    const sc = subsetCols(m, [3, 0]);
    expect([...toDenseArray(sc)]).toEqual([0, 1, 0, 0, 6, 4]);
    expect(checkCompressed(sc)).toBeNull();
  });

  it('stacks rows of several matrices', () => {
    const m = csrFromDense(3, 4, dense);
    const s = vstackCsr([m, subsetRows(m, [1])]);
    expect(s.nRows).toBe(4);
    expect([...toDenseArray(s)]).toEqual([...dense, 0, 0, 3, 0]);
  });

  it('reports each single corruption with where it is', () => {
    const m = csrFromDense(3, 4, dense);
    const unsorted = { ...m, indices: Int32Array.from([2, 0, 2, 0, 1, 3]) };
    expect(checkCompressed(unsorted)).toMatch(/strictly increasing indices within row 0/);
    const outOfRange = { ...m, indices: Int32Array.from([0, 2, 4, 0, 1, 3]) };
    expect(checkCompressed(outOfRange)).toMatch(/index in \[0, 4\) in row 1, got 4/);
    const shortPtr = { ...m, indptr: Uint32Array.from([0, 2, 3]) };
    expect(checkCompressed(shortPtr)).toMatch(/indptr of length 4/);
    const decreasing = { ...m, indptr: Uint32Array.from([0, 3, 2, 6]) };
    expect(checkCompressed(decreasing)).not.toBeNull();
  });
});
