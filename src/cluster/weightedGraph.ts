/**
 * The weighted undirected graph that Louvain and Leiden work on, and its aggregation.
 *
 * Layout: symmetric CSR with Float64 weights. A self-loop of weight w is stored once on the
 * diagonal as 2w, the adjacency-matrix convention in which a node's strength is its row sum and
 * an aggregated node's diagonal holds the total of its internal entries (2 x internal weight).
 *
 * Quality functions (Traag, Van Dooren & Nesterov 2011; Traag, Waltman & van Eck 2019), written
 * as H = sum_c [ e_c - g' W_c^2 / 2 ] with e_c the internal edge weight of community c:
 *   modularity (RB with resolution gamma): W = strength, g' = gamma / 2m,
 *   CPM:                                   W = node size,  g' = gamma.
 * Moving an isolated node v into community C then changes H by  w(v, C) - g' W_v W_C.
 */
import type { CsrMatrix } from '../core/sparse.js';
import { transposeCsr } from '../core/sparse.js';

/** Weighted undirected graph in symmetric CSR form. */
export interface WeightedGraph {
  /** Number of nodes. */
  readonly n: number;
  /** Row pointers, length n + 1. */
  readonly indptr: Int32Array;
  /** Neighbour of each entry, increasing within a row. */
  readonly adj: Int32Array;
  /** Weight of each entry (diagonal = 2 x self-loop weight). */
  readonly w: Float64Array;
  /** Original nodes each node stands for (1 before aggregation). */
  readonly size: Float64Array;
  /** Row sums (weighted degree). */
  readonly strength: Float64Array;
  /** Sum of all entries, 2m. */
  readonly total: number;
}

/** Quality function of a partition. */
export type QualityFunction = 'modularity' | 'cpm';

/**
 * A WeightedGraph from a CSR adjacency: symmetrised as (A + A^T) / 2 (a no-op for the symmetric
 * SNN and connectivity graphs) with the diagonal dropped, as Seurat's modularity optimiser does.
 *
 * @param m square CSR adjacency with non-negative weights.
 */
export function graphFromCsr(m: CsrMatrix): WeightedGraph {
  if (m.nRows !== m.nCols) throw new Error(`graph must be square, got ${m.nRows} x ${m.nCols}`);
  const n = m.nRows;
  const t = transposeCsr(m);
  const indptr = new Int32Array(n + 1);
  // Upper bound: every entry of A and of A^T distinct.
  const cap = 2 * m.indices.length;
  const adj = new Int32Array(cap);
  const w = new Float64Array(cap);
  let o = 0;
  for (let i = 0; i < n; i++) {
    let a = m.indptr[i];
    const aEnd = m.indptr[i + 1];
    let b = t.indptr[i];
    const bEnd = t.indptr[i + 1];
    while (a < aEnd || b < bEnd) {
      const ca = a < aEnd ? m.indices[a] : n;
      const cb = b < bEnd ? t.indices[b] : n;
      let c: number;
      let v = 0;
      if (ca === cb) { c = ca; v = m.data[a++] + t.data[b++]; }
      else if (ca < cb) { c = ca; v = m.data[a++]; }
      else { c = cb; v = t.data[b++]; }
      if (c === i || !(v > 0)) continue;
      adj[o] = c;
      w[o] = v / 2;
      o++;
    }
    indptr[i + 1] = o;
  }
  return finishGraph(n, indptr, adj.slice(0, o), w.slice(0, o), new Float64Array(n).fill(1));
}

/** Computes strengths and total weight. */
function finishGraph(n: number, indptr: Int32Array, adj: Int32Array, w: Float64Array, size: Float64Array): WeightedGraph {
  const strength = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) s += w[e];
    strength[i] = s;
    total += s;
  }
  return { n, indptr, adj, w, size, strength, total };
}

/**
 * Renumbers `memb` in place to 0..K-1 in order of first appearance; returns K.
 *
 * @param memb community per node (any non-negative ids below memb.length).
 */
export function compactMembership(memb: Int32Array): number {
  const map = new Int32Array(memb.length).fill(-1);
  let k = 0;
  for (let i = 0; i < memb.length; i++) {
    const c = memb[i];
    if (map[c] < 0) map[c] = k++;
    memb[i] = map[c];
  }
  return k;
}

/**
 * The graph whose nodes are the communities of `memb` (ids 0..nComm-1): entry (c, d) sums the
 * entries between their members, so the diagonal holds each community's internal total.
 *
 * @param g graph to aggregate.
 * @param memb community per node, compact ids.
 * @param nComm number of communities.
 */
export function aggregateGraph(g: WeightedGraph, memb: Int32Array, nComm: number): WeightedGraph {
  // Members grouped by community (counting sort), so each aggregated row is built in one pass.
  const start = new Int32Array(nComm + 1);
  for (let i = 0; i < g.n; i++) start[memb[i] + 1]++;
  for (let c = 0; c < nComm; c++) start[c + 1] += start[c];
  const cursor = start.slice(0, nComm);
  const members = new Int32Array(g.n);
  for (let i = 0; i < g.n; i++) members[cursor[memb[i]]++] = i;
  const size = new Float64Array(nComm);
  for (let i = 0; i < g.n; i++) size[memb[i]] += g.size[i];
  const acc = new Float64Array(nComm);
  const seen = new Uint8Array(nComm);
  const touched = new Int32Array(nComm);
  const indptr = new Int32Array(nComm + 1);
  let adj = new Int32Array(Math.max(16, g.adj.length));
  let w = new Float64Array(adj.length);
  let o = 0;
  for (let c = 0; c < nComm; c++) {
    let nt = 0;
    for (let q = start[c]; q < start[c + 1]; q++) {
      const i = members[q];
      for (let e = g.indptr[i]; e < g.indptr[i + 1]; e++) {
        const d = memb[g.adj[e]];
        if (!seen[d]) { seen[d] = 1; touched[nt++] = d; }
        acc[d] += g.w[e];
      }
    }
    touched.subarray(0, nt).sort();
    if (o + nt > adj.length) {
      // Cannot happen for a partition of g (entries only merge), but stay safe.
      const grown = new Int32Array(2 * (o + nt));
      grown.set(adj);
      adj = grown;
      const gw = new Float64Array(grown.length);
      gw.set(w);
      w = gw;
    }
    for (let t = 0; t < nt; t++) {
      const d = touched[t];
      adj[o] = d;
      w[o] = acc[d];
      o++;
      acc[d] = 0;
      seen[d] = 0;
    }
    indptr[c + 1] = o;
  }
  return finishGraph(nComm, indptr, adj.slice(0, o), w.slice(0, o), size);
}

/**
 * Node weights and scaled resolution for a quality function: modularity uses strengths and
 * gamma / 2m, CPM uses node sizes and gamma.
 *
 * @param g the graph.
 * @param quality quality function.
 * @param gamma resolution parameter.
 */
export function qualityWeights(g: WeightedGraph, quality: QualityFunction, gamma: number): { nodeWeight: Float64Array; gammaScaled: number } {
  if (quality === 'modularity') return { nodeWeight: g.strength, gammaScaled: g.total > 0 ? gamma / g.total : 0 };
  return { nodeWeight: g.size, gammaScaled: gamma };
}

/**
 * Quality of a partition of `g`: for modularity Q = (1/2m) sum_c [ in_c - gamma K_c^2 / 2m ]
 * (in_c = sum of entries inside c), for CPM H = sum_c [ e_c - gamma n_c (n_c - 1) / 2 ].
 *
 * @param g the graph.
 * @param memb community per node (ids below g.n).
 * @param quality quality function.
 * @param gamma resolution parameter.
 */
export function partitionQuality(g: WeightedGraph, memb: Int32Array, quality: QualityFunction, gamma: number): number {
  const inside = new Float64Array(g.n);
  const tot = new Float64Array(g.n);
  for (let i = 0; i < g.n; i++) {
    const c = memb[i];
    tot[c] += quality === 'modularity' ? g.strength[i] : g.size[i];
    for (let e = g.indptr[i]; e < g.indptr[i + 1]; e++) if (memb[g.adj[e]] === c) inside[c] += g.w[e];
  }
  let h = 0;
  if (quality === 'modularity') {
    if (g.total === 0) return 0;
    for (let c = 0; c < g.n; c++) h += inside[c] - (gamma * tot[c] * tot[c]) / g.total;
    return h / g.total;
  }
  for (let c = 0; c < g.n; c++) h += inside[c] / 2 - (gamma * tot[c] * (tot[c] - 1)) / 2;
  return h;
}
