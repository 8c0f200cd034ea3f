/**
 * Validation of CQA candidates in a second cohort (Miura et al. 2023 tested LRRC75A in further
 * bone-marrow, adipose and umbilical-cord MSC lots): each candidate gene's lot-level expression
 * (single-cell pseudobulk or a bulk/qPCR table) is correlated with the readout there, by
 * Spearman's rho with a permutation p-value (exact for <= 8 lots, seeded Monte Carlo above), over
 * all lots and within each `source`. BH FDR runs across the candidate genes within each group.
 * Lots missing the readout or a gene's value are skipped for that gene, so every (gene, group)
 * has its own lot count; permutations are drawn once per lot count and shared.
 */
import type { Rng } from '../core/rng.js';
import { UsageError } from '../core/errors.js';
import { pAdjustBH } from '../stats/pAdjust.js';
import { centeredRanks } from '../stats/spearman.js';
import { drawPermutations, permutationPValues, type PermutationSet } from '../stats/permutation.js';

/** The validation cohort at lot level. */
export interface ValidationCohort {
  /** Lot labels (rows). */
  readonly lotNames: readonly string[];
  /** Gene labels (columns of expr). */
  readonly genes: readonly string[];
  /** Row-major nLots x nGenes expression (pseudobulk mean log expression, or bulk values); NaN = missing. */
  readonly expr: Float64Array;
  /** Readout per lot; NaN = missing. */
  readonly readout: Float64Array;
  /** Source per lot (e.g. bone_marrow, adipose, umbilical_cord); '' or null entries = unknown. Null = no sources. */
  readonly source: readonly (string | null)[] | null;
}

/** Parameters of {@link validateCandidates}. */
export interface ValidateCandidatesParams {
  /** Monte Carlo permutations when lots > exactMaxLots. @default 100000 */
  nPermutations: number;
  /** Enumerate all n! permutations up to this many lots. @default 8 */
  exactMaxLots: number;
  /** Groups (overall or one source) with fewer usable lots than this get NaN statistics. @default 4 */
  minLots: number;
}

/** Defaults of {@link ValidateCandidatesParams}. */
export const VALIDATE_DEFAULTS: ValidateCandidatesParams = { nPermutations: 100_000, exactMaxLots: 8, minLots: 4 };

/** One row per (group, candidate gene): group 'all' first, then each source in first-seen order. */
export interface ValidationTable {
  /** Candidate gene. */
  readonly gene: string[];
  /** 'all' or a source label. */
  readonly group: string[];
  /** Whether the gene is present in the cohort (0/1). */
  readonly found: Uint8Array;
  /** Lots used (gene value and readout present). */
  readonly n_lots: Int32Array;
  /** Spearman rho of expression vs readout. */
  readonly rho: Float64Array;
  /** Two-sided permutation p-value. */
  readonly pval: Float64Array;
  /** BH-adjusted pval across candidates within the group. */
  readonly padj: Float64Array;
}

/**
 * Correlates each candidate's lot expression with the readout overall and per source.
 *
 * @param candidates gene names in priority order (duplicates are dropped)
 * @param cohort lot-level expression, readout and sources
 * @param params permutation counts and minimum lots
 * @param rng seeded stream (forked per lot count)
 * @example
 * const table = validateCandidates(['LRRC75A'], cohort, VALIDATE_DEFAULTS, createRng(0));
 */
export function validateCandidates(candidates: readonly string[], cohort: ValidationCohort, params: ValidateCandidatesParams, rng: Rng): ValidationTable {
  if (!(Number.isInteger(params.nPermutations) && params.nPermutations >= 100)) throw new UsageError(`nPermutations must be an integer >= 100, got ${params.nPermutations}`);
  if (!(Number.isInteger(params.exactMaxLots) && params.exactMaxLots >= 0 && params.exactMaxLots <= 10)) throw new UsageError(`exactMaxLots must be an integer in [0, 10], got ${params.exactMaxLots}`);
  if (!(Number.isInteger(params.minLots) && params.minLots >= 3)) throw new UsageError(`minLots must be an integer >= 3, got ${params.minLots}`);
  const nLots = cohort.lotNames.length;
  const nGenes = cohort.genes.length;
  if (cohort.expr.length !== nLots * nGenes) throw new Error(`validateCandidates: expr has ${cohort.expr.length} values, expected ${nLots} x ${nGenes}`);
  if (cohort.readout.length !== nLots) throw new Error(`validateCandidates: readout has ${cohort.readout.length} values for ${nLots} lots`);
  const genes = [...new Set(candidates)];
  const column = new Map<string, number>();
  cohort.genes.forEach((g, j) => { if (!column.has(g)) column.set(g, j); });
  // Groups: all lots, then each source.
  const groups: { name: string; lots: number[] }[] = [{ name: 'all', lots: Array.from({ length: nLots }, (_, l) => l) }];
  if (cohort.source) {
    const bySource = new Map<string, number[]>();
    cohort.source.forEach((s, l) => {
      if (!s) return;
      if (!bySource.has(s)) bySource.set(s, []);
      bySource.get(s)!.push(l);
    });
    for (const [name, lots] of bySource) groups.push({ name, lots });
  }
  const out = { gene: [] as string[], group: [] as string[], found: [] as number[], n_lots: [] as number[], rho: [] as number[], pval: [] as number[], padj: [] as number[] };
  // Permutations depend only on the lot count, so groups with equal counts share them (and a
  // single-source cohort reports the same p for the source as overall).
  const permCache = new Map<number, PermutationSet>();
  for (const grp of groups) {
    const pvals = new Float64Array(genes.length);
    for (let g = 0; g < genes.length; g++) {
      const j = column.get(genes[g]);
      const used: number[] = [];
      if (j !== undefined) {
        for (const l of grp.lots) if (!Number.isNaN(cohort.readout[l]) && !Number.isNaN(cohort.expr[l * nGenes + j])) used.push(l);
      }
      const n = used.length;
      let rho = NaN;
      let p = NaN;
      if (j !== undefined && n >= params.minLots) {
        const x = new Float64Array(n);
        const y = new Float64Array(n);
        for (let u = 0; u < n; u++) {
          x[u] = cohort.expr[used[u] * nGenes + j];
          y[u] = cohort.readout[used[u]];
        }
        const cx = centeredRanks(x);
        const cy = centeredRanks(y);
        let perms = permCache.get(n);
        if (!perms) {
          perms = drawPermutations(n, { nPermutations: params.nPermutations, exactMaxN: params.exactMaxLots }, rng.fork(`lots:${n}`));
          permCache.set(n, perms);
        }
        const res = permutationPValues(cx, 1, cy, perms);
        let xx = 0;
        let yy = 0;
        for (let u = 0; u < n; u++) {
          xx += cx[u] * cx[u];
          yy += cy[u] * cy[u];
        }
        rho = xx > 0 && yy > 0 ? res.dot[0] / Math.sqrt(xx * yy) : NaN;
        p = res.pval[0];
      }
      pvals[g] = p;
      out.gene.push(genes[g]);
      out.group.push(grp.name);
      out.found.push(j === undefined ? 0 : 1);
      out.n_lots.push(n);
      out.rho.push(rho);
      out.pval.push(p);
    }
    out.padj.push(...pAdjustBH(pvals));
  }
  return {
    gene: out.gene, group: out.group, found: Uint8Array.from(out.found), n_lots: Int32Array.from(out.n_lots),
    rho: Float64Array.from(out.rho), pval: Float64Array.from(out.pval), padj: Float64Array.from(out.padj),
  };
}
