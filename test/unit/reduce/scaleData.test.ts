import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { scaleData, scaleDataKernel, scaleDataKernelThreaded } from '../../../src/reduce/scaleData.js';
import { createRng } from '../../../src/core/rng.js';
import { toShared } from '../../../src/core/parallel.js';

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

  it('gives the same bits with 1, 2 and 3 worker threads, matching a dense two-pass computation', async () => {
    // 5,000 cells x 400 genes (3 row blocks of 2,048), ~15% non-zero log-like values; 57 genes
    // scaled, unsorted, including one never expressed (sd 0) and one clipped at 10. Values are
    // Float32-exact, as the CSR stores them, so the dense Float64 oracle sees the same numbers.
    const n = 5000, p = 400;
    const rng = createRng(5);
    const dense = new Array<number>(n * p).fill(0);
    for (let t = 0; t < dense.length; t++) if (rng.next() < 0.15) dense[t] = Math.fround(Math.log1p(1 + Math.floor(rng.next() * 20)));
    for (let i = 0; i < n; i++) dense[i * p + 11] = 0;
    dense[123 * p + 18] = 50;
    const x = csrFromDense(n, p, dense);
    const genes = Int32Array.from({ length: 57 }, (_, t) => (t * 7 + 11) % p);
    const params = { maxValue: 10, center: true, scale: true };
    const ref = scaleDataKernel(x, genes, params);
    // Dense oracle: mean, sd (n - 1), z, clip.
    let worst = 0;
    for (let t = 0; t < genes.length; t++) {
      const j = genes[t];
      let s = 0;
      for (let i = 0; i < n; i++) s += dense[i * p + j];
      const mean = s / n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (dense[i * p + j] - mean) ** 2;
      const sd = Math.sqrt(ss / (n - 1));
      expect(ref.sds[t]).toBeCloseTo(sd, 12);
      for (let i = 0; i < n; i++) {
        const z = sd > 0 ? Math.min(10, (dense[i * p + j] - mean) / sd) : 0;
        worst = Math.max(worst, Math.abs(ref.scaled.data[i * genes.length + t] - z));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    expect(ref.scaled.data.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(10);
    // X in shared memory (workers read its rows) and in ordinary memory (workers read a shared
    // copy of the HVG entries).
    const shared = { ...x, indptr: toShared(Uint32Array.from(x.indptr)), indices: toShared(x.indices), data: toShared(x.data) };
    const plain = { ...x, indptr: Uint32Array.from(x.indptr), indices: Int32Array.from(x.indices), data: Float32Array.from(x.data) };
    for (const [kind, xx] of [['shared', shared], ['plain', plain]] as const) {
      for (const threads of [1, 2, 3]) {
        const r = await scaleDataKernelThreaded(xx, genes, params, threads);
        expect(Buffer.compare(Buffer.from(r.scaled.data.buffer), Buffer.from(ref.scaled.data.buffer)), `${kind}, ${threads} threads`).toBe(0);
        expect([...r.sds]).toEqual([...ref.sds]);
        expect([...r.means]).toEqual([...ref.means]);
      }
    }
  });
});
