import { describe, expect, it } from 'vitest';
import { fixedPowTable, powFixed } from '../../../src/core/fixedPow.js';
import { createRng } from '../../../src/core/rng.js';

describe('powFixed', () => {
  it('matches Math.pow to 1e-14 relative for bases 1e-12..1e12 and exponents -1..1.5', () => {
    const rng = createRng(3);
    let worst = 0;
    for (let r = 0; r < 40; r++) {
      const b = rng.next() * 2.5 - 1;
      const table = fixedPowTable(b);
      for (let t = 0; t < 5000; t++) {
        const x = Math.pow(10, rng.next() * 24 - 12);
        const rel = Math.abs(powFixed(x, table) / Math.pow(x, b) - 1);
        if (rel > worst) worst = rel;
      }
    }
    expect(worst).toBeLessThan(1e-14);
  });

  it('handles interval edges and falls back outside [2^-30, 2^31)', () => {
    const half = fixedPowTable(0.5);
    expect(powFixed(4, half)).toBeCloseTo(2, 15);
    expect(powFixed(1, half)).toBeCloseTo(1, 15);
    expect(powFixed(2 ** 30, half) / 2 ** 15).toBeCloseTo(1, 15);
    expect(powFixed(2 ** -30, half) / 2 ** -15).toBeCloseTo(1, 15);
    expect(powFixed(1.9999999999999998, half)).toBeCloseTo(Math.SQRT2, 15);
    expect(powFixed(1e-300, half)).toBe(Math.pow(1e-300, 0.5));
    expect(powFixed(2 ** 40, half)).toBe(2 ** 20);
    // UMAP's b for min_dist 0.3.
    const b = fixedPowTable(0.7915);
    expect(powFixed(3.7, b) / Math.pow(3.7, 0.7915)).toBeCloseTo(1, 14);
  });
});
