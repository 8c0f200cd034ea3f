import { describe, expect, it } from 'vitest';
import { csrFromDense, toDenseArray } from '../../../src/core/sparse.js';
import { Frame } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { logNormalize, logNormalizeKernel, totalSizeFactors } from '../../../src/normalize/logNormalize.js';

// cell0: counts 1, 3, 0 (total 4); cell1: 0, 0, 2 (total 2); cell2: empty
const x = csrFromDense(3, 3, [1, 3, 0, 0, 0, 2, 0, 0, 0]);

describe('logNormalize (Seurat LogNormalize)', () => {
  it('computes log1p(count / total * 1e4) by hand', () => {
    const sf = totalSizeFactors(x, 1e4);
    // size factors = total / 1e4: 4e-4, 2e-4, 0
    expect([...sf]).toEqual([4e-4, 2e-4, 0]);
    const y = toDenseArray(logNormalizeKernel(x, sf));
    // cell0: log1p(1/4*1e4) = log1p(2500) = 7.824446; log1p(7500) = 8.922792
    // cell1: log1p(2/2*1e4) = log1p(10000) = 9.210440; empty cell stays 0
    expect(y[0]).toBeCloseTo(Math.log(2501), 5);
    expect(y[1]).toBeCloseTo(Math.log(7501), 5);
    expect(y[5]).toBeCloseTo(Math.log(10001), 5);
    expect([y[2], y[3], y[4], y[6], y[7], y[8]]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('stores Float32 rounded from the Float64 computation', () => {
    const y = logNormalizeKernel(x, totalSizeFactors(x, 1e4));
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.data[0]).toBe(Math.fround(Math.log1p(2500)));
  });

  it('step keeps raw counts in layers.counts and writes obs size_factor', async () => {
    const adata = new AnnDataLite({ X: x, obs: new Frame(['a', 'b', 'c']), var: new Frame(['g0', 'g1', 'g2']) });
    const out = await logNormalize(adata, {});
    expect(out.layers.counts).toBe(x);
    expect(out.X.data[0]).toBeCloseTo(Math.log(2501), 5);
    expect(out.obs.require('size_factor')).toEqual({ kind: 'numeric', values: Float64Array.of(4e-4, 2e-4, 0) });
    // normalizing again starts from layers.counts, not from the log values
    const again = await logNormalize(out, {});
    expect([...again.X.data]).toEqual([...out.X.data]);
  });
});
