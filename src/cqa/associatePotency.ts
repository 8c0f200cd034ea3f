/**
 * Step `associate_potency`: the lot-level potency association of one analysis, from a clustered
 * AnnDataLite to the CQA candidate list.
 *
 * 1. composition: cluster counts and fractions per lot over all QC-passed cells (cells outside
 *    the clustered pool are assigned by kNN vote in X_pca);
 * 2. cluster vs readout (associateClusters): Spearman + permutation p, logit Pearson,
 *    quasi-binomial GLM, BH, leave-one-lot-out;
 * 3. gene vs readout (associateGenes) on per-lot pseudobulk of X;
 * 4. markers of each cluster (uns.markers from find_markers when present, else computed here
 *    with Seurat's FindAllMarkers defaults and only.pos) and the CQA candidate ranking
 *    (rankCqaCandidates);
 * 5. with a `condition` column holding several conditions: clusters come from the analysed
 *    condition, the others are mapped by kNN vote and the share shifts are reported.
 * Results go to `uns.cqa` as columnar tables (see {@link cqaTables} for file-ready tables).
 */
import type { AnnDataLite, Json } from '../core/adata.js';
import type { DenseMatrix } from '../core/dense.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { columnStrings, type Column } from '../core/frame.js';
import type { CsrMatrix } from '../core/sparse.js';
import type { Rng } from '../core/rng.js';
import { defineStep } from '../core/step.js';
import type { Table, TableColumn } from '../io/writeTable.js';
import { computeMarkerStats } from '../markers/findMarkers.js';
import { topMarkers } from '../markers/topMarkers.js';
import { knnExact } from '../neighbors/knnExact.js';
import { associateClusters, validateAssociateClustersParams, type ClusterAssociationTable, type Readout } from './associateClusters.js';
import { associateGenes, computePseudobulk, validateAssociateGenesParams, type GeneAssociationTable } from './associateGenes.js';
import { computeComposition, type CompositionResult, type KnnQuery } from './computeComposition.js';
import { mapCondition, type ConditionMapping } from './mapCondition.js';
import { rankCqaCandidates, type CandidateMarkers, type CqaCandidateTable } from './rankCqaCandidates.js';

/** Parameters of {@link associatePotency}. */
export interface AssociatePotencyParams {
  /** Readout obs columns (numeric, constant within each lot); null = every such numeric column. @default null */
  readouts: string[] | null;
  /** Analysed condition when obs has a `condition` column with several values; null = its first category. @default null */
  condition: string | null;
  /** Neighbours in the kNN vote for unclustered cells and other conditions. @default 15 */
  k: number;
  /** Monte Carlo permutations for cluster associations (lots > exactMaxLots). @default 100000 */
  clusterPermutations: number;
  /** Monte Carlo permutations for gene associations, shared by all genes. @default 20000 */
  genePermutations: number;
  /** Exact enumeration of all permutations up to this many lots. @default 8 */
  exactMaxLots: number;
  /** Pseudocount (cells) of the logit fractions. @default 0.5 */
  pseudocount: number;
  /** Readouts observed in fewer lots are skipped. @default 4 */
  minLots: number;
  /** Genes detected in fewer cells are not tested against readouts. @default 20 */
  minCells: number;
  /** Genes with a non-zero pseudobulk in fewer lots are not tested. @default 3 */
  minLotsExpressed: number;
  /** Marker padj threshold for the cluster route of the candidate score. @default 0.05 */
  markerPadj: number;
  /** Candidates kept per readout. @default 50 */
  nTop: number;
}

/** Defaults of {@link AssociatePotencyParams}. */
export const ASSOCIATE_POTENCY_DEFAULTS: AssociatePotencyParams = {
  readouts: null,
  condition: null,
  k: 15,
  clusterPermutations: 100_000,
  genePermutations: 20_000,
  exactMaxLots: 8,
  pseudocount: 0.5,
  minLots: 4,
  minCells: 20,
  minLotsExpressed: 3,
  markerPadj: 0.05,
  nTop: 50,
};

/** Everything the association computes, columnar. */
export interface PotencyAssociation {
  /** Lot x cluster composition of the analysed condition. */
  readonly composition: CompositionResult;
  /** Cluster share vs readout. */
  readonly clusters: ClusterAssociationTable;
  /** Gene pseudobulk vs readout. */
  readonly genes: GeneAssociationTable;
  /** Marker evidence used for the ranking. */
  readonly markers: CandidateMarkers;
  /** Ranked CQA candidates. */
  readonly candidates: CqaCandidateTable;
  /** Condition mapping (null without several conditions). */
  readonly condition: ConditionMapping | null;
  /** Readouts analysed. */
  readonly readouts: readonly Readout[];
  /** Method texts for the output metadata. */
  readonly methods: Readonly<Record<string, string>>;
}

/** Per-cell numeric/bool/categorical obs columns that are never lot readouts. */
const NOT_READOUTS = new Set(['n_counts', 'n_genes', 'pct_mito', 'pct_ribo', 'size_factor', 'total_counts', 'n_genes_by_counts']);

/** The lot value of a numeric obs column: NaN for a lot without a finite value; null when it varies within a lot. */
function lotValues(col: Column, lotCodes: Int32Array, nLots: number): Float64Array | null {
  if (col.kind !== 'numeric') return null;
  const out = new Float64Array(nLots).fill(NaN);
  for (let i = 0; i < lotCodes.length; i++) {
    const l = lotCodes[i];
    const v = col.values[i];
    if (l < 0 || Number.isNaN(v)) continue;
    if (Number.isNaN(out[l])) out[l] = v;
    else if (out[l] !== v) return null;
  }
  return out;
}

/** Reads the find_markers table from uns.markers (columnar JSON), or null when absent. */
function markersFromUns(uns: Readonly<Record<string, Json>>): CandidateMarkers | null {
  const m = uns.markers as { table?: Record<string, unknown> } | undefined;
  const t = m?.table;
  if (!t || !Array.isArray(t.cluster) || !Array.isArray(t.gene)) return null;
  const num = (v: unknown): ArrayLike<number> => (v instanceof Float64Array || v instanceof Float32Array || Array.isArray(v) ? (v as ArrayLike<number>) : []);
  if (num(t.log2fc).length !== t.gene.length || num(t.auc).length !== t.gene.length || num(t.padj).length !== t.gene.length) return null;
  return {
    cluster: (t.cluster as unknown[]).map(String),
    gene: (t.gene as unknown[]).map(String),
    geneId: Array.isArray(t.gene_id) ? (t.gene_id as unknown[]).map(String) : undefined,
    log2fc: num(t.log2fc),
    auc: num(t.auc),
    padj: num(t.padj),
  };
}

/** Input of {@link associatePotencyKernel}: typed per-cell data, no AnnDataLite. */
export interface PotencyInput {
  /** Log-normalized expression, cells x genes (only cells with a lot are used). */
  readonly x: CsrMatrix;
  /** Gene symbols (columns of x). */
  readonly genes: readonly string[];
  /** Gene ids (columns of x); the symbols when there are none. */
  readonly geneIds: readonly string[];
  /** Lot code per cell (-1 = excluded, e.g. failed QC). */
  readonly lotCodes: Int32Array;
  /** Lot labels. */
  readonly lotNames: readonly string[];
  /** Cluster code per cell (-1 = unclustered: assigned by kNN vote). */
  readonly clusterCodes: Int32Array;
  /** Cluster labels. */
  readonly clusterNames: readonly string[];
  /** PC coordinates per cell (needed when some cells are unclustered or in another condition). */
  readonly pcs?: DenseMatrix;
  /** Condition per cell and labels, plus the analysed condition's code; omit for one condition. */
  readonly condition?: { readonly codes: Int32Array; readonly names: readonly string[]; readonly reference: number };
  /** Readouts per lot. */
  readonly readouts: readonly Readout[];
  /** Marker table; null = compute one-vs-rest Wilcoxon markers (only.pos, top 20) on the clustered cells. */
  readonly markers: CandidateMarkers | null;
}

/**
 * The whole association on typed inputs (what the step runs after reading obs/obsm/uns).
 *
 * @param input per-cell codes, expression, PCs, readouts and optional markers
 * @param p parameters
 * @param rng seeded stream (forked per stage)
 * @param knn neighbour search for the votes
 * @param threads worker threads for marker statistics
 */
export async function associatePotencyKernel(input: PotencyInput, p: AssociatePotencyParams, rng: Rng, knn: KnnQuery, threads = 1): Promise<PotencyAssociation> {
  const nLots = input.lotNames.length;
  const nClusters = input.clusterNames.length;
  const methods: Record<string, string> = {};
  let condition: ConditionMapping | null = null;
  let lotCodes = input.lotCodes;
  let clusterCodes = input.clusterCodes;
  // Cells that define the clusters: clustered cells of the analysed condition.
  const defining = Int32Array.from(input.clusterCodes, (c, i) => (input.lotCodes[i] < 0 || (input.condition && input.condition.codes[i] !== input.condition.reference) ? -1 : c));
  if (input.condition && input.condition.names.length > 1) {
    if (!input.pcs) throw new AnalysisError('associate_potency: mapping other conditions needs obsm X_pca');
    // Other conditions' cells are always re-assigned by the vote, even if clustered jointly.
    condition = await mapCondition(
      { lotCodes, lotNames: input.lotNames, conditionCodes: input.condition.codes, conditionNames: input.condition.names, reference: input.condition.reference, clusterCodes: defining, clusterNames: input.clusterNames, pcs: input.pcs },
      { k: p.k },
      knn,
    );
    methods.condition = condition.method;
    // The association uses the analysed condition only, with every cell's (voted) cluster.
    const ref = input.condition.reference;
    lotCodes = Int32Array.from(lotCodes, (l, i) => (input.condition!.codes[i] === ref ? l : -1));
    clusterCodes = condition.assigned;
  }
  const composition = await computeComposition({ lotCodes, lotNames: input.lotNames, clusterCodes, clusterNames: input.clusterNames, pcs: input.pcs }, { k: p.k }, knn);
  methods.composition = composition.method;
  let lotsWithCells = 0;
  for (let l = 0; l < nLots; l++) if (composition.totals[l] > 0) lotsWithCells++;
  if (lotsWithCells < 3) throw new AnalysisError(`associate_potency needs at least 3 lots with cells, got ${lotsWithCells}`);
  const clusters = associateClusters(composition, input.readouts, { nPermutations: p.clusterPermutations, exactMaxLots: p.exactMaxLots, pseudocount: p.pseudocount, minLots: p.minLots }, rng.fork('clusters'));
  for (const [k, v] of Object.entries(clusters.method)) methods[`clusters:${k}`] = `${v}; pearson_r on logit((n + ${p.pseudocount}) / (N + ${2 * p.pseudocount})); model = quasi-binomial GLM on the standardized readout`;
  const pb = computePseudobulk(input.x, lotCodes, nLots);
  const genes = associateGenes(pb.lotMeans, pb.lotDetected, input.genes, input.geneIds, input.readouts,
    { nPermutations: p.genePermutations, exactMaxLots: p.exactMaxLots, minCells: p.minCells, minLots: p.minLotsExpressed, minReadoutLots: p.minLots }, rng.fork('genes'));
  for (const [k, v] of Object.entries(genes.method)) methods[`genes:${k}`] = `${v}; pseudobulk = mean log-normalized expression per lot`;
  let markers = input.markers;
  if (!markers) {
    // Markers on the clustered cells of the analysed condition (the pool), as find_markers sees them.
    const stats = await computeMarkerStats(input.x, defining, nClusters, { threads });
    markers = topMarkers(stats, { groups: input.clusterNames, genes: input.genes, geneIds: input.geneIds, nTop: 20, minPct: 0.1, logfcThreshold: 0.25, onlyPos: true, maxPval: 0.01 });
    methods.markers = 'one-vs-rest Wilcoxon (Seurat FindAllMarkers defaults, only.pos, top 20 per cluster) on the clustered cells';
  }
  const candidates = rankCqaCandidates(clusters, genes, markers, { markerPadj: p.markerPadj, nTop: p.nTop });
  methods.candidates = 'score = max over clusters of -log10(cluster_padj) * -log10(marker_padj) / (max over the cluster\'s markers of -log10(marker_padj)) (markers with padj < ' + p.markerPadj + ', direction = sign(log2fc) * sign(cluster_rho)) + -log10(gene_padj) * (+1 if sign(gene_rho) agrees with that direction or there is no cluster route, else -1)';
  return { composition, clusters, genes, markers, candidates, condition, readouts: input.readouts, methods };
}

/**
 * Column order of the association tables: a stable output contract (new columns are appended,
 * never inserted), shared by the step's tables and `cqamine run`.
 */
export const CQA_TABLE_COLUMNS = {
  composition: ['lot', 'cluster', 'n_cells', 'fraction'],
  cluster_association: ['readout', 'cluster', 'n_lots', 'rho', 'pval', 'padj', 'pearson_r', 'model_coef', 'model_pval', 'loo_min_abs_rho', 'loo_sign_flips'],
  gene_association: ['readout', 'gene', 'gene_id', 'n_lots', 'rho', 'pval', 'padj', 'mean_expr'],
  cqa_candidates: ['readout', 'rank', 'gene', 'gene_id', 'cluster', 'score', 'marker_log2fc', 'marker_auc', 'marker_padj', 'cluster_rho', 'cluster_padj', 'gene_rho', 'gene_pval', 'gene_padj', 'direction', 'loo_min_abs_rho'],
  condition_composition: ['condition', 'lot', 'cluster', 'n_cells', 'fraction'],
  condition_shift: ['condition', 'lot', 'cluster', 'fraction_ref', 'fraction', 'shift', 'n_lots'],
} as const;

/** Columns of a columnar object, in the given order, as a writeTable Table. */
function tableOf(obj: Record<string, unknown>, names: readonly string[]): Table {
  const columns: TableColumn[] = names.map((name) => ({ name, values: obj[name] as TableColumn['values'] }));
  return { columns };
}

/**
 * File-ready tables of a {@link PotencyAssociation}, keyed by file name: composition.tsv
 * (lot, cluster, n_cells, fraction), cluster_association.tsv, gene_association.tsv,
 * cqa_candidates.tsv and, with conditions, condition_composition.tsv and condition_shift.tsv.
 *
 * @param res the association
 * @example
 * for (const [name, table] of Object.entries(cqaTables(res))) await writeTable(join(out, name), table);
 */
export function cqaTables(res: PotencyAssociation): Record<string, Table> {
  const out: Record<string, Table> = {
    'composition.tsv': tableOf(res.composition.table, CQA_TABLE_COLUMNS.composition),
    'cluster_association.tsv': tableOf(res.clusters as unknown as Record<string, unknown>, CQA_TABLE_COLUMNS.cluster_association),
    'gene_association.tsv': tableOf(res.genes as unknown as Record<string, unknown>, CQA_TABLE_COLUMNS.gene_association),
    'cqa_candidates.tsv': tableOf(res.candidates as unknown as Record<string, unknown>, CQA_TABLE_COLUMNS.cqa_candidates),
  };
  if (res.condition) {
    out['condition_composition.tsv'] = tableOf(res.condition.composition, CQA_TABLE_COLUMNS.condition_composition);
    out['condition_shift.tsv'] = tableOf(res.condition.shift, CQA_TABLE_COLUMNS.condition_shift);
  }
  return out;
}

/** Columnar JSON of a table object (typed arrays and string arrays are Json already). */
function jsonOf(obj: object, skip: readonly string[] = []): Json {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(obj)) if (!skip.includes(k)) out[k] = v as Json;
  return out;
}

/** Reads the per-cell inputs of the step from an AnnDataLite (errors name the missing key). */
function potencyInputOf(adata: AnnDataLite, p: AssociatePotencyParams): PotencyInput {
  const lot = adata.obs.get('lot');
  if (!lot || lot.kind !== 'categorical') throw new AnalysisError("associate_potency needs a categorical obs 'lot'; load lots from a sample sheet");
  const cluster = adata.obs.get('cluster');
  if (!cluster || cluster.kind !== 'categorical') throw new AnalysisError("associate_potency needs a categorical obs 'cluster'; run clustering first");
  const lotCodes = Int32Array.from(lot.codes);
  const passed = adata.obs.get('passed_qc');
  if (passed && passed.kind === 'bool') for (let i = 0; i < lotCodes.length; i++) if (!passed.values[i]) lotCodes[i] = -1;
  const nLots = lot.categories.length;
  const readouts: Readout[] = [];
  const names = p.readouts ?? adata.obs.columnNames.filter((n) => !NOT_READOUTS.has(n) && adata.obs.get(n)!.kind === 'numeric');
  for (const name of names) {
    const col = adata.obs.get(name);
    if (!col) throw new UsageError(`associate_potency: readout '${name}' is not an obs column (columns: ${adata.obs.columnNames.join(', ')})`);
    const v = lotValues(col, lotCodes, nLots);
    if (!v) {
      if (p.readouts) throw new UsageError(`associate_potency: readout '${name}' must be numeric and constant within each lot`);
      continue;
    }
    if (v.some((x) => !Number.isNaN(x))) readouts.push({ name, values: v });
  }
  let condition: PotencyInput['condition'];
  const cond = adata.obs.get('condition');
  if (cond && cond.kind === 'categorical') {
    const used = new Set<number>();
    for (const c of cond.codes) if (c >= 0) used.add(c);
    if (used.size > 1) {
      const reference = p.condition === null ? Math.min(...used) : cond.categories.indexOf(p.condition);
      if (reference < 0) throw new UsageError(`associate_potency: condition '${p.condition}' is not one of ${cond.categories.join(', ')}`);
      condition = { codes: cond.codes, names: cond.categories, reference };
    }
  }
  const ids = adata.var.get('gene_ids');
  const geneIds = ids && (ids.kind === 'string' || ids.kind === 'categorical') ? columnStrings(ids) : adata.varNames;
  return {
    x: adata.X,
    genes: adata.varNames,
    geneIds,
    lotCodes,
    lotNames: lot.categories,
    clusterCodes: cluster.codes,
    clusterNames: cluster.categories,
    pcs: adata.obsm.X_pca,
    condition,
    readouts,
    markers: markersFromUns(adata.uns),
  };
}

/**
 * Step `associate_potency`: composition, cluster and gene association with lot readouts, and CQA
 * candidates, stored in `uns.cqa` ({composition, cluster_association, gene_association,
 * candidates, condition_composition?, condition_shift?, methods}).
 *
 * @example
 * const out = await associatePotency(adata, { readouts: ['vegf_hypoxia'] }, { rng, threads: 2 });
 * out.uns.cqa; // tables, see cqaTables() for TSV output
 */
export const associatePotency = defineStep<AssociatePotencyParams>({
  name: 'associate_potency',
  allocatesLittle: () => true,
  defaults: ASSOCIATE_POTENCY_DEFAULTS,
  validate: (p) => {
    if (!(Number.isInteger(p.k) && p.k >= 1)) throw new UsageError(`associate_potency: k must be a positive integer, got ${p.k}`);
    validateAssociateClustersParams({ nPermutations: p.clusterPermutations, exactMaxLots: p.exactMaxLots, pseudocount: p.pseudocount, minLots: p.minLots });
    validateAssociateGenesParams({ nPermutations: p.genePermutations, exactMaxLots: p.exactMaxLots, minCells: p.minCells, minLots: p.minLotsExpressed, minReadoutLots: p.minLots });
    if (!(p.markerPadj > 0 && p.markerPadj <= 1)) throw new UsageError(`associate_potency: markerPadj must be in (0, 1], got ${p.markerPadj}`);
    if (!(Number.isInteger(p.nTop) && p.nTop >= 0)) throw new UsageError(`associate_potency: nTop must be an integer >= 0, got ${p.nTop}`);
    if (p.readouts !== null && !Array.isArray(p.readouts)) throw new UsageError('associate_potency: readouts must be a list of obs column names or null');
  },
  run: async (adata, p, ctx) => {
    const input = potencyInputOf(adata, p);
    if (input.readouts.length === 0) throw new AnalysisError('associate_potency: no lot readout found (numeric obs columns constant within each lot); add readout columns to the sample sheet');
    const knn: KnnQuery = async (ref, query, k) => knnExact(ref, k, { query, threads: ctx.threads });
    const res = await associatePotencyKernel(input, p, ctx.rng, knn, ctx.threads);
    ctx.log.info({ readouts: res.readouts.map((r) => r.name), nVoted: res.composition.nVoted, topCandidates: res.candidates.gene.slice(0, 5) }, 'potency association');
    const cqa: Record<string, Json> = {
      composition: jsonOf(res.composition.table),
      cluster_association: jsonOf(res.clusters, ['method']),
      gene_association: jsonOf(res.genes, ['method', 'gene_index']),
      candidates: jsonOf(res.candidates),
      methods: res.methods as Json,
    };
    if (res.condition) {
      cqa.condition_composition = jsonOf(res.condition.composition);
      cqa.condition_shift = jsonOf(res.condition.shift);
    }
    return adata.with({ uns: { ...adata.uns, cqa } });
  },
});
