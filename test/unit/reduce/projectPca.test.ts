import { describe, expect, it } from 'vitest';
import { projectPcaKernel } from '../../../src/reduce/projectPca.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { scaleDataKernel } from '../../../src/reduce/scaleData.js';

describe('projectPcaKernel', () => {
  it('reproduces scaled-data x loadings, with the fit scaling and clip', () => {
    // 4 cells x 3 genes, genes 0 and 2 used; loadings 3 x 2 (gene 1 has zero loadings).
    const x = csrFromDense(4, 3, [0, 1, 2, 1, 0, 0, 3, 5, 1, 0, 0, 4]);
    const genes = Int32Array.from([0, 2]);
    const { scaled, means, sds } = scaleDataKernel(x, genes, { maxValue: 1, center: true, scale: true });
    const loadings = { nRows: 3, nCols: 2, data: Float32Array.from([0.6, -0.8, 0, 0, 0.8, 0.6]) };
    const out = projectPcaKernel(x, { genes, means, sds, maxValue: 1, loadings });
    for (let i = 0; i < 4; i++) {
      for (let c = 0; c < 2; c++) {
        // scaled row i (genes 0, 2) times loadings rows 0 and 2
        const expected = scaled.data[i * 2] * loadings.data[c] + scaled.data[i * 2 + 1] * loadings.data[4 + c];
        expect(out.data[i * 2 + c]).toBeCloseTo(expected, 5);
      }
    }
    // the clip at 1 is active for cell 2 gene 0 (z = (3 - 1) / sd > 1)
    expect(scaled.data[2 * 2]).toBe(1);
  });
});
