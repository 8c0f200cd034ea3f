/**
 * The marker table: Seurat's `FindAllMarkers` filters applied to per-gene statistics, multiple
 * testing adjustment, and the top N genes per group.
 *
 * Per group, a gene is *tested* (Seurat's pre-filter in `FindMarkers`) when
 *   max(round(pct_in, 3), round(pct_out, 3)) >= minPct  and
 *   log2fc >= logfcThreshold (onlyPos) or |log2fc| >= logfcThreshold (otherwise).
 * `padj` is Benjamini-Hochberg over the tested genes of that group (R `p.adjust(p, "BH")`);
 * `padjBonferroni` is Seurat's `p_val_adj` = min(1, p * number of genes in the data).
 * A tested gene is *reported* when p < maxPval (FindAllMarkers' return.thresh) and, with onlyPos,
 * log2fc > 0. Reported genes are ranked by p ascending, then |log2FC| descending (Seurat orders
 * by p_val, then -avg_log2FC), then gene index; the first nTop are kept.
 */
import { pAdjustBH } from '../stats/pAdjust.js';
import type { MarkerStats } from './findMarkers.js';

/** Options of {@link topMarkers}. */
export interface TopMarkersOptions {
  /** Group labels, one per row of the statistics. */
  readonly groups: readonly string[];
  /** Gene names (var index), one per gene. */
  readonly genes: readonly string[];
  /** Gene ids (var `gene_ids`), one per gene; use the names when there are none. */
  readonly geneIds: readonly string[];
  /** Genes kept per group; Infinity keeps every reported gene. */
  readonly nTop: number;
  /** Seurat min.pct on max of the 3-digit rounded pct_in / pct_out. */
  readonly minPct: number;
  /** Seurat logfc.threshold. */
  readonly logfcThreshold: number;
  /** Seurat only.pos. */
  readonly onlyPos: boolean;
  /** Report genes with p < maxPval (Seurat FindAllMarkers return.thresh, 0.01). */
  readonly maxPval: number;
  /** Group indices to report (null = all), e.g. [0] for a pairwise comparison. */
  readonly groupsToReport?: readonly number[] | null;
}

/** The marker table, one row per (group, gene), columnar. */
export interface MarkerTable {
  /** Group label. */
  readonly cluster: string[];
  /** 1-based rank within the group. */
  readonly rank: Int32Array;
  /** Gene name. */
  readonly gene: string[];
  /** Gene id. */
  readonly geneId: string[];
  /** Index of the gene in the data. */
  readonly geneIndex: Int32Array;
  /** Seurat 4 log2 fold change. */
  readonly log2fc: Float64Array;
  /** Area under the ROC curve. */
  readonly auc: Float64Array;
  /** Fraction of in-group cells expressing the gene (full precision). */
  readonly pctIn: Float64Array;
  /** Fraction of comparison cells expressing the gene (full precision). */
  readonly pctOut: Float64Array;
  /** Raw p-value. */
  readonly pval: Float64Array;
  /** Benjamini-Hochberg adjusted p over the group's tested genes. */
  readonly padj: Float64Array;
  /** Bonferroni over all genes (Seurat p_val_adj). */
  readonly padjBonferroni: Float64Array;
}

/**
 * R's `round(x, 3)` as R >= 4.0.0 computes it (documented in `?round`): take the two 3-digit
 * candidates xd = floor(1000 x)/1000 and xu = ceil(1000 x)/1000, return the one closer to x with
 * the differences computed in doubles, and on a tie the one whose last digit is even. This
 * differs from rounding the exact binary value: R gives round(0.4625, 3) = 0.462 and
 * round(0.7875, 3) = 0.787 (both verified against Seurat's pct.1 on pbmc3k).
 */
export function roundPct3(x: number): number {
  if (!Number.isFinite(x)) return x;
  const x10 = x * 1000;
  const i10 = Math.floor(x10);
  const xd = i10 / 1000;
  const xu = Math.ceil(x10) / 1000;
  const du = xu - x;
  const dd = x - xd;
  return du < dd || (du === dd && i10 % 2 === 1) ? xu : xd;
}

/**
 * Builds the marker table from {@link MarkerStats} (see the module comment for the rules).
 *
 * @param stats group-major statistics from `computeMarkerStats`.
 * @param opts filters, labels and N.
 * @returns rows grouped by group (in group order), ranked within each group.
 * @example
 * const table = topMarkers(stats, { groups, genes, geneIds: genes, nTop: 20, minPct: 0.1,
 *   logfcThreshold: 0.25, onlyPos: true, maxPval: 0.01 });
 */
export function topMarkers(stats: MarkerStats, opts: TopMarkersOptions): MarkerTable {
  const { nGenes, nGroups } = stats;
  if (opts.groups.length !== nGroups) throw new Error(`topMarkers: ${opts.groups.length} group labels for ${nGroups} groups`);
  if (opts.genes.length !== nGenes || opts.geneIds.length !== nGenes) {
    throw new Error(`topMarkers: ${opts.genes.length} names / ${opts.geneIds.length} ids for ${nGenes} genes`);
  }
  const report = opts.groupsToReport ?? Array.from({ length: nGroups }, (_, g) => g);
  const rowsGroup: number[] = [];
  const rowsGene: number[] = [];
  const rowsPadj: number[] = [];
  for (const g of report) {
    const base = g * nGenes;
    // Tested genes of this group and their BH-adjusted p-values.
    const tested: number[] = [];
    for (let j = 0; j < nGenes; j++) {
      const fc = stats.log2fc[base + j];
      const pctMax = Math.max(roundPct3(stats.pctIn[base + j]), roundPct3(stats.pctOut[base + j]));
      if (!(pctMax >= opts.minPct)) continue;
      if (!(opts.onlyPos ? fc >= opts.logfcThreshold : Math.abs(fc) >= opts.logfcThreshold)) continue;
      if (Number.isNaN(stats.pval[base + j])) continue;
      tested.push(j);
    }
    const p = new Float64Array(tested.length);
    for (let t = 0; t < tested.length; t++) p[t] = stats.pval[base + tested[t]];
    const padj = pAdjustBH(p);
    // Reported genes, ranked by p then |log2FC| descending then gene index.
    const keep: number[] = [];
    for (let t = 0; t < tested.length; t++) {
      const j = tested[t];
      if (!(p[t] < opts.maxPval)) continue;
      if (opts.onlyPos && !(stats.log2fc[base + j] > 0)) continue;
      keep.push(t);
    }
    keep.sort((a, b) => {
      if (p[a] !== p[b]) return p[a] - p[b];
      const fa = Math.abs(stats.log2fc[base + tested[a]]);
      const fb = Math.abs(stats.log2fc[base + tested[b]]);
      if (fa !== fb) return fb - fa;
      return tested[a] - tested[b];
    });
    const nKeep = Math.min(keep.length, opts.nTop);
    for (let r = 0; r < nKeep; r++) {
      rowsGroup.push(g);
      rowsGene.push(tested[keep[r]]);
      rowsPadj.push(padj[keep[r]]);
    }
  }
  const n = rowsGene.length;
  const table: MarkerTable = {
    cluster: new Array<string>(n),
    rank: new Int32Array(n),
    gene: new Array<string>(n),
    geneId: new Array<string>(n),
    geneIndex: Int32Array.from(rowsGene),
    log2fc: new Float64Array(n),
    auc: new Float64Array(n),
    pctIn: new Float64Array(n),
    pctOut: new Float64Array(n),
    pval: new Float64Array(n),
    padj: Float64Array.from(rowsPadj),
    padjBonferroni: new Float64Array(n),
  };
  let rank = 0;
  for (let r = 0; r < n; r++) {
    const g = rowsGroup[r];
    const j = rowsGene[r];
    const o = g * nGenes + j;
    rank = r > 0 && rowsGroup[r - 1] === g ? rank + 1 : 1;
    table.cluster[r] = opts.groups[g];
    table.rank[r] = rank;
    table.gene[r] = opts.genes[j];
    table.geneId[r] = opts.geneIds[j];
    table.log2fc[r] = stats.log2fc[o];
    table.auc[r] = stats.auc[o];
    table.pctIn[r] = stats.pctIn[o];
    table.pctOut[r] = stats.pctOut[o];
    table.pval[r] = stats.pval[o];
    const bonf = stats.pval[o] * nGenes;
    table.padjBonferroni[r] = bonf < 1 ? bonf : 1;
  }
  return table;
}
