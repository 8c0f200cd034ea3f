import { describe, expect, it } from 'vitest';
import { computeConnectivities, smoothKnnDistances } from '../../../src/neighbors/computeConnectivities.js';
import { checkCompressed, toDenseArray } from '../../../src/core/sparse.js';

describe('computeConnectivities (UMAP fuzzy union)', () => {
  // 4 points on a line at 0, 1, 3, 6; k = 3 (self first).
  //   0: {0:0, 1:1, 2:3}   1: {1:0, 0:1, 2:2}   2: {2:0, 1:2, 0:3}   3: {3:0, 2:3, 1:5}
  const indices = Int32Array.from([0, 1, 2, 1, 0, 2, 2, 1, 0, 3, 2, 1]);
  const distances = Float32Array.from([0, 1, 3, 0, 1, 2, 0, 2, 3, 0, 3, 5]);

  it('rho is the nearest positive distance and sigma solves sum exp(-(d - rho)/sigma) = log2(k)', () => {
    const { rho, sigma } = smoothKnnDistances(indices, distances, 4, 3);
    expect(Array.from(rho)).toEqual([1, 1, 2, 3]);
    for (let i = 0; i < 4; i++) {
      // Non-self neighbours: the first contributes exp(0) = 1, the second exp(-(d2 - rho)/sigma).
      const d2 = distances[i * 3 + 2] - rho[i];
      const psum = 1 + Math.exp(-d2 / sigma[i]);
      expect(psum).toBeCloseTo(Math.log2(3), 4);
    }
    // Point 0: 1 + exp(-2/sigma) = log2 3  =>  sigma = -2 / ln(log2 3 - 1) = 3.4190...
    // Bisection stops at |psum - target| < 1e-5, so sigma is good to about 1e-4.
    expect(sigma[0]).toBeCloseTo(-2 / Math.log(Math.log2(3) - 1), 3);
  });

  it('is the fuzzy union p + q - p q, symmetric, without diagonal', () => {
    const { rho, sigma } = smoothKnnDistances(indices, distances, 4, 3);
    const g = computeConnectivities(indices, distances, 4, 3);
    expect(checkCompressed(g)).toBeNull();
    const w = toDenseArray(g);
    // Directed memberships p(j|i): 1 for the nearest, exp(-(d - rho)/sigma) for the second.
    const p = new Float64Array(16);
    for (let i = 0; i < 4; i++) {
      p[i * 4 + indices[i * 3 + 1]] = 1;
      p[i * 4 + indices[i * 3 + 2]] = Math.exp(-(distances[i * 3 + 2] - rho[i]) / sigma[i]);
    }
    for (let i = 0; i < 4; i++) {
      expect(w[i * 4 + i]).toBe(0);
      for (let j = 0; j < 4; j++) {
        const a = p[i * 4 + j];
        const b = p[j * 4 + i];
        expect(w[i * 4 + j]).toBeCloseTo(a + b - a * b, 6);
        expect(w[i * 4 + j]).toBe(w[j * 4 + i]);
      }
    }
    // (0,1): both nearest of each other -> 1 + 1 - 1 = 1; (0,3): never neighbours -> 0.
    expect(w[1]).toBeCloseTo(1, 6);
    expect(w[3]).toBe(0);
  });
});
