/**
 * Test helper (not a test file): a small simulated cohort of cells for the CQA tests.
 * 11 lots x 300 cells, 6 clusters, 150 genes. Cluster 3 is the potency cluster with a log-uniform
 * lot share in [0.02, 0.2] and planted marker gene 0 (`LRRC75A`, 16-fold) plus a 10-gene program
 * (genes 1-10, 2.8-fold); other clusters have 10 markers each at 4-fold. Readout
 * vegf = 200 + 2000 * share + N(0, 20^2), as the project's simulator. Also returns a 2-D
 * "PC" embedding: the cluster's centroid (on a circle of radius 10) plus N(0, 1) noise.
 */
import { createRng } from '../../../src/core/rng.js';
import type { CsrMatrix } from '../../../src/core/sparse.js';
import { logNormalizeKernel, totalSizeFactors } from '../../../src/normalize/logNormalize.js';
import { samplePoisson } from '../../../src/simulate/distributions.js';

export interface SimulatedLots {
  x: CsrMatrix;
  lot: Int32Array;
  cluster: Int32Array;
  vegf: Float64Array;
  genes: string[];
  pcs: Float32Array;
  nCounts: Float64Array;
}

export function simulateLots(seed: number, nLots = 11, perLot = 300): SimulatedLots {
  const rng = createRng(seed);
  const nGenes = 150, nClusters = 6;
  const genes = Array.from({ length: nGenes }, (_, j) => (j === 0 ? 'LRRC75A' : `G${j}`));
  const base = Array.from({ length: nGenes }, () => Math.exp(rng.normal() - 0.5));
  // As in the project's simulator (fixtures/lots), the planted marker is specific to its cluster:
  // a low baseline (0.15 UMIs per cell elsewhere, detected in ~10% of other cells) times 16.
  base[0] = 0.15;
  const fold = Array.from({ length: nClusters }, () => new Float64Array(nGenes).fill(1));
  fold[3][0] = 16;
  for (let j = 1; j <= 10; j++) fold[3][j] = 2.8;
  for (let c = 0, j = 20; c < nClusters; c++) {
    if (c === 3) continue;
    for (let t = 0; t < 10; t++, j++) fold[c][j] = 4;
  }
  const shares = Array.from({ length: nClusters }, () => Math.exp(0.5 * rng.normal()));
  const indptr = [0]; const indices: number[] = []; const data: number[] = [];
  const n = nLots * perLot;
  const lot = new Int32Array(n); const cluster = new Int32Array(n);
  const pcs = new Float32Array(2 * n);
  const nCounts = new Float64Array(n);
  const vegf = new Float64Array(nLots);
  let i = 0;
  for (let l = 0; l < nLots; l++) {
    const potency = 0.02 * Math.pow(10, rng.next());
    const w = shares.map((s, c) => (c === 3 ? 0 : s * Math.exp(0.3 * rng.normal())));
    const ws = w.reduce((a, b) => a + b, 0);
    let n3 = 0;
    for (let t = 0; t < perLot; t++, i++) {
      let c: number;
      if (rng.next() < potency) c = 3;
      else {
        let u = rng.next() * ws;
        c = 0;
        while (c < nClusters - 1 && (u >= w[c] || c === 3)) { u -= w[c]; c++; }
        if (c === 3) c = 2;
      }
      if (c === 3) n3++;
      lot[i] = l; cluster[i] = c;
      pcs[2 * i] = 10 * Math.cos((2 * Math.PI * c) / nClusters) + rng.normal();
      pcs[2 * i + 1] = 10 * Math.sin((2 * Math.PI * c) / nClusters) + rng.normal();
      const lib = Math.exp(0.3 * rng.normal());
      for (let j = 0; j < nGenes; j++) {
        const k = samplePoisson(rng, base[j] * fold[c][j] * lib);
        if (k > 0) { indices.push(j); data.push(k); nCounts[i] += k; }
      }
      indptr.push(indices.length);
    }
    vegf[l] = 200 + 2000 * (n3 / perLot) + 20 * rng.normal();
  }
  const counts: CsrMatrix = { format: 'csr', nRows: i, nCols: nGenes, indptr: Uint32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
  return { x: logNormalizeKernel(counts, totalSizeFactors(counts, 1e4)), lot, cluster, vegf, genes, pcs, nCounts };
}
