/**
 * runUmap: the umap-js adapter fed our kNN. Real data: pbmc3k with Seurat's PCs 1-10 (2,638 cells,
 * ../shared/reference/pbmc3k-seurat/cells.csv); Seurat's clusters must stay together in the
 * embedding, measured by kNN label agreement in 2-D.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, beforeAll } from 'vitest';
import { sharedReference } from '../../helpers/paths.js';
import type { DenseMatrix } from '../../../src/core/dense.js';
import { createRng } from '../../../src/core/rng.js';
import { knnExact, type KnnResult } from '../../../src/neighbors/knnExact.js';
import { computeConnectivities } from '../../../src/neighbors/computeConnectivities.js';
import { knnToDistanceCsr } from '../../../src/neighbors/findNeighbors.js';
import { knnFromDistanceCsr, runUmapKernel, RUN_UMAP_DEFAULTS, runUmap } from '../../../src/reduce/runUmap.js';
import { finishEpoch, layoutBlocks, layoutEpoch2d, layoutEpochAnyDim, type LayoutState } from '../../../src/reduce/umapLayout.js';
import { fixedPowTable, powFixed } from '../../../src/core/fixedPow.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame } from '../../../src/core/frame.js';
import { csrFromDense, toDenseArray } from '../../../src/core/sparse.js';
import { UMAP } from 'umap-js';

function readSeuratPcs(): { pcs: DenseMatrix; cluster: Int32Array } {
  const lines = readFileSync(sharedReference('pbmc3k-seurat', 'cells.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const pc1 = header.indexOf('PC1');
  const cl = header.indexOf('cluster');
  const n = lines.length - 1;
  const data = new Float32Array(n * 10);
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].split(',');
    cluster[i] = Number(f[cl]);
    for (let c = 0; c < 10; c++) data[i * 10 + c] = Number(f[pc1 + c]);
  }
  return { pcs: { nRows: n, nCols: 10, data }, cluster };
}

/** Fraction of cells whose 15 nearest neighbours in the embedding mostly share their label. */
async function knnLabelAgreement(emb: DenseMatrix, labels: Int32Array, k = 15): Promise<number> {
  const knn = await knnExact(emb, k + 1);
  let agree = 0;
  for (let i = 0; i < emb.nRows; i++) {
    let same = 0;
    for (let t = 1; t <= k; t++) if (labels[knn.indices[i * (k + 1) + t]] === labels[i]) same++;
    agree += same / k;
  }
  return agree / emb.nRows;
}

describe('runUmap on pbmc3k (Seurat PCs 1-10, k = 20)', () => {
  let pcs: DenseMatrix;
  let cluster: Int32Array;
  let knn: KnnResult;
  let emb: DenseMatrix;
  beforeAll(async () => {
    ({ pcs, cluster } = readSeuratPcs());
    knn = await knnExact(pcs, 20);
    emb = await runUmapKernel(knn.indices, knn.distances, knn.nRows, knn.k, { ...RUN_UMAP_DEFAULTS, nEpochs: 200 }, createRng(42));
  });

  it('keeps each Seurat cluster together: 15-NN label agreement in 2-D is >= 0.9 and within 0.03 of Seurat\'s UMAP', async () => {
    expect(emb.nRows).toBe(2638);
    expect(emb.nCols).toBe(2);
    for (let t = 0; t < emb.data.length; t++) expect(Number.isFinite(emb.data[t])).toBe(true);
    const agreement = await knnLabelAgreement(emb, cluster);
    // Seurat's own UMAP of the same cells, for scale.
    const lines = readFileSync(sharedReference('pbmc3k-seurat', 'cells.csv'), 'utf8').trim().split('\n');
    const seuratUmap = new Float32Array(2 * 2638);
    for (let i = 0; i < 2638; i++) {
      const f = lines[i + 1].split(',');
      seuratUmap[2 * i] = Number(f[2]);
      seuratUmap[2 * i + 1] = Number(f[3]);
    }
    const seuratAgreement = await knnLabelAgreement({ nRows: 2638, nCols: 2, data: seuratUmap }, cluster);
    console.info(`15-NN label agreement in UMAP: ours ${agreement.toFixed(3)}, Seurat's ${seuratAgreement.toFixed(3)}`);
    expect(agreement).toBeGreaterThanOrEqual(0.9);
    expect(agreement).toBeGreaterThanOrEqual(seuratAgreement - 0.03);
  });

  it('is identical for the same seed and differs for another seed', async () => {
    // First 500 cells with their own kNN and 30 epochs: enough to exercise init and negative sampling.
    const n = 500;
    const small = { ...RUN_UMAP_DEFAULTS, nEpochs: 30 };
    const k20 = await knnExact({ nRows: n, nCols: 10, data: pcs.data.slice(0, n * 10) }, 20);
    const a = await runUmapKernel(k20.indices, k20.distances, n, 20, small, createRng(7));
    const b = await runUmapKernel(k20.indices, k20.distances, n, 20, small, createRng(7));
    const c = await runUmapKernel(k20.indices, k20.distances, n, 20, small, createRng(8));
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
  });

  /** A layout state on pbmc3k's kNN edges (first 400 cells) with umap-learn's schedule, cut into `blocks`. */
  async function smallState(blocks: number, dim = 2): Promise<LayoutState> {
    const n = 400, k = 20;
    const k20 = await knnExact({ nRows: n, nCols: 10, data: pcs.data.slice(0, n * 10) }, k);
    const m = n * (k - 1);
    const head = new Int32Array(m), tail = new Int32Array(m), eps = new Float64Array(m);
    for (let i = 0, t = 0; i < n; i++) {
      for (let q = 1; q < k; q++, t++) {
        head[t] = i;
        tail[t] = k20.indices[i * k + q];
        eps[t] = 1 + (q % 5);
      }
    }
    const rng = createRng(3);
    const emb = Float64Array.from({ length: dim * n }, () => rng.next() * 20 - 10);
    const seeds = new Int32Array(4 * blocks);
    for (let w = 0; w < seeds.length; w++) seeds[w] = 11 * (w + 1);
    return {
      emb, snapshot: emb.slice(), deltas: new Float64Array(blocks * emb.length), dim, n, a: 1.58, b: 0.9, powB: fixedPowTable(0.9), head, tail,
      epochsPerSample: eps, epochsPerNegative: eps.map((e) => e / 5), nextSample: eps.slice(), nextNegative: eps.map((e) => e / 5),
      ...layoutBlocks(head, eps, n, blocks), seeds,
    };
  }

  /** Epochs [0, nEpochs) with one layout loop, blocks in turn. */
  function runEpochs(st: LayoutState, nEpochs: number, loop: typeof layoutEpoch2d): void {
    const blocks = st.cellStart.length - 1;
    for (let epoch = 0; epoch < nEpochs; epoch++) {
      for (let b = 0; b < blocks; b++) loop(st, b, epoch, nEpochs, 1);
      finishEpoch(st, 0, st.emb.length);
    }
  }

  /**
   * umap-learn's optimize_layout_euclidean for 2-D, written plainly (one block, every read live):
   * the reference the one-block layout must equal bit for bit.
   */
  function referenceLayout(st: LayoutState, nEpochs: number): void {
    const { emb, n, a, b, head, tail, epochsPerSample, epochsPerNegative, nextSample, nextNegative } = st;
    const pow = fixedPowTable(b);
    const clip = (g: number): number => Math.max(-4, Math.min(4, g));
    let [s0, s1, s2, s3] = st.seeds;
    for (let epoch = 0; epoch < nEpochs; epoch++) {
      const alpha = 1 - epoch / nEpochs;
      for (let t = 0; t < head.length; t++) {
        if (nextSample[t] > epoch) continue;
        const j = 2 * head[t], kk = 2 * tail[t];
        const d2 = (emb[j] - emb[kk]) ** 2 + (emb[j + 1] - emb[kk + 1]) ** 2;
        if (d2 > 0) {
          const pb = powFixed(d2, pow);
          const coef = (-2 * a * b * pb) / (d2 * (a * pb + 1));
          for (let c = 0; c < 2; c++) {
            const g = clip(coef * (emb[j + c] - emb[kk + c]));
            emb[j + c] += g * alpha;
            emb[kk + c] -= g * alpha;
          }
        }
        nextSample[t] += epochsPerSample[t];
        const nNeg = Math.floor((epoch - nextNegative[t]) / epochsPerNegative[t]);
        for (let s = 0; s < nNeg; s++) {
          const x = s0 ^ (s0 << 11);
          [s0, s1, s2] = [s1, s2, s3];
          s3 = s3 ^ (s3 >>> 19) ^ x ^ (x >>> 8);
          const o = 2 * Math.floor(((s3 >>> 0) * n) / 4294967296);
          if (o === j) continue;
          const e2 = (emb[j] - emb[o]) ** 2 + (emb[j + 1] - emb[o + 1]) ** 2;
          const coef = e2 > 0 ? (2 * b) / ((0.001 + e2) * (a * powFixed(e2, pow) + 1)) : 0;
          for (let c = 0; c < 2; c++) emb[j + c] += (coef > 0 ? clip(coef * (emb[j + c] - emb[o + c])) : 4) * alpha;
        }
        nextNegative[t] += nNeg * epochsPerNegative[t];
      }
    }
  }

  it("with one block the layout is umap-learn's sequential SGD bit for bit", async () => {
    const ours = await smallState(1), reference = await smallState(1);
    runEpochs(ours, 40, layoutEpoch2d);
    referenceLayout(reference, 40);
    expect(Array.from(ours.emb)).toEqual(Array.from(reference.emb));
    expect(Array.from(ours.emb)).not.toEqual(Array.from((await smallState(1)).emb));
  });

  it('blocks: cut where the head cell changes, about equal sampling each; the 2-D loop gives the bits of the general one', async () => {
    const st = await smallState(3);
    expect(Array.from(st.cellStart)).toEqual([0, st.head[st.edgeStart[1]], st.head[st.edgeStart[2]], 400]);
    const rate = (e0: number, e1: number): number => {
      let r = 0;
      for (let t = e0; t < e1; t++) r += 1 / st.epochsPerSample[t];
      return r;
    };
    const total = rate(0, st.head.length);
    for (let b = 0; b < 3; b++) {
      expect(st.head[st.edgeStart[b + 1] - 1]).toBeLessThan(st.cellStart[b + 1]);
      expect(Math.abs(rate(st.edgeStart[b], st.edgeStart[b + 1]) - total / 3)).toBeLessThan(0.01 * total);
    }
    const general = await smallState(3), unrolled = await smallState(3), oneBlock = await smallState(1);
    runEpochs(general, 40, layoutEpochAnyDim);
    runEpochs(unrolled, 40, layoutEpoch2d);
    runEpochs(oneBlock, 40, layoutEpoch2d);
    expect(Array.from(unrolled.emb)).toEqual(Array.from(general.emb));
    expect(Array.from(unrolled.seeds)).toEqual(Array.from(general.seeds));
    // Blocks see each other's cells one epoch late: a different, equally valid path.
    expect(Array.from(unrolled.emb)).not.toEqual(Array.from(oneBlock.emb));
  });

  it('gives the same bits on 1 and 2 threads; 3-D layouts keep the clusters together', async () => {
    // All 2,638 cells: ~60k edges, enough for the layout to use worker threads.
    const params = { ...RUN_UMAP_DEFAULTS, nEpochs: 60 };
    const one = await runUmapKernel(knn.indices, knn.distances, knn.nRows, knn.k, params, createRng(5), undefined, 1);
    const two = await runUmapKernel(knn.indices, knn.distances, knn.nRows, knn.k, params, createRng(5), undefined, 2);
    expect(Array.from(two.data)).toEqual(Array.from(one.data));
    const emb3 = await runUmapKernel(knn.indices, knn.distances, knn.nRows, knn.k, { ...RUN_UMAP_DEFAULTS, nComponents: 3, nEpochs: 200 }, createRng(42), undefined, 2);
    expect(emb3.nCols).toBe(3);
    expect(await knnLabelAgreement(emb3, cluster)).toBeGreaterThanOrEqual(0.9);
  });

  it('umap-js builds the same fuzzy graph from our kNN as computeConnectivities (max |diff| < 1e-6)', async () => {
    const n = 300;
    const sub: DenseMatrix = { nRows: n, nCols: 10, data: pcs.data.slice(0, n * 10) };
    {
      const k15 = await knnExact(sub, 15);
      const ours = toDenseArray(computeConnectivities(k15.indices, k15.distances, n, 15));
      const u = new UMAP({ nNeighbors: 15, nEpochs: 1, random: () => 0.5 });
      const kI: number[][] = [];
      const kD: number[][] = [];
      for (let i = 0; i < n; i++) {
        kI.push(Array.from(k15.indices.subarray(i * 15, i * 15 + 15)));
        kD.push(Array.from(k15.distances.subarray(i * 15, i * 15 + 15)));
      }
      u.setPrecomputedKNN(kI, kD);
      u.initializeFit(Array.from({ length: n }, () => []));
      const graph = (u as unknown as { graph: { get(r: number, c: number, d?: number): number } }).graph;
      let worst = 0;
      let nnz = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const v = graph.get(i, j, 0);
          if (v !== 0) nnz++;
          worst = Math.max(worst, Math.abs(v - ours[i * n + j]));
        }
      }
      expect(nnz).toBeGreaterThan(n * 14);
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('the step reads obsp.distances (kNN lists round-trip) and writes obsm.X_umap', async () => {
    const n = 200;
    const sub: DenseMatrix = { nRows: n, nCols: 10, data: pcs.data.slice(0, n * 10) };
    const k10 = await knnExact(sub, 10);
    const dist = knnToDistanceCsr(k10);
    const back = knnFromDistanceCsr(dist);
    expect(back.k).toBe(10);
    expect(Array.from(back.indices)).toEqual(Array.from(k10.indices));
    const names = Array.from({ length: n }, (_, i) => `c${i}`);
    const adata = new AnnDataLite({
      X: csrFromDense(n, 1, new Float32Array(n)),
      obs: new Frame(names),
      var: new Frame(['g']),
      obsm: { X_pca: sub },
      obsp: { distances: dist },
    });
    const out = await runUmap(adata, { nEpochs: 20 });
    expect(out.obsm.X_umap.nRows).toBe(n);
    expect(out.obsm.X_umap.data).toBeInstanceOf(Float32Array);
    await expect(runUmap(adata.with({ obsp: {} }))).rejects.toThrow(/obsp.distances/);
  });
});
