/**
 * Second condition: with a `condition` obs column (e.g. normoxia / ischemia), the clusters are
 * defined on the analysed (reference) condition; every other condition's cells are mapped onto
 * those clusters by the same kNN vote in PC space as unpooled cells (majority of the k nearest
 * clustered cells, ties to the smaller cluster code). The result is the composition per
 * condition and, per cluster, the shift of its share between conditions:
 *   shift(lot, cluster) = fraction in condition B - fraction in the reference condition A,
 * per lot and averaged over the lots observed in both conditions.
 * The other condition's PC coordinates must be in the reference PC space (cells projected on the
 * reference loadings), which is the caller's job.
 */
import type { DenseMatrix } from '../core/dense.js';
import { UsageError } from '../core/errors.js';
import { computeComposition, type Composition, type ComputeCompositionParams, type KnnQuery } from './computeComposition.js';

/** Inputs of {@link mapCondition}, all per QC-passed cell. */
export interface MapConditionInput {
  /** Lot code per cell (-1 = excluded). */
  readonly lotCodes: Int32Array;
  /** Lot labels. */
  readonly lotNames: readonly string[];
  /** Condition code per cell (indexing conditionNames; -1 = excluded). */
  readonly conditionCodes: Int32Array;
  /** Condition labels. */
  readonly conditionNames: readonly string[];
  /** Code of the analysed (reference) condition whose cells were clustered. */
  readonly reference: number;
  /** Cluster code per cell; -1 for every cell to assign (other conditions, unpooled reference cells). */
  readonly clusterCodes: Int32Array;
  /** Cluster labels. */
  readonly clusterNames: readonly string[];
  /** PC coordinates of every cell in the reference PC space. */
  readonly pcs: DenseMatrix;
}

/** Result of {@link mapCondition}. */
export interface ConditionMapping {
  /** Cluster per cell after the vote (-1 = excluded). */
  readonly assigned: Int32Array;
  /** Composition of each condition (index = condition code). */
  readonly compositions: readonly Composition[];
  /** Long composition table: condition, lot, cluster, n_cells, fraction. */
  readonly composition: { condition: string[]; lot: string[]; cluster: string[]; n_cells: Float64Array; fraction: Float64Array };
  /**
   * Shift table, one block per non-reference condition: per (lot, cluster) rows, then per-cluster
   * rows with lot = 'mean' (mean over lots with cells in both conditions; n_lots says how many).
   */
  readonly shift: { condition: string[]; lot: string[]; cluster: string[]; fraction_ref: Float64Array; fraction: Float64Array; shift: Float64Array; n_lots: Int32Array };
  /** Method text for the output metadata. */
  readonly method: string;
}

/**
 * Maps other conditions' cells onto the reference clusters and reports composition shifts.
 *
 * @param input per-cell codes and PC coordinates
 * @param params kNN vote size
 * @param knn neighbour search
 * @example
 * const m = await mapCondition({ lotCodes, lotNames, conditionCodes, conditionNames: ['ischemia', 'normoxia'], reference: 0, clusterCodes, clusterNames, pcs }, { k: 15 }, knn);
 * m.shift; // condition, lot, cluster, fraction_ref, fraction, shift
 */
export async function mapCondition(input: MapConditionInput, params: ComputeCompositionParams, knn: KnnQuery): Promise<ConditionMapping> {
  const { lotCodes, conditionCodes, conditionNames, reference, lotNames, clusterNames } = input;
  const nCells = lotCodes.length;
  const nCond = conditionNames.length;
  if (!(reference >= 0 && reference < nCond)) throw new UsageError(`reference condition code ${reference} is not one of ${nCond} conditions`);
  if (conditionCodes.length !== nCells) throw new Error(`mapCondition: ${conditionCodes.length} condition codes for ${nCells} cells`);
  // Only reference-condition cells may carry a cluster; every other labelled cell is a caller bug.
  const lots = new Int32Array(nCells);
  for (let i = 0; i < nCells; i++) {
    if (input.clusterCodes[i] >= 0 && conditionCodes[i] !== reference) throw new Error(`mapCondition: cell ${i} has a cluster but is not in the reference condition`);
    lots[i] = conditionCodes[i] < 0 ? -1 : lotCodes[i];
  }
  const all = await computeComposition({ lotCodes: lots, lotNames, clusterCodes: input.clusterCodes, clusterNames, pcs: input.pcs }, params, knn);
  const assigned = all.assigned;
  const compositions: Composition[] = [];
  const masked = new Int32Array(nCells);
  for (let c = 0; c < nCond; c++) {
    for (let i = 0; i < nCells; i++) masked[i] = conditionCodes[i] === c ? lots[i] : -1;
    compositions.push(await computeComposition({ lotCodes: masked, lotNames, clusterCodes: assigned, clusterNames }, params));
  }
  const nLots = lotNames.length;
  const nClusters = clusterNames.length;
  const comp = { condition: [] as string[], lot: [] as string[], cluster: [] as string[], n_cells: [] as number[], fraction: [] as number[] };
  for (let c = 0; c < nCond; c++) {
    const cp = compositions[c];
    for (let l = 0; l < nLots; l++) {
      for (let k = 0; k < nClusters; k++) {
        comp.condition.push(conditionNames[c]);
        comp.lot.push(lotNames[l]);
        comp.cluster.push(clusterNames[k]);
        comp.n_cells.push(cp.counts[l * nClusters + k]);
        comp.fraction.push(cp.fractions[l * nClusters + k]);
      }
    }
  }
  const sh = { condition: [] as string[], lot: [] as string[], cluster: [] as string[], fraction_ref: [] as number[], fraction: [] as number[], shift: [] as number[], n_lots: [] as number[] };
  const ref = compositions[reference];
  for (let c = 0; c < nCond; c++) {
    if (c === reference) continue;
    const cp = compositions[c];
    const sum = new Float64Array(nClusters);
    const sumRef = new Float64Array(nClusters);
    const sumB = new Float64Array(nClusters);
    let both = 0;
    for (let l = 0; l < nLots; l++) {
      const has = ref.totals[l] > 0 && cp.totals[l] > 0;
      if (has) both++;
      for (let k = 0; k < nClusters; k++) {
        const fa = ref.fractions[l * nClusters + k];
        const fb = cp.fractions[l * nClusters + k];
        sh.condition.push(conditionNames[c]);
        sh.lot.push(lotNames[l]);
        sh.cluster.push(clusterNames[k]);
        sh.fraction_ref.push(fa);
        sh.fraction.push(fb);
        sh.shift.push(has ? fb - fa : NaN);
        sh.n_lots.push(has ? 1 : 0);
        if (has) {
          sum[k] += fb - fa;
          sumRef[k] += fa;
          sumB[k] += fb;
        }
      }
    }
    for (let k = 0; k < nClusters; k++) {
      sh.condition.push(conditionNames[c]);
      sh.lot.push('mean');
      sh.cluster.push(clusterNames[k]);
      sh.fraction_ref.push(both > 0 ? sumRef[k] / both : NaN);
      sh.fraction.push(both > 0 ? sumB[k] / both : NaN);
      sh.shift.push(both > 0 ? sum[k] / both : NaN);
      sh.n_lots.push(both);
    }
  }
  return {
    assigned,
    compositions,
    composition: { condition: comp.condition, lot: comp.lot, cluster: comp.cluster, n_cells: Float64Array.from(comp.n_cells), fraction: Float64Array.from(comp.fraction) },
    shift: {
      condition: sh.condition, lot: sh.lot, cluster: sh.cluster, fraction_ref: Float64Array.from(sh.fraction_ref),
      fraction: Float64Array.from(sh.fraction), shift: Float64Array.from(sh.shift), n_lots: Int32Array.from(sh.n_lots),
    },
    method: `clusters defined on condition '${conditionNames[reference]}'; ${all.nVoted} cells (other conditions and unpooled cells) assigned by majority vote of k=${params.k} nearest clustered cells in PC space (ties to the smaller cluster code); shift = fraction in condition - fraction in '${conditionNames[reference]}'`,
  };
}
