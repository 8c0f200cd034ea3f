/**
 * The Louvain algorithm (Blondel, Guillaume, Lambiotte & Lefebvre 2008) as Seurat runs it
 * (`FindClusters` algorithm 1, the ModularityOptimizer of Waltman & van Eck 2013): local moving by
 * repeated random-order sweeps until no node moves, then aggregation of each community into one
 * node, repeated until a level merges nothing. Starting from a given partition lets callers
 * iterate it (Seurat `n.iter`), each pass refining the previous result.
 */
import type { Rng } from '../core/rng.js';
import type { QualityFunction, WeightedGraph } from './weightedGraph.js';
import { aggregateGraph, compactMembership, qualityWeights } from './weightedGraph.js';
import { moveNodes } from './moveNodes.js';

/**
 * One multi-level Louvain pass on `g0` from `initial` (or singletons); returns a compact
 * membership of the original nodes.
 *
 * @param g0 the graph.
 * @param initial starting partition (compact ids) or null for singletons.
 * @param quality quality function.
 * @param resolution resolution gamma.
 * @param rng random stream for the visiting orders.
 */
export function louvainPass(
  g0: WeightedGraph,
  initial: Int32Array | null,
  quality: QualityFunction,
  resolution: number,
  rng: Rng,
): Int32Array {
  let g = g0;
  let memb = new Int32Array(g0.n);
  if (initial) memb.set(initial);
  else for (let i = 0; i < g0.n; i++) memb[i] = i;
  const nodeOf = new Int32Array(g0.n);
  for (let i = 0; i < g0.n; i++) nodeOf[i] = i;
  for (;;) {
    const { nodeWeight, gammaScaled } = qualityWeights(g, quality, resolution);
    moveNodes(g, memb, nodeWeight, gammaScaled, rng, 'sweep');
    const nComm = compactMembership(memb);
    if (nComm === g.n) break;
    for (let i = 0; i < nodeOf.length; i++) nodeOf[i] = memb[nodeOf[i]];
    g = aggregateGraph(g, memb, nComm);
    memb = new Int32Array(nComm);
    for (let c = 0; c < nComm; c++) memb[c] = c;
  }
  const out = new Int32Array(g0.n);
  for (let i = 0; i < g0.n; i++) out[i] = memb[nodeOf[i]];
  compactMembership(out);
  return out;
}
