import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { scaleData, scaleDataKernel } from '../../../src/reduce/scaleData.js';

describe('scaleData (Seurat ScaleData)', () => {
  it('centres and scales with the n - 1 sd, by hand', () => {
    // gene0: 1, 2, 3 -> mean 2, sd 1 -> -1, 0, 1
    // gene1: 0, 0, 30 -> mean 10, sd sqrt((100 + 100 + 400) / 2) = sqrt(300) -> -0.57735, -0.57735, 1.1547
    // gene2 (not selected) is ignored; gene3 constant 4 -> sd 0 -> zeros
    const x = csrFromDense(3, 4, [1, 0, 9, 4, 2, 0, 9, 4, 3, 30, 9, 4]);
    const r = scaleDataKernel(x, Int32Array.of(0, 1, 3), { maxValue: 10, center: true, scale: true });
    const expected = [-1, -10 / Math.sqrt(300), 0, 0, -10 / Math.sqrt(300), 0, 1, 20 / Math.sqrt(300), 0];
    for (let t = 0; t < 9; t++) expect(r.scaled.data[t]).toBeCloseTo(expected[t], 6);
    expect([...r.means]).toEqual([2, 10, 4]);
    expect(r.sds[1]).toBeCloseTo(Math.sqrt(300), 12);
    expect(r.scaled.data.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('clips at maxValue = 10 on the upper side only', () => {
    // one cell of 121 has count c, the rest 0: mean c/121, sd c/11, z = (120/121) * 11 = 10.909 -> 10;
    // the zeros get -(c/121)/(c/11) = -0.0909 (not clipped below)
    const n = 121;
    const vals = new Array(n).fill(0);
    vals[5] = 7;
    const r = scaleDataKernel(csrFromDense(n, 1, vals), Int32Array.of(0), { maxValue: 10, center: true, scale: true });
    expect(r.scaled.data[5]).toBe(10);
    expect(r.scaled.data[0]).toBeCloseTo(-1 / 11, 6);
    const unclipped = scaleDataKernel(csrFromDense(n, 1, vals), Int32Array.of(0), { maxValue: null, center: true, scale: true });
    expect(unclipped.scaled.data[5]).toBeCloseTo(120 / 11, 5);
  });

  it('step scales the highly variable genes into obsm X_scaled', async () => {
    const x = csrFromDense(3, 2, [1, 5, 2, 5, 3, 6]);
    const adata = new AnnDataLite({
      X: x,
      obs: new Frame(['a', 'b', 'c']),
      var: new Frame(['g0', 'g1'], [['highly_variable', { kind: 'bool', values: Uint8Array.of(1, 0) }]]),
    });
    const out = await scaleData(adata, {});
    expect(out.obsm.X_scaled.nCols).toBe(1);
    expect([...out.obsm.X_scaled.data]).toEqual([-1, 0, 1]);
    expect([...((out.uns.scale as { genes: Int32Array }).genes)]).toEqual([0]);
  });
});
