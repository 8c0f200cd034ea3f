/**
 * CQA candidates: per readout, genes ranked by combined evidence that their expression could
 * serve as a critical quality attribute (a lot-release biomarker) for the readout.
 *
 * Two kinds of evidence, as in Miura et al. 2023 (the share of cluster CL3 tracked VEGF
 * secretion; its top up-regulated genes held the biomarker LRRC75A):
 *
 * 1. Cluster route. A gene that marks a cluster (marker padj < `markerPadj`) inherits that
 *    cluster's association with the readout, weighted by the marker's strength relative to the
 *    cluster's strongest marker:
 *      C(g, c) = -log10(cluster_padj(r, c)) * m(g, c),
 *      m(g, c) = -log10(marker_padj(g, c)) / max_h -log10(marker_padj(h, c))  in (0, 1]
 *    (1 for the cluster's top marker in Seurat's order, smaller for weaker ones). Why the marker
 *    p-value and not the fold change or AUC: a lot-level biomarker must track the cluster's
 *    share, so it should be expressed specifically in the cluster; the Wilcoxon p of a gene
 *    detected almost only in the cluster is the smallest even when its log fold change (damped
 *    by the pseudocount at low expression) and AUC (lowered by dropouts) are not, while broadly
 *    expressed program genes with large fold changes move little at lot level. On the project's
 *    simulated cohorts this ordering puts the planted marker first; weighting by |log2FC| * |2 AUC - 1|
 *    did not (it favoured highly expressed program genes).
 *    The route is direction-aware: a gene up in a cluster whose share rises with the readout
 *    (or down in a cluster whose share falls) implies a positive gene-readout association,
 *      d(g, c) = sign(log2fc(g, c)) * sign(cluster_rho(r, c)).
 *    The gene keeps its best cluster c* = argmax_c C(g, c): C = C(g, c*), d = d(g, c*).
 * 2. Lot route. The gene's own lot pseudobulk correlates with the readout:
 *      G(g) = -log10(gene_padj(r, g)) * s,
 *    on the BH-adjusted scale like the cluster route, so that the best of thousands of null
 *    genes (whose raw p is small by chance alone) does not outrank a marker of an associated
 *    cluster;
 *    s = +1 when sign(gene_rho) agrees with d (or when there is no cluster route, d = 0) and -1
 *    when it contradicts it, so a gene whose lot-level expression moves against what its cluster
 *    implies is demoted rather than promoted.
 *
 *   score(g, r) = C + G   (a missing route contributes 0)
 *
 * Both terms are on the -log10(FDR) scale, so neither dominates by construction; a gene that is
 * the strongest marker of the readout-associated cluster *and* tracks the readout at lot level
 * (the planted marker of a simulated potency cluster) scores highest. Ties are broken by gene name
 * for a deterministic order.
 */
import { UsageError } from '../core/errors.js';
import type { ClusterAssociationTable } from './associateClusters.js';
import type { GeneAssociationTable } from './associateGenes.js';

/** The marker columns the ranking uses (the `MarkerTable` of markers/topMarkers satisfies it). */
export interface CandidateMarkers {
  /** Cluster label per row. */
  readonly cluster: readonly string[];
  /** Gene symbol per row. */
  readonly gene: readonly string[];
  /** Gene id per row. */
  readonly geneId?: readonly string[];
  /** log2 fold change of the cluster vs the rest. */
  readonly log2fc: ArrayLike<number>;
  /** AUC of the cluster vs the rest. */
  readonly auc: ArrayLike<number>;
  /** Adjusted marker p-value. */
  readonly padj: ArrayLike<number>;
}

/** Parameters of {@link rankCqaCandidates}. */
export interface RankCqaCandidatesParams {
  /** Markers with padj below this count as cluster evidence. @default 0.05 */
  markerPadj: number;
  /** Candidates kept per readout (0 = all with a positive score). @default 50 */
  nTop: number;
}

/** Defaults of {@link RankCqaCandidatesParams}. */
export const RANK_CQA_DEFAULTS: RankCqaCandidatesParams = { markerPadj: 0.05, nTop: 50 };

/** Column-oriented candidate table, readouts in input order, ranked within each readout. */
export interface CqaCandidateTable {
  /** Readout name. */
  readonly readout: string[];
  /** 1-based rank within the readout. */
  readonly rank: Int32Array;
  /** Gene symbol. */
  readonly gene: string[];
  /** Gene id. */
  readonly gene_id: string[];
  /** Best supporting cluster ('' when none). */
  readonly cluster: string[];
  /** Combined score C + G (see the module comment). */
  readonly score: Float64Array;
  /** Implied direction of the gene-readout association: +1, -1, or 0 when unknown. */
  readonly direction: Int32Array;
  /** Marker log2 fold change in the best cluster (NaN when none). */
  readonly marker_log2fc: Float64Array;
  /** Marker AUC in the best cluster. */
  readonly marker_auc: Float64Array;
  /** Marker adjusted p in the best cluster. */
  readonly marker_padj: Float64Array;
  /** Spearman rho of the best cluster's share with the readout. */
  readonly cluster_rho: Float64Array;
  /** BH-adjusted p of that cluster association. */
  readonly cluster_padj: Float64Array;
  /** Spearman rho of the gene's lot pseudobulk with the readout (NaN when not tested). */
  readonly gene_rho: Float64Array;
  /** Permutation p of gene_rho. */
  readonly gene_pval: Float64Array;
  /** BH-adjusted gene_pval. */
  readonly gene_padj: Float64Array;
  /** Leave-one-lot-out min |rho| of the best cluster. */
  readonly loo_min_abs_rho: Float64Array;
}

/** -log10(p), 0 for a missing p. */
function nlog10(p: number): number {
  return Number.isNaN(p) ? 0 : -Math.log10(Math.max(p, 1e-300));
}

/**
 * Ranks CQA candidate genes per readout by combined cluster and lot-level evidence.
 *
 * @param clusters cluster share vs readout table
 * @param genes gene pseudobulk vs readout table (null to rank by the cluster route only)
 * @param markers per-cluster marker table (null to rank by the lot route only)
 * @param params marker threshold and list length
 * @example
 * const cands = rankCqaCandidates(clusterTable, geneTable, markerTable, RANK_CQA_DEFAULTS);
 * cands.gene[0]; // the top candidate of the first readout
 */
export function rankCqaCandidates(
  clusters: ClusterAssociationTable,
  genes: GeneAssociationTable | null,
  markers: CandidateMarkers | null,
  params: RankCqaCandidatesParams = RANK_CQA_DEFAULTS,
): CqaCandidateTable {
  if (!(params.markerPadj > 0 && params.markerPadj <= 1)) throw new UsageError(`markerPadj must be in (0, 1], got ${params.markerPadj}`);
  if (!(Number.isInteger(params.nTop) && params.nTop >= 0)) throw new UsageError(`nTop must be an integer >= 0, got ${params.nTop}`);
  const readouts: string[] = [];
  for (const r of clusters.readout) if (!readouts.includes(r)) readouts.push(r);
  if (genes) for (const r of genes.readout) if (!readouts.includes(r)) readouts.push(r);
  const out = {
    readout: [] as string[], rank: [] as number[], gene: [] as string[], gene_id: [] as string[], cluster: [] as string[],
    score: [] as number[], direction: [] as number[], marker_log2fc: [] as number[], marker_auc: [] as number[], marker_padj: [] as number[],
    cluster_rho: [] as number[], cluster_padj: [] as number[], gene_rho: [] as number[], gene_pval: [] as number[], gene_padj: [] as number[],
    loo_min_abs_rho: [] as number[],
  };
  for (const r of readouts) {
    // Cluster association rows of this readout, by cluster label.
    const clusterRow = new Map<string, number>();
    for (let t = 0; t < clusters.readout.length; t++) if (clusters.readout[t] === r) clusterRow.set(clusters.cluster[t], t);
    // Per gene: best cluster-route evidence.
    interface Cand { gene: string; geneId: string; c: number; d: number; marker: number; clusterAt: number; geneAt: number }
    const cands = new Map<string, Cand>();
    const get = (gene: string, geneId: string): Cand => {
      let c = cands.get(gene);
      if (!c) {
        c = { gene, geneId, c: 0, d: 0, marker: -1, clusterAt: -1, geneAt: -1 };
        cands.set(gene, c);
      }
      return c;
    };
    if (markers) {
      // Strongest marker evidence per cluster, the denominator of m(g, c).
      const topMarker = new Map<string, number>();
      for (let t = 0; t < markers.gene.length; t++) {
        if (!(markers.padj[t] < params.markerPadj)) continue;
        const v = nlog10(markers.padj[t]);
        if (v > (topMarker.get(markers.cluster[t]) ?? 0)) topMarker.set(markers.cluster[t], v);
      }
      for (let t = 0; t < markers.gene.length; t++) {
        if (!(markers.padj[t] < params.markerPadj)) continue;
        const at = clusterRow.get(markers.cluster[t]);
        if (at === undefined) continue;
        const rho = clusters.rho[at];
        const padj = clusters.padj[at];
        if (Number.isNaN(rho) || Number.isNaN(padj)) continue;
        const ev = (nlog10(padj) * nlog10(markers.padj[t])) / topMarker.get(markers.cluster[t])!;
        const cand = get(markers.gene[t], markers.geneId ? markers.geneId[t] : markers.gene[t]);
        if (cand.marker < 0 || ev > cand.c) {
          cand.c = ev;
          cand.d = Math.sign(markers.log2fc[t]) * Math.sign(rho);
          cand.marker = t;
          cand.clusterAt = at;
        }
      }
    }
    if (genes) {
      for (let t = 0; t < genes.readout.length; t++) {
        if (genes.readout[t] !== r) continue;
        const cand = get(genes.gene[t], genes.gene_id[t]);
        cand.geneAt = t;
        // The expression data's id wins over the marker table's (which may repeat the symbol).
        cand.geneId = genes.gene_id[t];
      }
    }
    const list = [...cands.values()];
    const scoreOf = new Float64Array(list.length);
    for (let q = 0; q < list.length; q++) {
      const c = list[q];
      let g = 0;
      if (c.geneAt >= 0 && genes) {
        const rho = genes.rho[c.geneAt];
        const agree = c.d === 0 || Math.sign(rho) === c.d ? 1 : -1;
        g = Number.isNaN(rho) ? 0 : nlog10(genes.padj[c.geneAt]) * agree;
      }
      scoreOf[q] = c.c + g;
    }
    const order = list.map((_, q) => q);
    order.sort((a, b) => scoreOf[b] - scoreOf[a] || (list[a].gene < list[b].gene ? -1 : list[a].gene > list[b].gene ? 1 : 0));
    let rank = 0;
    for (const q of order) {
      if (!(scoreOf[q] > 0)) break;
      if (params.nTop > 0 && rank >= params.nTop) break;
      rank++;
      const c = list[q];
      const hasM = c.marker >= 0 && markers;
      out.readout.push(r);
      out.rank.push(rank);
      out.gene.push(c.gene);
      out.gene_id.push(c.geneId);
      out.cluster.push(hasM ? clusters.cluster[c.clusterAt] : '');
      out.score.push(scoreOf[q]);
      const geneRho = c.geneAt >= 0 && genes ? genes.rho[c.geneAt] : NaN;
      out.direction.push(c.d !== 0 ? c.d : Number.isNaN(geneRho) ? 0 : Math.sign(geneRho));
      out.marker_log2fc.push(hasM ? markers.log2fc[c.marker] : NaN);
      out.marker_auc.push(hasM ? markers.auc[c.marker] : NaN);
      out.marker_padj.push(hasM ? markers.padj[c.marker] : NaN);
      out.cluster_rho.push(hasM ? clusters.rho[c.clusterAt] : NaN);
      out.cluster_padj.push(hasM ? clusters.padj[c.clusterAt] : NaN);
      out.gene_rho.push(geneRho);
      out.gene_pval.push(c.geneAt >= 0 && genes ? genes.pval[c.geneAt] : NaN);
      out.gene_padj.push(c.geneAt >= 0 && genes ? genes.padj[c.geneAt] : NaN);
      out.loo_min_abs_rho.push(hasM ? clusters.loo_min_abs_rho[c.clusterAt] : NaN);
    }
  }
  return {
    readout: out.readout, rank: Int32Array.from(out.rank), gene: out.gene, gene_id: out.gene_id, cluster: out.cluster,
    score: Float64Array.from(out.score), direction: Int32Array.from(out.direction),
    marker_log2fc: Float64Array.from(out.marker_log2fc), marker_auc: Float64Array.from(out.marker_auc), marker_padj: Float64Array.from(out.marker_padj),
    cluster_rho: Float64Array.from(out.cluster_rho), cluster_padj: Float64Array.from(out.cluster_padj),
    gene_rho: Float64Array.from(out.gene_rho), gene_pval: Float64Array.from(out.gene_pval), gene_padj: Float64Array.from(out.gene_padj),
    loo_min_abs_rho: Float64Array.from(out.loo_min_abs_rho),
  };
}
