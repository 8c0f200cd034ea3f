/**
 * Gene expression versus lot readout, on per-lot pseudobulk.
 *
 * Pseudobulk: the mean log-normalized expression of each gene over a lot's cells (and, per
 * cluster, over the lot's cells in that cluster), accumulated straight from the CSR rows (one
 * pass over the non-zeros, no dense cells x genes matrix). Averaging the log values, rather than
 * summing counts, keeps each lot on the same scale whatever its cell number.
 *
 * Test: Spearman's rho of each gene's lot pseudobulk with the readout, and a two-sided
 * permutation p-value. The permuted readout rank vectors are drawn once per readout and shared by
 * all genes; genes with the same rank tie pattern (all tie-free genes, for one) share the null
 * distribution itself, so the cost is a few (patterns x lots) by (lots x B) products plus a
 * binary search per gene (see permutationPValues). BH FDR
 * runs per readout across the genes tested. Genes detected in too few cells, or with a zero
 * pseudobulk in too many lots, are skipped (rank correlations of mostly-tied zeros say nothing).
 */
import type { CsrMatrix } from '../core/sparse.js';
import type { Rng } from '../core/rng.js';
import { UsageError } from '../core/errors.js';
import { pAdjustBH } from '../stats/pAdjust.js';
import { centeredRanks } from '../stats/spearman.js';
import { drawPermutations, permutationPValues } from '../stats/permutation.js';
import type { Readout } from './associateClusters.js';

/** Per-lot (and per lot x cluster) mean expression. */
export interface Pseudobulk {
  /** Number of lots (rows of lotMeans). */
  readonly nLots: number;
  /** Number of genes (columns). */
  readonly nVars: number;
  /** Number of clusters (0 when no cluster codes were given). */
  readonly nClusters: number;
  /** Row-major nLots x nVars mean expression over each lot's cells. */
  readonly lotMeans: Float64Array;
  /** Row-major nLots x nVars number of the lot's cells with a non-zero value. */
  readonly lotDetected: Float64Array;
  /** Cells per lot. */
  readonly lotCells: Float64Array;
  /**
   * Cluster-major nClusters x nLots x nVars means over the lot's cells in each cluster (NaN where
   * the lot has no cell in the cluster); cluster c's lots x genes block is
   * `clusterMeans.subarray(c * nLots * nVars, (c + 1) * nLots * nVars)`.
   */
  readonly clusterMeans: Float64Array;
  /** Row-major nClusters x nLots cell counts. */
  readonly clusterCells: Float64Array;
}

/**
 * Mean expression per lot (and per cluster within lot) by sparse accumulation over CSR rows.
 *
 * @param x cells x genes log-normalized expression (CSR)
 * @param lotCodes lot code per cell (0..nLots-1); -1 leaves the cell out
 * @param nLots number of lots
 * @param clusterCodes optional cluster code per cell (-1 = none)
 * @param nClusters number of clusters (required with clusterCodes)
 */
export function computePseudobulk(x: CsrMatrix, lotCodes: Int32Array, nLots: number, clusterCodes?: Int32Array, nClusters = 0): Pseudobulk {
  const nVars = x.nCols;
  if (lotCodes.length !== x.nRows) throw new Error(`computePseudobulk: ${lotCodes.length} lot codes for ${x.nRows} cells`);
  const nc = clusterCodes ? nClusters : 0;
  const lotSums = new Float64Array(nLots * nVars);
  const lotDetected = new Float64Array(nLots * nVars);
  const lotCells = new Float64Array(nLots);
  const clusterSums = new Float64Array(nc * nLots * nVars);
  const clusterCells = new Float64Array(nc * nLots);
  const { indptr, indices, data } = x;
  for (let i = 0; i < x.nRows; i++) {
    const l = lotCodes[i];
    if (l < 0) continue;
    lotCells[l]++;
    const base = l * nVars;
    const c = clusterCodes ? clusterCodes[i] : -1;
    const cBase = c >= 0 ? (c * nLots + l) * nVars : -1;
    if (c >= 0) clusterCells[c * nLots + l]++;
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const j = indices[k];
      const v = data[k];
      lotSums[base + j] += v;
      if (v !== 0) lotDetected[base + j]++;
      if (cBase >= 0) clusterSums[cBase + j] += v;
    }
  }
  for (let l = 0; l < nLots; l++) {
    const inv = lotCells[l] > 0 ? 1 / lotCells[l] : NaN;
    for (let j = 0; j < nVars; j++) lotSums[l * nVars + j] *= inv;
  }
  for (let r = 0; r < nc * nLots; r++) {
    const inv = clusterCells[r] > 0 ? 1 / clusterCells[r] : NaN;
    for (let j = 0; j < nVars; j++) clusterSums[r * nVars + j] *= inv;
  }
  return { nLots, nVars, nClusters: nc, lotMeans: lotSums, lotDetected, lotCells, clusterMeans: clusterSums, clusterCells };
}

/** Parameters of {@link associateGenes}. */
export interface AssociateGenesParams {
  /** Monte Carlo permutations per readout (shared by all genes) when lots > exactMaxLots. @default 20000 */
  nPermutations: number;
  /** Enumerate all n! permutations when lots with the readout are at most this many. @default 8 */
  exactMaxLots: number;
  /** Skip genes detected (non-zero) in fewer cells than this over the lots used. @default 20 */
  minCells: number;
  /** Skip genes with a non-zero pseudobulk in fewer lots than this. @default 3 */
  minLots: number;
  /** Readouts observed in fewer lots than this are skipped. @default 4 */
  minReadoutLots: number;
}

/** Defaults of {@link AssociateGenesParams}. */
export const ASSOCIATE_GENES_DEFAULTS: AssociateGenesParams = { nPermutations: 20_000, exactMaxLots: 8, minCells: 20, minLots: 3, minReadoutLots: 4 };

/** Column-oriented result: one row per (readout, tested gene), readouts outer, genes in input order. */
export interface GeneAssociationTable {
  /** Readout name per row. */
  readonly readout: string[];
  /** Gene symbol per row. */
  readonly gene: string[];
  /** Gene id per row (e.g. Ensembl). */
  readonly gene_id: string[];
  /** Gene column index in the expression matrix. */
  readonly gene_index: Int32Array;
  /** Lots used (readout observed). */
  readonly n_lots: Int32Array;
  /** Spearman rho of lot pseudobulk vs readout. */
  readonly rho: Float64Array;
  /** Two-sided permutation p-value. */
  readonly pval: Float64Array;
  /** BH-adjusted pval within the readout. */
  readonly padj: Float64Array;
  /** Mean over the used lots of the lot pseudobulk. */
  readonly mean_expr: Float64Array;
  /** Permutation method per readout, for the metadata. */
  readonly method: Readonly<Record<string, string>>;
}

/** Checks {@link AssociateGenesParams} ranges (UsageError, exit 2). */
export function validateAssociateGenesParams(p: AssociateGenesParams): void {
  if (!(Number.isInteger(p.nPermutations) && p.nPermutations >= 100)) throw new UsageError(`nPermutations must be an integer >= 100, got ${p.nPermutations}`);
  if (!(Number.isInteger(p.exactMaxLots) && p.exactMaxLots >= 0 && p.exactMaxLots <= 10)) throw new UsageError(`exactMaxLots must be an integer in [0, 10], got ${p.exactMaxLots}`);
  if (!(p.minCells >= 0)) throw new UsageError(`minCells must be >= 0, got ${p.minCells}`);
  if (!(Number.isInteger(p.minLots) && p.minLots >= 1)) throw new UsageError(`minLots must be an integer >= 1, got ${p.minLots}`);
  if (!(Number.isInteger(p.minReadoutLots) && p.minReadoutLots >= 3)) throw new UsageError(`minReadoutLots must be an integer >= 3, got ${p.minReadoutLots}`);
}

/**
 * Associates every sufficiently expressed gene's lot pseudobulk with every readout.
 *
 * @param expr row-major nLots x nVars pseudobulk (e.g. `Pseudobulk.lotMeans` or one cluster's block)
 * @param detected row-major nLots x nVars cells with non-zero expression (for the minCells filter)
 * @param genes gene symbols (length nVars)
 * @param geneIds gene ids (length nVars)
 * @param readouts per-lot readouts (NaN = missing)
 * @param params permutation counts and expression filters
 * @param rng seeded stream; readout r draws its permutations from `rng.fork(name)`
 * @example
 * const pb = computePseudobulk(adata.X, lotCodes, nLots);
 * const genes = associateGenes(pb.lotMeans, pb.lotDetected, names, ids, readouts, ASSOCIATE_GENES_DEFAULTS, rng);
 */
export function associateGenes(
  expr: Float64Array,
  detected: Float64Array,
  genes: readonly string[],
  geneIds: readonly string[],
  readouts: readonly Readout[],
  params: AssociateGenesParams,
  rng: Rng,
): GeneAssociationTable {
  validateAssociateGenesParams(params);
  const nVars = genes.length;
  const nLots = expr.length / nVars;
  if (!Number.isInteger(nLots) || detected.length !== expr.length) throw new Error(`associateGenes: expr/detected sizes do not match ${nVars} genes`);
  const cols = {
    readout: [] as string[], gene: [] as string[], gene_id: [] as string[], gene_index: [] as number[],
    n_lots: [] as number[], rho: [] as number[], pval: [] as number[], padj: [] as number[], mean_expr: [] as number[],
  };
  const method: Record<string, string> = {};
  for (const ro of readouts) {
    if (ro.values.length !== nLots) throw new UsageError(`readout '${ro.name}' has ${ro.values.length} values, expected one per lot (${nLots})`);
    const used: number[] = [];
    for (let l = 0; l < nLots; l++) if (!Number.isNaN(ro.values[l]) && !Number.isNaN(expr[l * nVars])) used.push(l);
    const n = used.length;
    if (n < params.minReadoutLots) {
      method[ro.name] = `skipped: ${n} lots with a value (< ${params.minReadoutLots})`;
      continue;
    }
    // Gene filter over the lots used.
    const kept: number[] = [];
    for (let j = 0; j < nVars; j++) {
      let cells = 0;
      let lots = 0;
      for (let u = 0; u < n; u++) {
        const l = used[u];
        cells += detected[l * nVars + j];
        if (expr[l * nVars + j] > 0) lots++;
      }
      if (cells >= params.minCells && lots >= params.minLots) kept.push(j);
    }
    const m = kept.length;
    // Gene-major m x n centred ranks: each gene's row is contiguous for the dot products.
    const cx = new Float64Array(m * n);
    const meanExpr = new Float64Array(m);
    const v = new Float64Array(n);
    for (let g = 0; g < m; g++) {
      const j = kept[g];
      let s = 0;
      for (let u = 0; u < n; u++) {
        v[u] = expr[used[u] * nVars + j];
        s += v[u];
      }
      meanExpr[g] = s / n;
      centeredRanks(v, cx.subarray(g * n, (g + 1) * n));
    }
    const y = new Float64Array(n);
    for (let u = 0; u < n; u++) y[u] = ro.values[used[u]];
    const cy = centeredRanks(y);
    const perms = drawPermutations(n, { nPermutations: params.nPermutations, exactMaxN: params.exactMaxLots }, rng.fork(ro.name));
    method[ro.name] = perms.exact ? `exact (${perms.count} permutations)` : `monte_carlo (${perms.count} permutations, shared across genes)`;
    const { dot, pval } = permutationPValues(cx, m, cy, perms);
    let yy = 0;
    for (let u = 0; u < n; u++) yy += cy[u] * cy[u];
    const padj = pAdjustBH(pval);
    for (let g = 0; g < m; g++) {
      let xx = 0;
      for (let u = 0; u < n; u++) xx += cx[g * n + u] * cx[g * n + u];
      cols.readout.push(ro.name);
      cols.gene.push(genes[kept[g]]);
      cols.gene_id.push(geneIds[kept[g]]);
      cols.gene_index.push(kept[g]);
      cols.n_lots.push(n);
      cols.rho.push(xx > 0 && yy > 0 ? dot[g] / Math.sqrt(xx * yy) : NaN);
      cols.pval.push(pval[g]);
      cols.padj.push(padj[g]);
      cols.mean_expr.push(meanExpr[g]);
    }
  }
  return {
    readout: cols.readout,
    gene: cols.gene,
    gene_id: cols.gene_id,
    gene_index: Int32Array.from(cols.gene_index),
    n_lots: Int32Array.from(cols.n_lots),
    rho: Float64Array.from(cols.rho),
    pval: Float64Array.from(cols.pval),
    padj: Float64Array.from(cols.padj),
    mean_expr: Float64Array.from(cols.mean_expr),
    method,
  };
}

