/**
 * Local moving of nodes between communities, the first phase of Louvain and Leiden.
 *
 * Each visited node v is taken out of its community and put into the community C (a neighbour's,
 * its own, or an empty one) maximising  w(v, C) - g' W_v W_C  (see weightedGraph.ts); its own
 * community wins ties, then the first neighbour community met in CSR order, so the result depends
 * only on the random visiting order drawn from the Rng.
 *
 * Two visiting schemes:
 *   'sweep' (Louvain, Blondel et al. 2008; Seurat's ModularityOptimizer): nodes in one random
 *           order, cycled until n consecutive visits move nothing;
 *   'queue' (Leiden's fast local moving, Traag et al. 2019): all nodes queued in random order;
 *           after a move, neighbours outside the new community that are not queued are appended.
 *
 * All state lives in typed arrays sized by n; no Map or per-node object in the loop.
 */
import type { Rng } from '../core/rng.js';
import { shuffleInPlace } from '../core/rng.js';
import type { WeightedGraph } from './weightedGraph.js';

/**
 * Moves nodes of `g` between communities to increase quality; updates `memb` in place.
 *
 * @param g the graph.
 * @param memb community per node (ids in [0, n)); updated in place.
 * @param nodeWeight W_v per node (strength for modularity, size for CPM).
 * @param gammaScaled g', the resolution in the units of `nodeWeight`.
 * @param rng random stream for the visiting order.
 * @param scheme 'sweep' (Louvain) or 'queue' (Leiden).
 * @returns number of moves made.
 */
export function moveNodes(
  g: WeightedGraph,
  memb: Int32Array,
  nodeWeight: Float64Array,
  gammaScaled: number,
  rng: Rng,
  scheme: 'sweep' | 'queue',
): number {
  const n = g.n;
  if (n === 0) return 0;
  const commW = new Float64Array(n);
  const commN = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    commW[memb[i]] += nodeWeight[i];
    commN[memb[i]]++;
  }
  // Stack of the community ids that hold no node.
  const empty = new Int32Array(n);
  let nEmpty = 0;
  for (let c = n - 1; c >= 0; c--) if (commN[c] === 0) empty[nEmpty++] = c;
  const neighW = new Float64Array(n);
  const seen = new Uint8Array(n);
  const touched = new Int32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, rng);
  // 'queue': circular buffer holding each node at most once; 'sweep': cyclic pass over `order`.
  const inQueue = new Uint8Array(n);
  const queue = scheme === 'queue' ? order.slice() : order;
  if (scheme === 'queue') inQueue.fill(1);
  let head = 0;
  let qSize = n;
  let stable = 0;
  let pos = 0;
  let moves = 0;
  for (;;) {
    let v: number;
    if (scheme === 'queue') {
      if (qSize === 0) break;
      v = queue[head];
      head = head + 1 === n ? 0 : head + 1;
      qSize--;
      inQueue[v] = 0;
    } else {
      if (stable >= n) break;
      v = order[pos];
      pos = pos + 1 === n ? 0 : pos + 1;
    }
    const cv = memb[v];
    const wv = nodeWeight[v];
    // Weights from v to each neighbouring community (self-loop excluded: it moves with v).
    let nt = 0;
    for (let e = g.indptr[v]; e < g.indptr[v + 1]; e++) {
      const u = g.adj[e];
      if (u === v) continue;
      const c = memb[u];
      if (!seen[c]) { seen[c] = 1; touched[nt++] = c; }
      neighW[c] += g.w[e];
    }
    commW[cv] -= wv;
    commN[cv]--;
    // Reset to exactly 0 so rounding residue never biases an emptied community.
    const cvEmptied = commN[cv] === 0;
    if (cvEmptied) commW[cv] = 0;
    let best = cv;
    let bestGain = neighW[cv] - gammaScaled * wv * commW[cv];
    for (let t = 0; t < nt; t++) {
      const c = touched[t];
      const gain = neighW[c] - gammaScaled * wv * commW[c];
      if (gain > bestGain) { bestGain = gain; best = c; }
    }
    if (bestGain < 0) {
      // An empty community (gain exactly 0) beats every negative option; v's own emptied
      // community is one, otherwise take one from the stack.
      best = cvEmptied ? cv : empty[--nEmpty];
    }
    for (let t = 0; t < nt; t++) { neighW[touched[t]] = 0; seen[touched[t]] = 0; }
    // The stack holds exactly the empty ids: cv joins it when v leaves it empty.
    if (best !== cv && cvEmptied) empty[nEmpty++] = cv;
    commW[best] += wv;
    commN[best]++;
    memb[v] = best;
    if (best !== cv) {
      moves++;
      stable = 0;
      if (scheme === 'queue') {
        for (let e = g.indptr[v]; e < g.indptr[v + 1]; e++) {
          const u = g.adj[e];
          if (!inQueue[u] && memb[u] !== best) {
            inQueue[u] = 1;
            let tail = head + qSize;
            if (tail >= n) tail -= n;
            queue[tail] = u;
            qSize++;
          }
        }
      }
    } else {
      stable++;
    }
  }
  return moves;
}
