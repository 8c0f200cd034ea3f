import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';

describe('seeded rng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = createRng(42), b = createRng(42), c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    const sb = Array.from({ length: 5 }, () => b.next());
    const sc = Array.from({ length: 5 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('forks by label without advancing the parent', () => {
    const a = createRng(7), b = createRng(7);
    const f1 = a.fork('pca').next();
    expect(a.next()).toBe(b.next());
    expect(createRng(7).fork('pca').next()).toBe(f1);
    expect(createRng(7).fork('umap').next()).not.toBe(f1);
  });

  it('draws uniforms in [0,1) with mean 1/2 and variance 1/12, and standard normals', () => {
    const r = createRng(1);
    const n = 200_000;
    let s = 0, s2 = 0, z = 0, z2 = 0, outside = 0;
    for (let t = 0; t < n; t++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) outside++;
      s += u; s2 += u * u;
      const g = r.normal();
      z += g; z2 += g * g;
    }
    expect(outside).toBe(0);
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 3);
    expect(z / n).toBeCloseTo(0, 2);
    expect(z2 / n).toBeCloseTo(1, 1);
  });

  it('draws integers uniformly over [0, n)', () => {
    const r = createRng(3);
    const counts = new Int32Array(6);
    for (let t = 0; t < 60_000; t++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});
