/**
 * Graph clustering of cells: Leiden (default) or Louvain on the Seurat SNN graph (default, as
 * Seurat `FindClusters`) or on UMAP connectivities (as scanpy `tl.leiden`), optimising modularity
 * (RB with resolution) or CPM. Labels are renumbered by cluster size (largest = 0) and stored as
 * the categorical obs column `cluster` with labels '0', '1', ...
 *
 * Defaults, chosen to follow the tool each method comes from:
 *   Louvain: nStart 10 random starts and nIterations 10 passes per start (Seurat n.start = 10,
 *            n.iter = 10); the start with the highest quality wins.
 *   Leiden:  nStart 1 and nIterations -1 = repeat passes from the previous result until one
 *            changes nothing (scanpy's leidenalg default n_iterations = -1), at most 100 passes.
 * Self-loops of the input (the SNN diagonal) are ignored, as in Seurat's modularity optimiser.
 */
import type { CsrMatrix } from '../core/sparse.js';
import type { Rng } from '../core/rng.js';
import { defineStep } from '../core/step.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import type { QualityFunction } from './weightedGraph.js';
import { graphFromCsr, partitionQuality } from './weightedGraph.js';
import { leidenPass } from './leiden.js';
import { louvainPass } from './louvain.js';
import { relabelBySize } from './relabelBySize.js';

/** Upper bound on passes when nIterations = -1. */
const MAX_PASSES = 100;

/** Parameters of {@link clusterGraph}. */
export interface ClusterGraphParams {
  /** 'leiden' (Traag 2019) or 'louvain' (Blondel 2008, Seurat's default). @default 'leiden' */
  method: 'leiden' | 'louvain';
  /** obsp key of the graph: 'snn' (Seurat) or 'connectivities' (scanpy). @default 'snn' */
  graph: string;
  /** Quality function: RB modularity or the constant Potts model. @default 'modularity' */
  quality: QualityFunction;
  /** Resolution gamma; higher gives more clusters. @default 0.8 (Seurat's FindClusters default) */
  resolution: number;
  /** Random starts; the best quality wins. `null` = 10 for Louvain, 1 for Leiden. @default null */
  nStart: number | null;
  /** Passes per start; -1 = until stable. `null` = 10 for Louvain, -1 for Leiden. @default null */
  nIterations: number | null;
  /** Randomness theta of Leiden's refinement (leidenalg default), edge-weight units. @default 0.01 */
  theta: number;
}

/** Defaults of {@link clusterGraph}. */
export const CLUSTER_GRAPH_DEFAULTS: ClusterGraphParams = {
  method: 'leiden',
  graph: 'snn',
  quality: 'modularity',
  resolution: 0.8,
  nStart: null,
  nIterations: null,
  theta: 0.01,
};

/** Result of {@link clusterGraphKernel}. */
export interface GraphClustering {
  /** Cluster per node, numbered by size (largest = 0). */
  readonly labels: Int32Array;
  /** Cluster sizes, by label. */
  readonly sizes: Int32Array;
  /** Quality of the partition (modularity Q, or CPM H) on the input graph. */
  readonly quality: number;
}

/**
 * Kernel: clusters a weighted graph.
 *
 * @param adjacency square CSR adjacency (symmetrised; diagonal ignored).
 * @param p parameters (graph key unused here).
 * @param rng random stream; the same stream state gives the same clustering.
 * @example
 * const { labels } = clusterGraphKernel(snn, { ...CLUSTER_GRAPH_DEFAULTS, resolution: 0.5 }, createRng(0));
 */
export function clusterGraphKernel(adjacency: CsrMatrix, p: ClusterGraphParams, rng: Rng): GraphClustering {
  const g = graphFromCsr(adjacency);
  const nStart = p.nStart ?? (p.method === 'louvain' ? 10 : 1);
  const nIter = p.nIterations ?? (p.method === 'louvain' ? 10 : -1);
  const passes = nIter < 0 ? MAX_PASSES : nIter;
  let best: Int32Array | null = null;
  let bestQ = -Infinity;
  for (let s = 0; s < nStart; s++) {
    const r = rng.fork(`start${s}`);
    let memb: Int32Array | null = null;
    let q = -Infinity;
    for (let it = 0; it < passes; it++) {
      const next: Int32Array =
        p.method === 'leiden'
          ? leidenPass(g, memb, { quality: p.quality, resolution: p.resolution, theta: p.theta }, r)
          : louvainPass(g, memb, p.quality, p.resolution, r);
      const qNext = partitionQuality(g, next, p.quality, p.resolution);
      // A pass never lowers quality; stop once one changes nothing or gains nothing.
      if (memb !== null && (samePartition(memb, next) || !(qNext > q))) break;
      memb = next;
      q = qNext;
    }
    if (q > bestQ) {
      bestQ = q;
      best = memb;
    }
  }
  const { labels, sizes } = relabelBySize(best ?? new Int32Array(g.n));
  return { labels, sizes, quality: bestQ };
}

/** True when two compact memberships describe the same partition (ids compacted in first-seen order). */
function samePartition(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Step `cluster`: clusters `obsp[graph]` and stores obs `cluster` (categorical '0', '1', ...,
 * numbered by size) and uns `cluster` {params, quality, n_clusters}.
 *
 * @example
 * const out = await clusterGraph(adata, { method: 'leiden', resolution: 0.5 });
 */
export const clusterGraph = defineStep<ClusterGraphParams>({
  name: 'cluster',
  allocatesLittle: () => true,
  defaults: CLUSTER_GRAPH_DEFAULTS,
  validate: (p) => {
    if (p.method !== 'leiden' && p.method !== 'louvain') throw new UsageError(`method must be 'leiden' or 'louvain', got '${p.method}'`);
    if (p.quality !== 'modularity' && p.quality !== 'cpm') throw new UsageError(`quality must be 'modularity' or 'cpm', got '${p.quality}'`);
    if (!(p.resolution > 0 && Number.isFinite(p.resolution))) throw new UsageError(`resolution must be > 0, got ${p.resolution}`);
    if (p.nStart !== null && !(Number.isInteger(p.nStart) && p.nStart >= 1)) throw new UsageError(`nStart must be an integer >= 1 or null, got ${p.nStart}`);
    if (p.nIterations !== null && !(Number.isInteger(p.nIterations) && (p.nIterations >= 1 || p.nIterations === -1))) {
      throw new UsageError(`nIterations must be -1 or an integer >= 1 (or null), got ${p.nIterations}`);
    }
    if (!(p.theta > 0)) throw new UsageError(`theta must be > 0, got ${p.theta}`);
  },
  run: (adata, p, ctx) => {
    const graph = adata.obsp[p.graph];
    if (!graph) throw new AnalysisError(`cluster needs obsp.${p.graph}; run neighbors first`);
    const res = clusterGraphKernel(graph, p, ctx.rng);
    const k = res.sizes.length;
    const categories = Array.from({ length: k }, (_, c) => String(c));
    ctx.log.info({ method: p.method, nClusters: k, quality: res.quality }, 'clusters found');
    return adata.with({
      obs: adata.obs.with('cluster', { kind: 'categorical', codes: res.labels, categories, ordered: false }),
      uns: { ...adata.uns, cluster: { params: { ...p }, quality: res.quality, n_clusters: k, sizes: Int32Array.from(res.sizes) } },
    });
  },
});
