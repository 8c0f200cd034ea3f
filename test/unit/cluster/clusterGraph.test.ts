import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/core/rng.js';
import type { CsrMatrix } from '../../../src/core/sparse.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { adjustedRandIndex } from '../../helpers/compare.js';
import { clusterGraphKernel, clusterGraph, CLUSTER_GRAPH_DEFAULTS, type ClusterGraphParams } from '../../../src/cluster/clusterGraph.js';
import { graphFromCsr, partitionQuality, aggregateGraph, type WeightedGraph } from '../../../src/cluster/weightedGraph.js';
import { leidenPass } from '../../../src/cluster/leiden.js';
import { louvainPass } from '../../../src/cluster/louvain.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame } from '../../../src/core/frame.js';
import { UsageError, AnalysisError } from '../../../src/core/errors.js';

/** Planted partition: `groups` blocks of `size` nodes, edge probability pIn inside, pOut across. */
function planted(groups: number, size: number, pIn: number, pOut: number, rng: Rng): { adj: CsrMatrix; truth: Int32Array } {
  const n = groups * size;
  const dense = new Float32Array(n * n);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) truth[i] = Math.floor(i / size);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rng.next() < (truth[i] === truth[j] ? pIn : pOut)) {
        dense[i * n + j] = 1;
        dense[j * n + i] = 1;
      }
    }
  }
  return { adj: csrFromDense(n, n, dense), truth };
}

/** True when the nodes of every community induce a connected subgraph of g (BFS inside each). */
function communitiesConnected(g: WeightedGraph, memb: Int32Array): boolean {
  const n = g.n;
  const seen = new Uint8Array(n);
  const startOf = new Map<number, number>();
  for (let i = 0; i < n; i++) if (!startOf.has(memb[i])) startOf.set(memb[i], i);
  for (const [c, s] of startOf) {
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      for (let e = g.indptr[v]; e < g.indptr[v + 1]; e++) {
        const u = g.adj[e];
        if (!seen[u] && memb[u] === c) { seen[u] = 1; stack.push(u); }
      }
    }
  }
  for (let i = 0; i < n; i++) if (!seen[i]) return false;
  return true;
}

const leiden: ClusterGraphParams = { ...CLUSTER_GRAPH_DEFAULTS, method: 'leiden', resolution: 1 };
const louvain: ClusterGraphParams = { ...CLUSTER_GRAPH_DEFAULTS, method: 'louvain', resolution: 1 };

describe('graph quality', () => {
  it('modularity of two triangles joined by an edge, split into the triangles, is 5/14', () => {
    // Edges 0-1, 0-2, 1-2, 3-4, 3-5, 4-5, 2-3: m = 7. Each triangle: 3 internal edges (in_c = 6),
    // degrees 2 + 2 + 3 = 7. Q = (1/14) * 2 * (6 - 7^2/14) = 5/14.
    const e = [[0, 1], [0, 2], [1, 2], [3, 4], [3, 5], [4, 5], [2, 3]];
    const d = new Float32Array(36);
    for (const [a, b] of e) { d[a * 6 + b] = 1; d[b * 6 + a] = 1; }
    const g = graphFromCsr(csrFromDense(6, 6, d));
    expect(g.total).toBe(14);
    expect(partitionQuality(g, Int32Array.from([0, 0, 0, 1, 1, 1]), 'modularity', 1)).toBeCloseTo(5 / 14, 12);
    // CPM, gamma 0.5: sum_c e_c - gamma n_c (n_c - 1)/2 = 2 * (3 - 0.5 * 3) = 3.
    expect(partitionQuality(g, Int32Array.from([0, 0, 0, 1, 1, 1]), 'cpm', 0.5)).toBeCloseTo(3, 12);
    // Aggregating keeps total weight and modularity: two nodes with self-loop entries 6 and 1 edge.
    const agg = aggregateGraph(g, Int32Array.from([0, 0, 0, 1, 1, 1]), 2);
    expect(agg.total).toBe(14);
    expect(Array.from(agg.w)).toEqual([6, 1, 1, 6]);
    expect(partitionQuality(agg, Int32Array.from([0, 1]), 'modularity', 1)).toBeCloseTo(5 / 14, 12);
  });
});

describe('clusterGraphKernel', () => {
  it('Leiden recovers planted partitions exactly (ARI 1) and its modularity is >= Louvain\'s', () => {
    for (let s = 0; s < 5; s++) {
      const { adj, truth } = planted(6, 40, 0.3, 0.01, createRng(100 + s));
      const le = clusterGraphKernel(adj, leiden, createRng(s));
      const lo = clusterGraphKernel(adj, { ...louvain, nStart: 1 }, createRng(s));
      expect(adjustedRandIndex(le.labels, truth)).toBe(1);
      expect(le.quality).toBeGreaterThanOrEqual(lo.quality - 1e-9);
    }
  });

  it('Leiden modularity is >= Louvain\'s (1e-9) on noisy planted graphs, with the same number of starts', () => {
    const diffs: string[] = [];
    for (const nStart of [1, 10]) {
      for (let s = 0; s < 5; s++) {
        const { adj } = planted(8, 30, 0.2, 0.03, createRng(200 + s));
        const le = clusterGraphKernel(adj, { ...leiden, nStart }, createRng(s));
        const lo = clusterGraphKernel(adj, { ...louvain, nStart }, createRng(s));
        diffs.push((le.quality - lo.quality).toFixed(4));
        expect(le.quality).toBeGreaterThanOrEqual(lo.quality - 1e-9);
      }
    }
    console.info(`Leiden - Louvain modularity (nStart 1 x5, then 10 x5): ${diffs.join(', ')}`);
  });

  it('CPM: resolution between pOut and pIn recovers the blocks; a tiny one gives one cluster, >1 gives singletons', () => {
    const { adj, truth } = planted(4, 30, 0.5, 0.02, createRng(7));
    const mid = clusterGraphKernel(adj, { ...leiden, quality: 'cpm', resolution: 0.2 }, createRng(1));
    expect(adjustedRandIndex(mid.labels, truth)).toBe(1);
    const low = clusterGraphKernel(adj, { ...leiden, quality: 'cpm', resolution: 0.001 }, createRng(1));
    expect(low.sizes.length).toBe(1);
    // Unit edge weights: any pair gains 1 - gamma < 0 for gamma > 1, so nothing merges.
    const high = clusterGraphKernel(adj, { ...leiden, quality: 'cpm', resolution: 1.5 }, createRng(1));
    expect(high.sizes.length).toBe(120);
  });

  it('refinement splits a disconnected community that Louvain keeps', () => {
    // Two disjoint 5-cliques, started in one community. Under CPM (gamma 0.01) local moving keeps
    // every node where it is (leaving would lose its clique edges), so Louvain returns the
    // disconnected community; Leiden's refinement merges only along edges and splits it.
    const n = 10;
    const d = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && Math.floor(i / 5) === Math.floor(j / 5)) d[i * n + j] = 1;
    const g = graphFromCsr(csrFromDense(n, n, d));
    const start = new Int32Array(n);
    const lo = louvainPass(g, start, 'cpm', 0.01, createRng(3));
    expect(new Set(lo).size).toBe(1);
    expect(communitiesConnected(g, lo)).toBe(false);
    const le = leidenPass(g, start, { quality: 'cpm', resolution: 0.01, theta: 0.01 }, createRng(3));
    expect(Array.from(le)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(communitiesConnected(g, le)).toBe(true);
  });

  it('Leiden communities are always connected on sparse random graphs', () => {
    for (let s = 0; s < 10; s++) {
      const { adj } = planted(10, 30, 0.08, 0.01, createRng(300 + s));
      const g = graphFromCsr(adj);
      const res = clusterGraphKernel(adj, { ...leiden, resolution: 1 + 0.2 * s }, createRng(s));
      expect(communitiesConnected(g, res.labels)).toBe(true);
    }
  });

  it('is deterministic for a seed and numbers clusters by size (largest = 0)', () => {
    const { adj } = planted(5, 30, 0.3, 0.02, createRng(9));
    for (const p of [leiden, louvain]) {
      const a = clusterGraphKernel(adj, p, createRng(4));
      const b = clusterGraphKernel(adj, p, createRng(4));
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      for (let c = 1; c < a.sizes.length; c++) expect(a.sizes[c]).toBeLessThanOrEqual(a.sizes[c - 1]);
    }
  });
});

describe('clusterGraph step', () => {
  it('stores obs.cluster as categorical string labels and uns.cluster', async () => {
    const { adj, truth } = planted(3, 20, 0.5, 0.02, createRng(5));
    const names = Array.from({ length: 60 }, (_, i) => `c${i}`);
    const a = new AnnDataLite({ X: csrFromDense(60, 1, new Float32Array(60)), obs: new Frame(names), var: new Frame(['g']), obsp: { snn: adj } });
    const out = await clusterGraph(a, { resolution: 1 });
    const col = out.obs.require('cluster');
    expect(col.kind).toBe('categorical');
    if (col.kind !== 'categorical') return;
    expect(col.categories).toEqual(['0', '1', '2']);
    expect(adjustedRandIndex(col.codes, truth)).toBe(1);
    expect(out.uns.cluster).toMatchObject({ n_clusters: 3 });
    await expect(clusterGraph(a, { resolution: 0 })).rejects.toBeInstanceOf(UsageError);
    await expect(clusterGraph(a, { graph: 'connectivities' })).rejects.toBeInstanceOf(AnalysisError);
  });
});
