import { describe, expect, it } from 'vitest';
import { SIMD_KERNELS_BASE64 } from '../../../src/linalg/simd/kernelsBinary.js';
import { float64Regions, simdKernels } from '../../../src/linalg/simd/simdKernels.js';
import { denseMulRowsScalar, denseMulRowsSimd, packColumnPanels } from '../../../src/linalg/denseMul.js';
import { denseTransMulGenesScalar, denseTransMulGenesSimd, packRowBlockPanels } from '../../../src/linalg/denseTransMul.js';
import { packPointPanels, rowSquaredNorms, screenTile } from '../../../src/neighbors/knnExact.js';
import { gramTilesScalar, gramTilesSimd, mulUpperRowsScalar, mulUpperRowsSimd, packUpper } from '../../../src/linalg/orthonormalizeColumns.js';
import { createRng } from '../../../src/core/rng.js';
// @ts-expect-error plain ES module without typings (the assembler script).
import { assembleSimdKernels } from '../../tools/assembleSimdKernels.mjs';

function randomF32(len: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: len }, () => rng.normal());
}
function randomF64(len: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: len }, () => rng.normal());
}

/** Index of the first element whose bits differ (-1 when the arrays are identical). */
function firstBitDifference(x: Float64Array, y: Float64Array): number {
  const bx = new BigUint64Array(x.buffer, x.byteOffset, x.length);
  const by = new BigUint64Array(y.buffer, y.byteOffset, y.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return i;
  return -1;
}

const simd = simdKernels();

describe('SIMD kernels', () => {
  it('are available on this Node, so the tests below exercise them', () => {
    expect(simd).not.toBeNull();
  });

  it('a larger request swaps in a new memory and never detaches the old one (no grow)', () => {
    const small = simd!.reserve(1024);
    const big = simd!.reserve(small.byteLength + 1);
    expect(big.byteLength).toBeGreaterThan(small.byteLength);
    // A grown memory would have detached `small` (byteLength 0), which slows every typed-array access in V8.
    expect(small.byteLength).toBeGreaterThan(0);
    expect(simd!.reserve(16)).toBe(big);
  });

  it('embedded binary is kernels.wat assembled (run `npm run build:wasm` after editing the .wat)', async () => {
    const bytes: Uint8Array = await assembleSimdKernels();
    expect(Buffer.from(bytes).toString('base64')).toBe(SIMD_KERNELS_BASE64);
  });

  it('A * B equals the scalar kernel bit for bit (ragged rows, panels and chunks)', () => {
    // 203 rows from row 5: chunks of 64 with a last chunk of 11 (padded to 12); l = 13: a last panel of 1.
    const n = 210, p = 37, l = 13;
    const a = randomF32(n * p, 1);
    const panels = packColumnPanels(randomF64(p * l, 2), p, l, false);
    const fromScalar = new Float64Array(n * l).fill(-7);
    const fromSimd = new Float64Array(n * l).fill(-7);
    denseMulRowsScalar(a, p, 5, 208, panels, l, fromScalar);
    denseMulRowsSimd(simd!, a, p, 5, 208, panels, l, fromSimd);
    expect(firstBitDifference(fromScalar, fromSimd)).toBe(-1);
    // Rows outside the range are untouched; row 5 holds a real sum.
    expect(fromSimd[0]).toBe(-7);
    expect(fromSimd[208 * l]).toBe(-7);
    let s = 0;
    for (let j = 0; j < p; j++) s += a[5 * p + j] * panels[j * 4];
    expect(fromSimd[5 * l]).toBe(s);
  });

  it('A^T * Q equals the scalar kernel bit for bit (several row blocks, ragged genes and columns)', () => {
    // 600 rows: blocks of 256, 256 and 88; genes [3, 262): 259 genes, padded to 260; l = 13.
    const n = 600, p = 270, l = 13;
    const a = randomF32(n * p, 3);
    const q = randomF64(n * l, 4);
    const qBlocks = packRowBlockPanels(q, n, l, false);
    const fromScalar = new Float64Array(p * l).fill(-7);
    const fromSimd = new Float64Array(p * l).fill(-7);
    denseTransMulGenesScalar(a, n, p, 3, 262, qBlocks, l, fromScalar);
    denseTransMulGenesSimd(simd!, a, n, p, 3, 262, qBlocks, l, fromSimd);
    expect(firstBitDifference(fromScalar, fromSimd)).toBe(-1);
    expect(fromSimd[2 * l]).toBe(-7);
    expect(fromSimd[262 * l]).toBe(-7);
    let naive = 0;
    for (let i = 0; i < n; i++) naive += a[i * p + 3] * q[i * l];
    expect(Math.abs(fromSimd[3 * l] - naive)).toBeLessThan(1e-9);
  });

  it('Gram tiles of Y^T Y equal the scalar kernel bit for bit (three row blocks, a ragged panel)', () => {
    const n = 600, l = 13;
    const y = randomF64(n * l, 7);
    const fromScalar = gramTilesScalar(y, l, 5, 590);
    const fromSimd = gramTilesSimd(simd!, y, l, 5, 590);
    expect(firstBitDifference(fromScalar, fromSimd)).toBe(-1);
    // G[2][9] over rows 5..589 (ld = 16 with the padded panel).
    let naive = 0;
    for (let i = 5; i < 590; i++) naive += y[i * l + 2] * y[i * l + 9];
    expect(Math.abs(fromSimd[2 * 16 + 9] - naive)).toBeLessThan(1e-10);
  });

  it('Y U for upper-triangular U equals the scalar kernel bit for bit (row chunks, ragged rows and panel)', () => {
    const n = 600, l = 13;
    const y = randomF64(n * l, 8);
    const u = randomF64(l * l, 9);
    for (let d = 0; d < l; d++) for (let c = 0; c < d; c++) u[d * l + c] = 0;
    const up = packUpper(u, l, false);
    const fromScalar = new Float64Array(n * l).fill(-7);
    const fromSimd = new Float64Array(n * l).fill(-7);
    mulUpperRowsScalar(y, l, up, 3, 598, fromScalar);
    mulUpperRowsSimd(simd!, y, l, up, 3, 598, fromSimd);
    expect(firstBitDifference(fromScalar, fromSimd)).toBe(-1);
    expect(fromSimd[2 * l]).toBe(-7);
    let naive = 0;
    for (let d = 0; d <= 12; d++) naive += y[3 * l + d] * u[d * l + 12];
    expect(Math.abs(fromSimd[3 * l + 12] - naive)).toBeLessThan(1e-10);
  });

  it('kNN screen equals the scalar kernel bit for bit, padding points at +Infinity', () => {
    const nRef = 37, nQuery = 10, dim = 11;
    const nRefPad = 40, nQueryPad = 12;
    const ref = randomF32(nRef * dim, 5);
    const query = randomF32(nQuery * dim, 6);
    const lengths = [nRefPad * dim, nRefPad, nQueryPad * dim, nQueryPad, nQueryPad * nRefPad];
    const run = (useSimd: boolean): Float64Array => {
      const { views, offsets } = float64Regions(useSimd ? simd : null, lengths);
      const [rPanels, rNorms, qPanels, qNorms, est] = views;
      packPointPanels(ref, dim, dim, 0, nRef, rPanels);
      rNorms.set(rowSquaredNorms(ref, nRef, dim, dim));
      rNorms.fill(Infinity, nRef);
      packPointPanels(query, dim, dim, 0, nQuery, qPanels);
      qNorms.set(rowSquaredNorms(query, nQuery, dim, dim));
      if (useSimd) simd!.screenTile(offsets[2], offsets[3], nQueryPad / 4, offsets[0], offsets[1], nRefPad / 4, dim, offsets[4], nRefPad);
      else screenTile(qPanels, qNorms, nQueryPad / 4, rPanels, rNorms, nRefPad / 4, dim, est, nRefPad);
      return est.slice();
    };
    const fromScalar = run(false), fromSimd = run(true);
    expect(firstBitDifference(fromScalar, fromSimd)).toBe(-1);
    // Estimate of query 2 vs reference 7 against the direct squared distance; padding at Infinity.
    let d = 0;
    for (let c = 0; c < dim; c++) d += (query[2 * dim + c] - ref[7 * dim + c]) ** 2;
    expect(Math.abs(fromSimd[2 * nRefPad + 7] - d)).toBeLessThan(1e-12);
    expect(fromSimd[2 * nRefPad + 38]).toBe(Infinity);
  });
});
