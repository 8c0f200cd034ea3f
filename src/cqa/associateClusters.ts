/**
 * Cluster share versus lot readout: for every (readout, cluster) pair, how the fraction of a
 * lot's cells in the cluster tracks the lot's potency readout across lots.
 *
 * Few lots (typically 5-20) make asymptotic tests unreliable, so the primary test is Spearman's
 * rho with a permutation p-value (exact for <= 8 lots), and every association carries three
 * companions that guard against artefacts:
 * - `pearson_r`: Pearson's r of the readout with logit fractions, logit((n + 0.5) / (N + 1))
 *   (a pseudocount of 0.5 cells keeps empty clusters finite), i.e. a linear view of the share;
 * - `model_coef` / `model_pval`: a quasi-binomial GLM (logit link) of the cluster's cell count out
 *   of the lot's total on the standardized readout (mean 0, SD 1 over the lots used), so the
 *   coefficient is the change in log-odds of membership per SD of readout and lots with more cells
 *   weigh more; Wald t-test on n - 2 df (R's `glm(family = quasibinomial)` + `summary`);
 * - `loo_min_abs_rho` / `loo_sign_flips`: leave-one-lot-out stability, the smallest |rho| over the
 *   n subsets with one lot removed and how many of them flip the sign of rho (one influential lot
 *   can otherwise carry a whole association).
 * BH FDR (`padj`) runs over all clusters x readouts at once.
 */
import type { Rng } from '../core/rng.js';
import { UsageError } from '../core/errors.js';
import { pAdjustBH } from '../stats/pAdjust.js';
import { centeredRanks, pearsonKernel, spearman } from '../stats/spearman.js';
import { drawPermutations, permutationPValues } from '../stats/permutation.js';
import { fitQuasiBinomial } from '../stats/glm.js';
import type { Composition } from './computeComposition.js';

/** One numeric lot readout (e.g. VEGF secretion under ischemia). */
export interface Readout {
  /** Column name, e.g. `vegf_hypoxia`. */
  readonly name: string;
  /** Value per lot in the composition's lot order; NaN = missing (that lot is skipped). */
  readonly values: Float64Array;
}

/** Parameters of {@link associateClusters}. */
export interface AssociateClustersParams {
  /** Monte Carlo permutations per readout when lots > `exactMaxLots`. @default 100000 */
  nPermutations: number;
  /** Enumerate all n! permutations when the lots with a readout are at most this many. @default 8 */
  exactMaxLots: number;
  /** Cells added to each cluster count (and twice to the total) before the logit. @default 0.5 */
  pseudocount: number;
  /** Readouts observed in fewer lots than this are skipped (rows get NaN statistics). @default 4 */
  minLots: number;
}

/** Defaults of {@link AssociateClustersParams}. */
export const ASSOCIATE_CLUSTERS_DEFAULTS: AssociateClustersParams = {
  nPermutations: 100_000,
  exactMaxLots: 8,
  pseudocount: 0.5,
  minLots: 4,
};

/** Column-oriented result: one row per (readout, cluster), readouts outer, clusters inner. */
export interface ClusterAssociationTable {
  /** Readout name per row. */
  readonly readout: string[];
  /** Cluster label per row. */
  readonly cluster: string[];
  /** Lots with a non-missing readout. */
  readonly n_lots: Int32Array;
  /** Spearman rho of cluster fraction vs readout. */
  readonly rho: Float64Array;
  /** Two-sided permutation p-value of rho. */
  readonly pval: Float64Array;
  /** BH-adjusted pval over all rows of the table. */
  readonly padj: Float64Array;
  /** Pearson r of logit fraction vs readout. */
  readonly pearson_r: Float64Array;
  /** Quasi-binomial slope: log-odds of cluster membership per SD of readout. */
  readonly model_coef: Float64Array;
  /** Wald t-test p-value of model_coef (n - 2 df). */
  readonly model_pval: Float64Array;
  /** Smallest |rho| over the leave-one-lot-out subsets. */
  readonly loo_min_abs_rho: Float64Array;
  /** Leave-one-lot-out subsets whose rho has the opposite sign of the full rho. */
  readonly loo_sign_flips: Int32Array;
  /** How the p-value was computed per readout ('exact' or 'monte_carlo:<B>'), for the metadata. */
  readonly method: Readonly<Record<string, string>>;
}

/** Checks {@link AssociateClustersParams} ranges (UsageError, exit 2). */
export function validateAssociateClustersParams(p: AssociateClustersParams): void {
  if (!(Number.isInteger(p.nPermutations) && p.nPermutations >= 100)) throw new UsageError(`nPermutations must be an integer >= 100, got ${p.nPermutations}`);
  if (!(Number.isInteger(p.exactMaxLots) && p.exactMaxLots >= 0 && p.exactMaxLots <= 10)) throw new UsageError(`exactMaxLots must be an integer in [0, 10], got ${p.exactMaxLots}`);
  if (!(p.pseudocount > 0)) throw new UsageError(`pseudocount must be > 0, got ${p.pseudocount}`);
  if (!(Number.isInteger(p.minLots) && p.minLots >= 3)) throw new UsageError(`minLots must be an integer >= 3, got ${p.minLots}`);
}

/**
 * Leave-one-out Spearman stability of x vs y (both complete, length n >= 4): the smallest |rho|
 * over the n subsets that drop one observation, and the number of subsets whose rho has the
 * opposite sign of `rhoFull`. A subset with a constant variable counts as |rho| = 0.
 */
export function leaveOneOutRho(x: Float64Array, y: Float64Array, rhoFull: number): { minAbs: number; flips: number } {
  const n = x.length;
  const xs = new Float64Array(n - 1);
  const ys = new Float64Array(n - 1);
  let minAbs = Infinity;
  let flips = 0;
  for (let drop = 0; drop < n; drop++) {
    let u = 0;
    for (let t = 0; t < n; t++) {
      if (t === drop) continue;
      xs[u] = x[t];
      ys[u] = y[t];
      u++;
    }
    const r = spearman(xs, ys);
    const a = Number.isNaN(r) ? 0 : Math.abs(r);
    if (a < minAbs) minAbs = a;
    if (r * rhoFull < 0) flips++;
  }
  return { minAbs: n > 0 ? minAbs : NaN, flips };
}

/**
 * Associates every cluster's lot share with every readout.
 *
 * @param comp lot x cluster composition (counts over all QC-passed cells of each lot)
 * @param readouts numeric readouts per lot (NaN = missing)
 * @param params permutation counts, pseudocount, minimum lots
 * @param rng seeded stream; each readout draws its permutations from `rng.fork(readout name)`
 * @example
 * const table = associateClusters(comp, [{ name: 'vegf_hypoxia', values }], ASSOCIATE_CLUSTERS_DEFAULTS, createRng(0));
 */
export function associateClusters(comp: Composition, readouts: readonly Readout[], params: AssociateClustersParams, rng: Rng): ClusterAssociationTable {
  validateAssociateClustersParams(params);
  const { nLots, nClusters, counts, totals } = comp;
  const nRows = readouts.length * nClusters;
  const out = {
    readout: new Array<string>(nRows),
    cluster: new Array<string>(nRows),
    n_lots: new Int32Array(nRows),
    rho: new Float64Array(nRows).fill(NaN),
    pval: new Float64Array(nRows).fill(NaN),
    padj: new Float64Array(nRows),
    pearson_r: new Float64Array(nRows).fill(NaN),
    model_coef: new Float64Array(nRows).fill(NaN),
    model_pval: new Float64Array(nRows).fill(NaN),
    loo_min_abs_rho: new Float64Array(nRows).fill(NaN),
    loo_sign_flips: new Int32Array(nRows),
  };
  const method: Record<string, string> = {};
  for (let r = 0; r < readouts.length; r++) {
    const ro = readouts[r];
    if (ro.values.length !== nLots) throw new UsageError(`readout '${ro.name}' has ${ro.values.length} values, expected one per lot (${nLots})`);
    // Lots used: readout observed and at least one cell.
    const used: number[] = [];
    for (let l = 0; l < nLots; l++) if (!Number.isNaN(ro.values[l]) && totals[l] > 0) used.push(l);
    const n = used.length;
    for (let c = 0; c < nClusters; c++) {
      out.readout[r * nClusters + c] = ro.name;
      out.cluster[r * nClusters + c] = comp.clusterNames[c];
      out.n_lots[r * nClusters + c] = n;
    }
    if (n < params.minLots) {
      method[ro.name] = `skipped: ${n} lots with a value (< ${params.minLots})`;
      continue;
    }
    const y = new Float64Array(n);
    for (let u = 0; u < n; u++) y[u] = ro.values[used[u]];
    const cy = centeredRanks(y);
    // Standardized readout for the GLM: slope = log-odds change per SD.
    let mean = 0;
    for (let u = 0; u < n; u++) mean += y[u];
    mean /= n;
    let ss = 0;
    for (let u = 0; u < n; u++) ss += (y[u] - mean) * (y[u] - mean);
    const sd = Math.sqrt(ss / (n - 1));
    const design = new Float64Array(2 * n);
    for (let u = 0; u < n; u++) {
      design[2 * u] = 1;
      design[2 * u + 1] = sd > 0 ? (y[u] - mean) / sd : 0;
    }
    // Per-cluster fractions, their centred ranks (one row per cluster) and logits.
    const frac = new Float64Array(nClusters * n);
    const cx = new Float64Array(nClusters * n);
    const logit = new Float64Array(n);
    const k = new Float64Array(n);
    const m = new Float64Array(n);
    for (let c = 0; c < nClusters; c++) {
      const row = frac.subarray(c * n, (c + 1) * n);
      for (let u = 0; u < n; u++) {
        const l = used[u];
        row[u] = counts[l * nClusters + c] / totals[l];
      }
      centeredRanks(row, cx.subarray(c * n, (c + 1) * n));
    }
    const perms = drawPermutations(n, { nPermutations: params.nPermutations, exactMaxN: params.exactMaxLots }, rng.fork(ro.name));
    method[ro.name] = perms.exact ? `exact (${perms.count} permutations)` : `monte_carlo (${perms.count} permutations)`;
    const perm = permutationPValues(cx, nClusters, cy, perms);
    let yy = 0;
    for (let u = 0; u < n; u++) yy += cy[u] * cy[u];
    for (let c = 0; c < nClusters; c++) {
      const at = r * nClusters + c;
      let xx = 0;
      for (let u = 0; u < n; u++) xx += cx[c * n + u] * cx[c * n + u];
      const rho = xx > 0 && yy > 0 ? perm.dot[c] / Math.sqrt(xx * yy) : NaN;
      out.rho[at] = rho;
      out.pval[at] = perm.pval[c];
      for (let u = 0; u < n; u++) {
        const l = used[u];
        k[u] = counts[l * nClusters + c];
        m[u] = totals[l];
        logit[u] = Math.log((k[u] + params.pseudocount) / (m[u] - k[u] + params.pseudocount));
      }
      out.pearson_r[at] = pearsonKernel(logit, y);
      const fit = fitQuasiBinomial(k, m, design, 2);
      out.model_coef[at] = fit.coef[1];
      out.model_pval[at] = fit.pval[1];
      if (!Number.isNaN(rho)) {
        const loo = leaveOneOutRho(frac.subarray(c * n, (c + 1) * n), y, rho);
        out.loo_min_abs_rho[at] = loo.minAbs;
        out.loo_sign_flips[at] = loo.flips;
      }
    }
  }
  out.padj.set(pAdjustBH(out.pval));
  return { ...out, method };
}
