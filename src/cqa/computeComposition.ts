/**
 * Lot composition: per lot and cluster, the number and fraction of the lot's QC-passed cells.
 *
 * Clustering runs on a balanced pool (about equal cells per lot), so the cells left out of the
 * pool have no cluster. Fractions over the pool alone would be noisier than necessary (they use
 * only part of each lot), so every unpooled cell is assigned by a kNN vote in PC space: the
 * majority cluster among its k nearest pooled cells, ties going to the smaller cluster code
 * (deterministic, and cluster codes are numbered by size, so ties favour the larger cluster).
 * Fractions are then over *all* QC-passed cells of the lot. The method string says so, for the
 * output metadata.
 */
import type { DenseMatrix } from '../core/dense.js';
import { subsetDenseRows } from '../core/dense.js';
import { UsageError, AnalysisError } from '../core/errors.js';

/**
 * A k-nearest-neighbour query: for each row of `query`, the indices of its `k` nearest rows of
 * `ref` (row-major nQuery x k). Supplied by the caller (exact or approximate search).
 */
export type KnnQuery = (ref: DenseMatrix, query: DenseMatrix, k: number) => Promise<{ indices: Int32Array }> | { indices: Int32Array };

/** Lot x cluster composition. */
export interface Composition {
  /** Lot labels, indexing rows. */
  readonly lotNames: readonly string[];
  /** Cluster labels, indexing columns. */
  readonly clusterNames: readonly string[];
  /** Number of lots. */
  readonly nLots: number;
  /** Number of clusters. */
  readonly nClusters: number;
  /** Row-major nLots x nClusters cell counts. */
  readonly counts: Float64Array;
  /** Cells per lot (row sums of counts). */
  readonly totals: Float64Array;
  /** Row-major nLots x nClusters fractions counts / totals (NaN for a lot without cells). */
  readonly fractions: Float64Array;
  /** How cells were counted, for the output metadata. */
  readonly method: string;
}

/** Composition plus the per-cell cluster after the kNN vote and the long table. */
export interface CompositionResult extends Composition {
  /** Cluster code per input cell: the given code for clustered cells, the voted code for the rest, -1 for excluded cells. */
  readonly assigned: Int32Array;
  /** Cells that got their cluster by the kNN vote. */
  readonly nVoted: number;
  /** Long table, one row per (lot, cluster), lots outer: columns lot, cluster, n_cells, fraction. */
  readonly table: { lot: string[]; cluster: string[]; n_cells: Float64Array; fraction: Float64Array };
}

/** Inputs of {@link computeComposition}, all per QC-passed cell. */
export interface CompositionInput {
  /** Lot code per cell (indexing lotNames); -1 excludes the cell. */
  readonly lotCodes: Int32Array;
  /** Lot labels. */
  readonly lotNames: readonly string[];
  /** Cluster code per cell; -1 for cells outside the clustered pool (assigned by the kNN vote). */
  readonly clusterCodes: Int32Array;
  /** Cluster labels. */
  readonly clusterNames: readonly string[];
  /** PC coordinates per cell (same rows as the codes); required when any cluster code is -1. */
  readonly pcs?: DenseMatrix;
}

/** Parameters of {@link computeComposition}. */
export interface ComputeCompositionParams {
  /** Pooled neighbours that vote for an unpooled cell's cluster. @default 15 */
  k: number;
}

/** Defaults of {@link ComputeCompositionParams}. */
export const COMPUTE_COMPOSITION_DEFAULTS: ComputeCompositionParams = { k: 15 };

/**
 * Majority vote over neighbour labels (the kernel of the kNN assignment): for query q, the most
 * frequent label among `refLabels[indices[q * k .. q * k + k)]`, ties to the smaller code.
 *
 * @param indices row-major nQuery x k neighbour indices into refLabels
 * @param k neighbours per query
 * @param refLabels label code per reference row (0..nLabels-1)
 * @param nLabels number of label codes
 */
export function knnVoteKernel(indices: Int32Array, k: number, refLabels: Int32Array, nLabels: number): Int32Array {
  const nQuery = indices.length / k;
  const out = new Int32Array(nQuery);
  const votes = new Int32Array(nLabels);
  for (let q = 0; q < nQuery; q++) {
    votes.fill(0);
    for (let t = 0; t < k; t++) votes[refLabels[indices[q * k + t]]]++;
    let best = 0;
    // Strict '>' keeps the first (smallest) code among equal counts.
    for (let c = 1; c < nLabels; c++) if (votes[c] > votes[best]) best = c;
    out[q] = best;
  }
  return out;
}

/**
 * Labels query cells by the majority label of their k nearest reference cells in PC space.
 *
 * @param ref reference coordinates (labelled cells), nRef x nPcs
 * @param refLabels label per reference row
 * @param nLabels number of label codes
 * @param query coordinates of the cells to label, nQuery x nPcs
 * @param k neighbours that vote (capped at nRef)
 * @param knn neighbour search
 */
export async function assignByKnnVote(ref: DenseMatrix, refLabels: Int32Array, nLabels: number, query: DenseMatrix, k: number, knn: KnnQuery): Promise<Int32Array> {
  if (query.nRows === 0) return new Int32Array(0);
  if (ref.nRows === 0) throw new AnalysisError('kNN vote needs at least one labelled cell');
  const kk = Math.min(k, ref.nRows);
  const { indices } = await knn(ref, query, kk);
  return knnVoteKernel(indices, kk, refLabels, nLabels);
}

/**
 * Cell counts and fractions per lot and cluster over all QC-passed cells, assigning unpooled
 * cells by kNN vote.
 *
 * @param input per-cell lot and cluster codes (cluster -1 = unpooled) and PC coordinates
 * @param params vote size k
 * @param knn neighbour search used for the vote (only called when some cells are unpooled)
 * @example
 * const comp = await computeComposition({ lotCodes, lotNames, clusterCodes, clusterNames, pcs }, { k: 15 }, knn);
 * comp.table; // lot, cluster, n_cells, fraction
 */
export async function computeComposition(input: CompositionInput, params: ComputeCompositionParams, knn?: KnnQuery): Promise<CompositionResult> {
  const { lotCodes, clusterCodes, lotNames, clusterNames } = input;
  const nCells = lotCodes.length;
  const nLots = lotNames.length;
  const nClusters = clusterNames.length;
  if (!(Number.isInteger(params.k) && params.k >= 1)) throw new UsageError(`k must be a positive integer, got ${params.k}`);
  if (clusterCodes.length !== nCells) throw new Error(`computeComposition: ${clusterCodes.length} cluster codes for ${nCells} cells`);
  const assigned = Int32Array.from(clusterCodes);
  const refRows: number[] = [];
  const queryRows: number[] = [];
  for (let i = 0; i < nCells; i++) {
    if (lotCodes[i] < 0 || lotCodes[i] >= nLots) {
      assigned[i] = -1;
      continue;
    }
    if (clusterCodes[i] >= nClusters) throw new Error(`computeComposition: cluster code ${clusterCodes[i]} >= ${nClusters} clusters`);
    if (clusterCodes[i] >= 0) refRows.push(i);
    else queryRows.push(i);
  }
  if (queryRows.length > 0) {
    if (!input.pcs || !knn) throw new AnalysisError(`${queryRows.length} cells have no cluster; assigning them needs PC coordinates and a kNN search`);
    if (input.pcs.nRows !== nCells) throw new Error(`computeComposition: pcs has ${input.pcs.nRows} rows for ${nCells} cells`);
    const refLabels = new Int32Array(refRows.length);
    for (let t = 0; t < refRows.length; t++) refLabels[t] = clusterCodes[refRows[t]];
    const voted = await assignByKnnVote(subsetDenseRows(input.pcs, refRows), refLabels, nClusters, subsetDenseRows(input.pcs, queryRows), params.k, knn);
    for (let t = 0; t < queryRows.length; t++) assigned[queryRows[t]] = voted[t];
  }
  const counts = new Float64Array(nLots * nClusters);
  const totals = new Float64Array(nLots);
  for (let i = 0; i < nCells; i++) {
    const l = lotCodes[i];
    const c = assigned[i];
    if (l < 0 || c < 0) continue;
    counts[l * nClusters + c]++;
    totals[l]++;
  }
  const fractions = new Float64Array(nLots * nClusters);
  for (let l = 0; l < nLots; l++) {
    for (let c = 0; c < nClusters; c++) fractions[l * nClusters + c] = totals[l] > 0 ? counts[l * nClusters + c] / totals[l] : NaN;
  }
  const nRowsTable = nLots * nClusters;
  const table = { lot: new Array<string>(nRowsTable), cluster: new Array<string>(nRowsTable), n_cells: counts.slice(), fraction: fractions.slice() };
  for (let l = 0; l < nLots; l++) {
    for (let c = 0; c < nClusters; c++) {
      table.lot[l * nClusters + c] = lotNames[l];
      table.cluster[l * nClusters + c] = clusterNames[c];
    }
  }
  const method =
    queryRows.length > 0
      ? `fractions over all QC-passed cells per lot; ${refRows.length} pooled cells keep their cluster, ${queryRows.length} unpooled cells assigned by majority vote of k=${params.k} nearest pooled cells in PC space (ties to the smaller cluster code)`
      : `fractions over all QC-passed cells per lot (all ${refRows.length} cells clustered)`;
  return { lotNames, clusterNames, nLots, nClusters, counts, totals, fractions, method, assigned, nVoted: queryRows.length, table };
}
