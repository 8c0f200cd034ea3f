/**
 * The Leiden algorithm (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing
 * well-connected communities", Sci Rep 9:5233), written from the paper's pseudo-code:
 *
 *   repeat
 *     P <- MoveNodesFast(G, P)                  fast local moving with a queue
 *     if every node of G is alone in P: stop
 *     Pr <- RefinePartition(G, P)               merge nodes within each community of P, only
 *                                               into well-connected subsets, randomly (theta)
 *     G <- aggregate(G, Pr); P <- P lifted onto the aggregate nodes (non-refined partition
 *                                               as the initial partition)
 *
 * Refinement is what guarantees every community is connected: a refined community only ever
 * grows by a node joined to it by an edge, and aggregation happens on the refined partition.
 * When refinement leaves every node alone, we aggregate on P instead, as leidenalg does, so each
 * level shrinks the graph and the loop ends.
 *
 * Written here because no maintained JavaScript package offers seeded Leiden with refinement
 * (graphology's Louvain has no refinement; leidenalg/igraph are C++/Python).
 */
import type { Rng } from '../core/rng.js';
import { shuffleInPlace } from '../core/rng.js';
import type { QualityFunction, WeightedGraph } from './weightedGraph.js';
import { aggregateGraph, compactMembership, qualityWeights } from './weightedGraph.js';
import { moveNodes } from './moveNodes.js';

/** Options of one Leiden run. */
export interface LeidenOptions {
  /** Quality function. */
  quality: QualityFunction;
  /** Resolution gamma. */
  resolution: number;
  /** Randomness theta of the refinement (leidenalg default 0.01), in edge-weight units. */
  theta: number;
}

/**
 * One pass of the Leiden algorithm on `g0` starting from `initial` (or singletons), returning a
 * compact membership of the original nodes.
 *
 * @param g0 the graph.
 * @param initial starting partition (compact ids) or null for singletons.
 * @param opts quality, resolution, theta.
 * @param rng random stream (visiting orders and refinement choices).
 */
export function leidenPass(g0: WeightedGraph, initial: Int32Array | null, opts: LeidenOptions, rng: Rng): Int32Array {
  let g = g0;
  let memb = initial ? initial.slice() : identity(g0.n);
  // nodeOf[i]: the node of the current (aggregated) graph that original node i belongs to.
  const nodeOf = identity(g0.n);
  for (;;) {
    const { nodeWeight, gammaScaled } = qualityWeights(g, opts.quality, opts.resolution);
    moveNodes(g, memb, nodeWeight, gammaScaled, rng, 'queue');
    const nComm = compactMembership(memb);
    if (nComm === g.n) break;
    let refined = refinePartition(g, memb, nComm, nodeWeight, gammaScaled, opts.theta, rng);
    let nRefined = compactMembership(refined);
    if (nRefined === g.n) {
      refined = memb.slice();
      nRefined = nComm;
    }
    // Initial partition of the aggregate: each refined community inherits its P community.
    const next = new Int32Array(nRefined);
    for (let v = 0; v < g.n; v++) next[refined[v]] = memb[v];
    for (let i = 0; i < nodeOf.length; i++) nodeOf[i] = refined[nodeOf[i]];
    g = aggregateGraph(g, refined, nRefined);
    memb = next;
  }
  const out = new Int32Array(g0.n);
  for (let i = 0; i < g0.n; i++) out[i] = memb[nodeOf[i]];
  compactMembership(out);
  return out;
}

/**
 * RefinePartition / MergeNodesSubset of the paper. Starting from singletons, each node v that is
 * still alone and well connected to its community S (E(v, S - v) >= g' W_v (W_S - W_v)) joins a
 * refined community C within S that is itself well connected (E(C, S - C) >= g' W_C (W_S - W_C))
 * and does not lower quality; C is drawn with probability proportional to exp(gain / theta),
 * staying alone included (gain 0). Gains are shifted by their maximum before exponentiation, which
 * leaves the probabilities unchanged and avoids overflow.
 *
 * @returns refined membership (ids are node ids of representatives; compact them afterwards).
 */
function refinePartition(
  g: WeightedGraph,
  memb: Int32Array,
  nComm: number,
  nodeWeight: Float64Array,
  gammaScaled: number,
  theta: number,
  rng: Rng,
): Int32Array {
  const n = g.n;
  const commW = new Float64Array(nComm);
  for (let v = 0; v < n; v++) commW[memb[v]] += nodeWeight[v];
  const refined = identity(n);
  const refW = new Float64Array(n);
  const refCount = new Int32Array(n);
  // extW[r]: weight between refined community r and the rest of its community S.
  const extW = new Float64Array(n);
  const nodeExt = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    refW[v] = nodeWeight[v];
    refCount[v] = 1;
    let s = 0;
    for (let e = g.indptr[v]; e < g.indptr[v + 1]; e++) {
      const u = g.adj[e];
      if (u !== v && memb[u] === memb[v]) s += g.w[e];
    }
    nodeExt[v] = s;
    extW[v] = s;
  }
  const order = identity(n);
  shuffleInPlace(order, rng);
  const neighW = new Float64Array(n);
  const seen = new Uint8Array(n);
  const touched = new Int32Array(n);
  const gains = new Float64Array(n);
  const cand = new Int32Array(n);
  for (let q = 0; q < n; q++) {
    const v = order[q];
    const own = refined[v];
    if (refCount[own] !== 1) continue;
    const s = memb[v];
    const wv = nodeWeight[v];
    if (nodeExt[v] < gammaScaled * wv * (commW[s] - wv)) continue;
    let nt = 0;
    for (let e = g.indptr[v]; e < g.indptr[v + 1]; e++) {
      const u = g.adj[e];
      if (u === v || memb[u] !== s) continue;
      const r = refined[u];
      if (!seen[r]) { seen[r] = 1; touched[nt++] = r; }
      neighW[r] += g.w[e];
    }
    // Candidates: staying alone (gain 0) plus every well-connected neighbouring refined community
    // with non-negative gain.
    let nc = 0;
    cand[nc] = own;
    gains[nc++] = 0;
    let maxGain = 0;
    for (let t = 0; t < nt; t++) {
      const r = touched[t];
      if (r === own) continue;
      if (extW[r] < gammaScaled * refW[r] * (commW[s] - refW[r])) continue;
      const gain = neighW[r] - gammaScaled * wv * refW[r];
      if (gain < 0) continue;
      cand[nc] = r;
      gains[nc++] = gain;
      if (gain > maxGain) maxGain = gain;
    }
    let chosen = own;
    if (nc > 1) {
      let total = 0;
      for (let t = 0; t < nc; t++) {
        gains[t] = Math.exp((gains[t] - maxGain) / theta);
        total += gains[t];
      }
      let x = rng.next() * total;
      chosen = cand[nc - 1];
      for (let t = 0; t < nc; t++) {
        x -= gains[t];
        if (x < 0) { chosen = cand[t]; break; }
      }
    }
    if (chosen !== own) {
      extW[chosen] += nodeExt[v] - 2 * neighW[chosen];
      refW[chosen] += wv;
      refCount[chosen]++;
      refCount[own] = 0;
      refined[v] = chosen;
    }
    for (let t = 0; t < nt; t++) { neighW[touched[t]] = 0; seen[touched[t]] = 0; }
  }
  return refined;
}

/** [0, 1, ..., n-1]. */
function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
