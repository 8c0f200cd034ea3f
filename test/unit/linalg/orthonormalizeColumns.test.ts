import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { orthonormalizeColumns } from '../../../src/linalg/orthonormalizeColumns.js';
import { orthonormalizeColumnsParallel } from '../../../src/linalg/orthonormalizeColumnsParallel.js';

/** Max |Q^T Q - I| over the non-zero columns (zero columns are checked to be exactly zero). */
function orthogonalityError(q: Float64Array, n: number, l: number, zeroCols: number[] = []): number {
  let e = 0;
  for (let c = 0; c < l; c++) {
    for (let d = 0; d < l; d++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * l + c] * q[i * l + d];
      const target = c === d && !zeroCols.includes(c) ? 1 : 0;
      e = Math.max(e, Math.abs(s - target));
    }
  }
  return e;
}

/** R = Q^T Y (l x l row-major). */
function qtY(q: Float64Array, y: Float64Array, n: number, l: number): Float64Array {
  const r = new Float64Array(l * l);
  for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) for (let d = 0; d < l; d++) r[c * l + d] += q[i * l + c] * y[i * l + d];
  return r;
}

/** Max |Y - Q Q^T Y| relative to max |Y|: Q spans Y's columns. */
function spanError(q: Float64Array, y: Float64Array, n: number, l: number): number {
  const r = qtY(q, y, n, l);
  let e = 0, ymax = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < l; d++) {
      let s = 0;
      for (let c = 0; c < l; c++) s += q[i * l + c] * r[c * l + d];
      e = Math.max(e, Math.abs(y[i * l + d] - s));
      ymax = Math.max(ymax, Math.abs(y[i * l + d]));
    }
  }
  return e / ymax;
}

function gaussian(n: number, l: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n * l }, () => rng.normal());
}

describe('orthonormalizeColumns', () => {
  it('gives the thin QR factor of a well-conditioned block (CholQR2 path)', () => {
    const n = 3001, l = 62; // neither a multiple of 4
    const y = gaussian(n, l, 1);
    const before = y.slice();
    const q = orthonormalizeColumns(y, n, l);
    expect(y).toEqual(before); // input untouched
    expect(orthogonalityError(q, n, l)).toBeLessThan(1e-14);
    expect(spanError(q, y, n, l)).toBeLessThan(1e-13);
    // Q^T Y = R is upper triangular with a positive diagonal: the unique thin QR factor, so the
    // columns come out in Y's order with Gram-Schmidt's signs.
    const r = qtY(q, y, n, l);
    let below = 0;
    for (let c = 0; c < l; c++) {
      expect(r[c * l + c]).toBeGreaterThan(0);
      for (let d = 0; d < c; d++) below = Math.max(below, Math.abs(r[c * l + d]));
    }
    expect(below).toBeLessThan(1e-12);
  });

  it('stays orthonormal on columns with wildly different norms (scaled before the Gram matrix)', () => {
    const n = 500, l = 8;
    const y = gaussian(n, l, 2);
    for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) y[i * l + c] *= 10 ** (3 * c - 10); // 1e-10 .. 1e11
    const q = orthonormalizeColumns(y, n, l);
    expect(orthogonalityError(q, n, l)).toBeLessThan(1e-14);
  });

  it('falls back to Gram-Schmidt for nearly dependent columns (cond ~1e10) and stays orthonormal', () => {
    const n = 400, l = 6;
    const y = gaussian(n, l, 3);
    const rng = createRng(4);
    // Column 5 = column 0 + 1e-10 noise: the Cholesky pivot (~1e-20) is far below 1e-12.
    for (let i = 0; i < n; i++) y[i * l + 5] = y[i * l] + 1e-10 * rng.normal();
    const q = orthonormalizeColumns(y, n, l);
    expect(orthogonalityError(q, n, l)).toBeLessThan(1e-13);
    expect(spanError(q, y, n, l)).toBeLessThan(1e-12);
  });

  it('zeroes an exactly dependent column', () => {
    const n = 50, l = 4;
    const y = gaussian(n, l, 5);
    for (let i = 0; i < n; i++) y[i * l + 2] = 2 * y[i * l] - y[i * l + 1];
    const q = orthonormalizeColumns(y, n, l);
    for (let i = 0; i < n; i++) expect(Math.abs(q[i * l + 2])).toBe(0);
    expect(orthogonalityError(q, n, l, [2])).toBeLessThan(1e-14);
  });

  it('handles a zero column and a wide block (fewer rows than columns)', () => {
    const y1 = Float64Array.of(1, 0, 1, 0, 0, 0); // 3 x 2, column 1 zero
    const q1 = orthonormalizeColumns(y1, 3, 2);
    [Math.SQRT1_2, 0, Math.SQRT1_2, 0, 0, 0].forEach((x, t) => expect(q1[t]).toBeCloseTo(x, 15));
    const n = 2, l = 3;
    const q = orthonormalizeColumns(Float64Array.of(3, 1, 2, 4, 5, 6), n, l);
    // Two rows span at most two directions: columns 0 and 1 orthonormal, column 2 zero.
    expect(orthogonalityError(q, n, l, [2])).toBeLessThan(1e-15);
    expect([Math.abs(q[2]), Math.abs(q[5])]).toEqual([0, 0]);
  });

  it('gives the same bits in worker threads (1, 2, 3 threads) as in the calling thread', async () => {
    // 10,001 rows x 22 columns (above the 8,192-row parallel threshold; 3 Gram blocks, edge rows
    // and an edge panel), random with column scales from 1e-3 to 1e3.
    const n = 10001, l = 22;
    const rng = createRng(11);
    const y = new Float64Array(n * l);
    for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) y[i * l + c] = rng.normal() * 10 ** ((c % 7) - 3);
    const ref = orthonormalizeColumns(y, n, l);
    expect(orthogonalityError(ref, n, l)).toBeLessThan(1e-12);
    for (const threads of [1, 2, 3]) {
      const q = await orthonormalizeColumnsParallel(y, n, l, threads);
      let same = q.length === ref.length;
      for (let t = 0; same && t < q.length; t++) same = Object.is(q[t], ref[t]);
      expect(same, `${threads} threads`).toBe(true);
    }
  });
});
