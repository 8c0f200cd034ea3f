import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/core/rng.js';
import type { DenseMatrix } from '../../../src/core/dense.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { randomizedSvd } from '../../../src/reduce/randomizedSvd.js';
import { runPca, runPcaKernel } from '../../../src/reduce/runPca.js';
import { jacobiSvd } from '../../../src/linalg/jacobiSvd.js';
import { pearson } from '../../helpers/compare.js';

/** A unit vector with Gaussian entries. */
function unitVector(len: number, rng: Rng): Float64Array {
  const w = new Float64Array(len);
  let s = 0;
  for (let t = 0; t < len; t++) { w[t] = rng.normal(); s += w[t] * w[t]; }
  for (let t = 0; t < len; t++) w[t] /= Math.sqrt(s);
  return w;
}

/** Applies H = I - 2 w w^T to every column of a row-major n x p matrix, in place. */
function reflectRows(m: Float64Array, n: number, p: number, w: Float64Array): void {
  const wm = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) wm[j] += w[i] * m[i * p + j];
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) m[i * p + j] -= 2 * w[i] * wm[j];
}

/**
 * n x p matrix with a known SVD: A = H_n [diag(s) 0] H_p^T with H_n, H_p products of two random
 * Householder reflections (dense orthogonal matrices). So singular values are s exactly and the
 * right singular vectors are the first columns of H_p (rows of H_p^T). Low rank + noise spectrum:
 * 10 signal values 100 * 0.8^t (100 .. 13.4) and a noise floor 5 * (1 - t/n) below them.
 */
function knownSvdMatrix(n: number, p: number, seed: number): { a: DenseMatrix; s: Float64Array; v: Float64Array } {
  const rng = createRng(seed);
  const s = Float64Array.from({ length: n }, (_, t) => (t < 10 ? 100 * 0.8 ** t : 5 * (1 - t / n)));
  // H_p^T rows t < n: start from the identity rows and reflect (H_p = H1 H2 is symmetric per factor).
  const w1 = unitVector(p, rng), w2 = unitVector(p, rng);
  // rows of M = [diag(s) 0] H_p^T = diag(s) * (first n rows of H_p^T)
  const m = new Float64Array(n * p);
  for (let t = 0; t < n; t++) m[t * p + t] = 1;
  // (H1 H2)^T = H2 H1: right-multiply E (n x p) by H2 H1 = reflect columns... do it via transpose rules:
  // E H2 = E - 2 (E w2) w2^T ; then (E H2) H1 likewise.
  for (const w of [w2, w1]) {
    for (let t = 0; t < n; t++) {
      let d = 0;
      for (let j = 0; j < p; j++) d += m[t * p + j] * w[j];
      for (let j = 0; j < p; j++) m[t * p + j] -= 2 * d * w[j];
    }
  }
  // First 10 right singular vectors: rows 0..9 of E H2 H1, stored p x 10 row-major.
  const v = new Float64Array(p * 10);
  for (let c = 0; c < 10; c++) for (let j = 0; j < p; j++) v[j * 10 + c] = m[c * p + j];
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) m[t * p + j] *= s[t];
  reflectRows(m, n, p, unitVector(n, rng));
  reflectRows(m, n, p, unitVector(n, rng));
  return { a: { nRows: n, nCols: p, data: Float32Array.from(m) }, s, v };
}

/** Cosines of the principal angles between two p x k orthonormal bases (singular values of A^T B). */
function principalCosines(a: Float64Array, b: Float64Array, p: number, k: number): Float64Array {
  const m = new Float64Array(k * k);
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) m[r * k + c] += a[j * k + r] * b[j * k + c];
  return jacobiSvd(m, k, k).s;
}

describe('randomized PCA', () => {
  it('agrees with the exact SVD of a 2,000 x 5,000 low-rank + noise matrix', async () => {
    const { a, s, v } = knownSvdMatrix(2000, 5000, 17);
    const r = await randomizedSvd(a, 10, createRng(1), {});
    let worst = 0;
    for (let c = 0; c < 10; c++) worst = Math.max(worst, Math.abs(r.s[c] - s[c]) / s[c]);
    const cos = principalCosines(r.v, v, 5000, 10);
    const largestAngle = Math.acos(Math.min(1, Math.min(...cos)));
    console.log(`2000 x 5000: max rel. error of top-10 singular values ${worst.toExponential(2)}, largest principal angle ${largestAngle.toExponential(2)} rad`);
    expect(worst).toBeLessThan(1e-3);
    expect(largestAngle).toBeLessThan(1e-3);
  });

  it('agrees with the exact ml-pca path (centred and not) on a small matrix', async () => {
    const rng = createRng(4);
    const n = 300, p = 120;
    const data = new Float32Array(n * p);
    const f = Array.from({ length: 5 }, () => Float64Array.from({ length: p }, () => rng.normal()));
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: 5 }, (_, c) => rng.normal() * (6 - c));
      for (let j = 0; j < p; j++) data[i * p + j] = 1 + z.reduce((acc, zc, c) => acc + zc * f[c][j], 0) + 0.3 * rng.normal();
    }
    const a = { nRows: n, nCols: p, data };
    for (const center of [true, false]) {
      const base = { nComps: 5, oversampling: 10, powerIters: 7, center };
      const exact = await runPcaKernel(a, { ...base, method: 'exact' }, createRng(1));
      const rand = await runPcaKernel(a, { ...base, method: 'randomized' }, createRng(1));
      for (let c = 0; c < 5; c++) {
        expect(Math.abs(rand.singularValues[c] - exact.singularValues[c]) / exact.singularValues[c]).toBeLessThan(1e-6);
        const col = (m: Float64Array) => Array.from({ length: n }, (_, i) => m[i * 5 + c]);
        // same sign rule on both paths, so scores agree with their signs
        expect(pearson(col(rand.scores), col(exact.scores))).toBeGreaterThan(0.99999);
        expect(rand.variance[c]).toBeCloseTo(exact.variance[c], 6);
      }
    }
  });

  it('is identical for the same seed', async () => {
    const { a } = knownSvdMatrix(300, 200, 3);
    const p = { nComps: 10, method: 'randomized' as const, oversampling: 10, powerIters: 4, center: false };
    const r1 = await runPcaKernel(a, p, createRng(9));
    const r2 = await runPcaKernel(a, p, createRng(9));
    expect([...r1.scores]).toEqual([...r2.scores]);
    expect([...r1.loadings]).toEqual([...r2.loadings]);
  });

  describe('threads', () => {
    // Worker threads run the compiled kernels from dist/ (`npm run build` first; CI builds before testing).
    it('gives bit-identical results with 1, 2 and 3 threads', async () => {
      // 9,001 rows = 9 fixed row blocks of <= 1,024 for A Z, and 300 genes = 2 fixed gene blocks
      // of <= 256 for A^T Q, so multi-thread runs really split both products.
      const rng = createRng(12);
      const n = 9001, p = 300;
      const data = new Float32Array(new SharedArrayBuffer(n * p * 4));
      for (let t = 0; t < data.length; t++) data[t] = rng.normal();
      const a = { nRows: n, nCols: p, data };
      const params = { nComps: 8, method: 'randomized' as const, oversampling: 6, powerIters: 3, center: true };
      const one = await runPcaKernel(a, params, createRng(5), 1);
      for (const threads of [2, 3]) {
        const many = await runPcaKernel(a, params, createRng(5), threads);
        expect([...many.scores]).toEqual([...one.scores]);
        expect([...many.loadings]).toEqual([...one.loadings]);
        expect([...many.variance]).toEqual([...one.variance]);
      }
      // Input not on shared memory (copied there once for the workers): same bits again.
      const plain = { nRows: n, nCols: p, data: Float32Array.from(data) };
      const two = await runPcaKernel(plain, params, createRng(5), 2);
      expect([...two.scores]).toEqual([...one.scores]);
    });
  });
});

describe('runPca step', () => {
  it('writes X_pca, PCs with zero rows for non-HVGs, and uns.pca', async () => {
    const rng = createRng(2);
    const n = 40, g = 6;
    const dense = Array.from({ length: n * g }, () => Math.max(0, Math.round(rng.normal() * 2 + 1)));
    const x = csrFromDense(n, g, dense);
    const hv = Uint8Array.of(1, 1, 0, 1, 1, 1);
    const adata = new AnnDataLite({ X: x, obs: new Frame(Array.from({ length: n }, (_, i) => `c${i}`)), var: new Frame(['a', 'b', 'c', 'd', 'e', 'f'], [['highly_variable', { kind: 'bool', values: hv }]]) });
    const out = await runPca(adata, { nComps: 3 }, { rng: createRng(1) });
    expect(out.obsm.X_pca.nRows).toBe(40);
    expect(out.obsm.X_pca.nCols).toBe(3);
    expect(out.obsm.X_pca.data).toBeInstanceOf(Float32Array);
    const pcs = out.varm.PCs;
    expect([pcs.data[6], pcs.data[7], pcs.data[8]]).toEqual([0, 0, 0]); // gene c is not an HVG
    const pca = out.uns.pca as { variance: Float64Array; variance_ratio: Float64Array };
    expect(pca.variance[0]).toBeGreaterThanOrEqual(pca.variance[1]);
    // 5 scaled genes with unit variance (before clipping, which does not bite here): total 5
    expect(pca.variance_ratio[0]).toBeCloseTo(pca.variance[0] / 5, 3);
    expect(out.obsm.X_scaled).toBeUndefined();
    await expect(runPca(adata, { nComps: 0 })).rejects.toThrow(/nComps/);
  });
});
