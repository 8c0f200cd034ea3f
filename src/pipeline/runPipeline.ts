/**
 * The whole analysis of `cqamine run`: lots -> QC -> balanced pool -> normalization -> HVGs ->
 * PCA -> neighbours -> clusters -> UMAP -> markers -> lot composition -> potency association ->
 * CQA candidates. It returns every result in memory; `writeRunOutputs` turns them into files.
 *
 * Cell sets, from largest to smallest:
 * - all cells read (cells.tsv lists every one, with its QC verdict);
 * - QC-passed cells of the analysed condition: normalized, placed in PC space, counted in the
 *   lot composition and in the gene pseudobulks;
 * - the balanced pool: about the same number of cells per lot (Miura et al. 2023), on which HVGs,
 *   PCA, the graph, clusters, UMAP and markers are computed. Cells outside the pool are projected
 *   onto the pool's PCs and take the cluster of their nearest pooled cells (kNN vote);
 * - QC-passed cells of other conditions are mapped onto the clusters the same way.
 */
import { AnnDataLite } from '../core/adata.js';
import type { Json } from '../core/adata.js';
import type { DenseMatrix } from '../core/dense.js';
import { AnalysisError, InputError } from '../core/errors.js';
import { columnStrings } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { createRng } from '../core/rng.js';
import type { RunContext } from '../core/step.js';
import { readSampleSheet, type SampleSheet } from '../io/readSampleSheet.js';
import { loadLots, type LoadedLotInfo } from '../io/loadLots.js';
import { computeQcMetrics } from '../qc/computeQcMetrics.js';
import { filterCells, lotCodes } from '../qc/filterCells.js';
import { filterGenes } from '../qc/filterGenes.js';
import { balanceLotsStep } from '../pool/balanceLots.js';
import { logNormalize } from '../normalize/logNormalize.js';
import { selectHvgs } from '../reduce/selectHvgs.js';
import { scaleData } from '../reduce/scaleData.js';
import { runPca } from '../reduce/runPca.js';
import { pcaProjectionOf, projectPcaKernel } from '../reduce/projectPca.js';
import { findNeighbors } from '../neighbors/findNeighbors.js';
import { assignByKnn } from '../neighbors/assignByKnn.js';
import { clusterGraph } from '../cluster/clusterGraph.js';
import { clusterKmeans } from '../cluster/clusterKmeans.js';
import { runUmap } from '../reduce/runUmap.js';
import { computeMarkerStats, type MarkerStats } from '../markers/findMarkers.js';
import { topMarkers, type MarkerTable } from '../markers/topMarkers.js';
import { computeComposition, type CompositionResult } from '../cqa/computeComposition.js';
import { associateClusters, type ClusterAssociationTable, type Readout } from '../cqa/associateClusters.js';
import { associateGenes, computePseudobulk, type GeneAssociationTable } from '../cqa/associateGenes.js';
import { rankCqaCandidates, type CqaCandidateTable } from '../cqa/rankCqaCandidates.js';
import { validateRunSettings, type PipelineConfig } from './pipelineConfig.js';

/** Lots needed before cluster/gene-readout association is attempted. */
export const MIN_ASSOCIATION_LOTS = 3;

/** Everything `cqamine run` computed. */
export interface PipelineResult {
  readonly config: PipelineConfig;
  readonly sheet: SampleSheet;
  readonly lots: readonly LoadedLotInfo[];
  /** All cells read, with QC metrics and verdicts in obs (no expression analysis). */
  readonly allCells: AnnDataLite;
  /** Per-cell outputs aligned with `allCells` rows. */
  readonly cellPool: Uint8Array;
  /** Cluster code per cell of `allCells` (-1 = no cluster: failed QC). */
  readonly cellCluster: Int32Array;
  /** UMAP coordinates per cell of `allCells` (NaN outside the pool). */
  readonly cellUmap: Float64Array;
  /** The analysed pool (counts layer, normalized X, PCA, graphs, clusters, UMAP). */
  readonly pool: AnnDataLite;
  readonly clusterNames: readonly string[];
  /** Per-lot QC table from filter_cells plus the pooled count. */
  readonly qcTable: Readonly<Record<string, Json>>;
  readonly markerStats: MarkerStats;
  /** Top markers per cluster (markers.tsv). */
  readonly markers: MarkerTable;
  readonly composition: CompositionResult;
  /** Composition per condition when the sheet has several (analysed condition first). */
  readonly conditionComposition: readonly { condition: string; composition: CompositionResult }[];
  /** Readouts analysed (with at least MIN_ASSOCIATION_LOTS lots). */
  readonly readouts: readonly Readout[];
  readonly clusterAssociation: ClusterAssociationTable | null;
  readonly geneAssociation: GeneAssociationTable | null;
  readonly candidates: CqaCandidateTable | null;
  /** Warnings and notes for the summary and the report. */
  readonly notes: readonly string[];
  /** Step timings in ms, in run order. */
  readonly timings: readonly { step: string; ms: number }[];
}

/** Indices where `mask` is non-zero. */
function whichNonZero(mask: ArrayLike<number>): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  const out = new Int32Array(n);
  for (let i = 0, t = 0; i < mask.length; i++) if (mask[i]) out[t++] = i;
  return out;
}

/** Numeric values of a bool obs column. */
function boolColumn(adata: AnnDataLite, key: string): Uint8Array {
  const c = adata.obs.require(key);
  if (c.kind !== 'bool') throw new Error(`obs '${key}' is ${c.kind}, expected bool`);
  return c.values;
}

/** Categorical codes and labels of obs[key]. */
function categorical(adata: AnnDataLite, key: string): { codes: Int32Array; categories: readonly string[] } {
  const c = adata.obs.require(key);
  if (c.kind !== 'categorical') throw new Error(`obs '${key}' is ${c.kind}, expected categorical`);
  return { codes: c.codes, categories: c.categories };
}

/** Checks the requested readouts against the sheet: each must be a numeric column. */
function chooseReadouts(sheet: SampleSheet, requested: readonly string[]): string[] {
  if (requested.length === 0) return [...sheet.readoutNames];
  for (const name of requested) {
    if (sheet.readoutNames.includes(name)) continue;
    if (sheet.extraNames.includes(name)) {
      throw new InputError(`${sheet.path}: expected numeric values in readout column '${name}', got text (every value is non-numeric)`);
    }
    throw new InputError(`${sheet.path}: expected a readout column '${name}', got none (numeric columns: ${sheet.readoutNames.join(', ') || 'none'})`);
  }
  return [...requested];
}

/** Per-lot readout values in lot order (NaN = missing). */
function readoutValues(sheet: SampleSheet, lotNames: readonly string[], name: string): Float64Array {
  const byLot = new Map(sheet.lots.map((l) => [l.lot, l.readouts[name]]));
  const out = new Float64Array(lotNames.length);
  for (let l = 0; l < lotNames.length; l++) {
    const v = byLot.get(lotNames[l]);
    out[l] = v === null || v === undefined ? NaN : v;
  }
  return out;
}

/** Runs the analysis; `log` receives step logs, `progress` fractions of long steps. */
export async function runPipeline(config: PipelineConfig, log: Logger, progress?: RunContext['progress']): Promise<PipelineResult> {
  const run = config.run;
  validateRunSettings(run);
  if (!run.samples) throw new InputError('no sample sheet given: pass --samples FILE (or run.samples in the config)');
  const timings: { step: string; ms: number }[] = [];
  const notes: string[] = [];
  const rng = createRng(run.seed);
  const ctx: RunContext = { log, rng, threads: run.threads, progress };
  const timed = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    timings.push({ step, ms: Math.round(performance.now() - t0) });
    return out;
  };

  // 1. Inputs.
  const sheet = await timed('read_samples', () => readSampleSheet(run.samples!));
  const readoutNames = chooseReadouts(sheet, run.readouts);
  const loaded = await timed('load_lots', () => loadLots(sheet, { join: run.join }, log));

  // 2. QC on every cell; verdicts stay in obs for cells.tsv.
  let all = await timed('qc_metrics', () => computeQcMetrics(loaded.adata, config.qc_metrics, ctx));
  all = await timed('filter_cells', () => filterCells(all, { ...config.filter_cells, lotKey: 'lot', subset: false }, ctx));
  const lotInfo = lotCodes(all.obs, 'lot');
  const passed = boolColumn(all, 'passed_qc');

  // 3. The analysed condition.
  const conditionCol = all.obs.get('condition');
  const conditionOf = conditionCol ? columnStrings(conditionCol) : null;
  const conditions = conditionOf ? [...new Set(conditionOf.filter((c) => c !== ''))] : [];
  let analysed = run.condition;
  if (analysed !== null && !conditions.includes(analysed)) {
    throw new InputError(`${sheet.path}: expected condition '${analysed}' in the 'condition' column, got ${conditions.length ? conditions.join(', ') : 'no condition column'}`);
  }
  if (analysed === null && conditions.length > 1) {
    analysed = conditions[0];
    notes.push(`several conditions (${conditions.join(', ')}): analysing '${analysed}' (the first in the sheet; set --condition to choose); the others are mapped onto its clusters`);
  }
  const inAnalysis = new Uint8Array(all.nObs);
  const inOther = new Uint8Array(all.nObs);
  for (let i = 0; i < all.nObs; i++) {
    if (!passed[i]) continue;
    if (analysed === null || conditionOf![i] === analysed) inAnalysis[i] = 1;
    else inOther[i] = 1;
  }

  // Lots with no QC-passed cells are dropped with a warning; no cells at all is an error.
  const perLot = new Int32Array(lotInfo.labels.length);
  for (let i = 0; i < all.nObs; i++) if (inAnalysis[i]) perLot[lotInfo.codes[i]]++;
  const emptyLots = lotInfo.labels.filter((_, l) => perLot[l] === 0);
  if (emptyLots.length === lotInfo.labels.length) {
    throw new AnalysisError(`no cells passed QC in any lot${analysed ? ` of condition '${analysed}'` : ''}; loosen the filter_cells thresholds`);
  }
  for (const lot of emptyLots) {
    const note = `lot '${lot}' has no cells after QC${analysed ? ` in condition '${analysed}'` : ''} and is left out`;
    notes.push(note);
    log.warn({ lot }, note);
  }

  // 4. Normalize the analysed QC-passed cells (per-cell scaling: pooling does not change it).
  const analysedRows = whichNonZero(inAnalysis);
  let cells = withoutUnusedLots(all.subsetObs(analysedRows));
  cells = await timed('filter_genes', () => filterGenes(cells, config.filter_genes, ctx));
  cells = await timed('log_normalize', () => logNormalize(cells, config.log_normalize, ctx));
  cells = await timed('balance_lots', () => balanceLotsStep(cells, { ...config.balance_lots, lotKey: 'lot', subset: false }, ctx));
  const inPoolCells = boolColumn(cells, 'in_pool');
  const poolRows = whichNonZero(inPoolCells);

  // 5. The pool: HVGs, PCA, graph, clusters, UMAP.
  let pool = cells.subsetObs(poolRows);
  const hvgBatch = config.select_hvgs.batchKey;
  pool = await timed('select_hvgs', () => selectHvgs(pool, { ...config.select_hvgs, batchKey: hvgBatch !== null && pool.obs.has(hvgBatch) ? hvgBatch : null, usePool: false }, ctx));
  pool = await timed('scale_data', () => scaleData(pool, config.scale_data, ctx));
  pool = await timed('pca', () => runPca(pool, { ...config.pca, keepScaled: false }, ctx));
  pool = await timed('neighbors', () => findNeighbors(pool, { ...config.neighbors, useRep: 'X_pca' }, ctx));
  if (run.cluster === 'kmeans') {
    pool = await timed('cluster', () => clusterKmeans(pool, { ...config.kmeans, useRep: 'X_pca' }, ctx));
  } else {
    pool = await timed('cluster', () => clusterGraph(pool, { ...config.cluster, method: run.cluster as 'leiden' | 'louvain' }, ctx));
  }
  pool = await timed('umap', () => runUmap(pool, config.umap, ctx));
  const { codes: poolCluster, categories: clusterNames } = categorical(pool, 'cluster');

  // 6. Markers on the pool: the full statistics feed the CQA ranking, the top N markers.tsv.
  const markerStats = await timed('markers', () => computeMarkerStats(pool.X, poolCluster, clusterNames.length, { test: config.find_markers.test, pairwise: false, threads: run.threads }));
  const geneIdCol = pool.var.get('gene_ids');
  const geneIds = geneIdCol ? columnStrings(geneIdCol) : [...pool.var.index];
  const markerOptions = { groups: clusterNames, genes: pool.var.index, geneIds, minPct: config.find_markers.minPct, logfcThreshold: config.find_markers.logfcThreshold, onlyPos: config.find_markers.onlyPos, maxPval: config.find_markers.maxPval };
  const markers = topMarkers(markerStats, { ...markerOptions, nTop: config.find_markers.nTop });

  // 7. Every analysed cell in PC space; cells outside the pool take the cluster of their k nearest
  // pooled cells (the same PCs the graph used); composition then counts all QC-passed cells.
  const projection = pcaProjectionOf(pool);
  const nPcs = Math.min(config.neighbors.nPcs ?? projection.loadings.nCols, projection.loadings.nCols);
  const voteOnPool = async (query: DenseMatrix): Promise<Int32Array> =>
    (await assignByKnn(pool.obsm.X_pca, poolCluster, query, config.composition.k, { nDims: nPcs, threads: run.threads })).labels;
  const cellCluster = new Int32Array(cells.nObs).fill(-1);
  for (let t = 0; t < poolRows.length; t++) cellCluster[poolRows[t]] = poolCluster[t];
  const outsideRows = whichNonZero(Uint8Array.from(inPoolCells, (v) => 1 - v));
  if (outsideRows.length > 0) {
    const voted = await timed('knn_vote', async () => voteOnPool(projectPcaKernel(cells.subsetObs(outsideRows).X, projection)));
    for (let t = 0; t < outsideRows.length; t++) cellCluster[outsideRows[t]] = voted[t];
  }
  const cellLots = categorical(cells, 'lot');
  const composition = await computeComposition({ lotCodes: cellLots.codes, lotNames: cellLots.categories, clusterCodes: cellCluster, clusterNames }, config.composition);

  // 8. Other conditions mapped onto the clusters the same way.
  const allCluster = new Int32Array(all.nObs).fill(-1);
  for (let t = 0; t < analysedRows.length; t++) allCluster[analysedRows[t]] = cellCluster[t];
  const conditionComposition: { condition: string; composition: CompositionResult }[] = [];
  const otherRows = whichNonZero(inOther);
  if (otherRows.length > 0) {
    let others = all.subsetObs(otherRows).subsetVars(genesOf(all, cells));
    others = await logNormalize(others, config.log_normalize, ctx);
    const voted = await timed('map_conditions', async () => voteOnPool(projectPcaKernel(others.X, projection)));
    for (let t = 0; t < otherRows.length; t++) allCluster[otherRows[t]] = voted[t];
    const otherLots = categorical(others, 'lot');
    const otherCondition = columnStrings(others.obs.require('condition'));
    conditionComposition.push({ condition: analysed ?? '', composition });
    for (const c of conditions.filter((x) => x !== analysed)) {
      const lotsOfC = Int32Array.from(otherLots.codes, (code, i) => (otherCondition[i] === c ? code : -1));
      conditionComposition.push({ condition: c, composition: await computeComposition({ lotCodes: lotsOfC, lotNames: otherLots.categories, clusterCodes: voted, clusterNames }, config.composition) });
    }
  }

  // 9. Potency association.
  const lotNames = composition.lotNames;
  const readouts: Readout[] = [];
  for (const name of readoutNames) {
    const values = readoutValues(sheet, lotNames, name);
    let observed = 0;
    for (let l = 0; l < values.length; l++) if (!Number.isNaN(values[l]) && composition.totals[l] > 0) observed++;
    if (observed < MIN_ASSOCIATION_LOTS) {
      const note = `readout '${name}' is observed in ${observed} lot(s) with cells; association needs at least ${MIN_ASSOCIATION_LOTS}: skipped`;
      notes.push(note);
      log.warn({ readout: name, lots: observed }, note);
      continue;
    }
    readouts.push({ name, values });
  }
  if (readoutNames.length === 0) notes.push('the sample sheet has no numeric readout columns: potency association skipped');
  let clusterAssociation: ClusterAssociationTable | null = null;
  let geneAssociation: GeneAssociationTable | null = null;
  let candidates: CqaCandidateTable | null = null;
  if (readouts.length > 0) {
    const assocRng = rng.fork('associate');
    clusterAssociation = await timed('associate_clusters', async () => associateClusters(composition, readouts, config.associate_clusters, assocRng.fork('clusters')));
    geneAssociation = await timed('associate_genes', async () => {
      const pb = computePseudobulk(cells.X, cellLots.codes, lotNames.length);
      return associateGenes(pb.lotMeans, pb.lotDetected, cells.var.index, columnStringsOr(cells, 'gene_ids'), readouts, config.associate_genes, assocRng.fork('genes'));
    });
    const candidateMarkers = topMarkers(markerStats, { ...markerOptions, nTop: Math.max(200, config.find_markers.nTop) });
    candidates = rankCqaCandidates(clusterAssociation, geneAssociation, candidateMarkers, config.cqa_candidates);
  }

  // Per-cell outputs aligned with all cells.
  const cellPool = new Uint8Array(all.nObs);
  for (let t = 0; t < poolRows.length; t++) cellPool[analysedRows[poolRows[t]]] = 1;
  const cellUmap = new Float64Array(all.nObs * 2).fill(NaN);
  const umap = pool.obsm.X_umap;
  for (let t = 0; t < poolRows.length; t++) {
    const i = analysedRows[poolRows[t]];
    cellUmap[2 * i] = umap.data[t * umap.nCols];
    cellUmap[2 * i + 1] = umap.data[t * umap.nCols + 1];
  }
  const qcTable = { ...(all.uns.qc_filter as Record<string, Json>), cells_pooled: pooledPerLot(lotInfo.labels, cellLots, poolRows) };

  return {
    config, sheet, lots: loaded.lots, allCells: all, cellPool, cellCluster: allCluster, cellUmap, pool, clusterNames,
    qcTable, markerStats, markers, composition, conditionComposition, readouts, clusterAssociation, geneAssociation,
    candidates, notes, timings,
  };
}

/** Drops lots without cells from the obs `lot` categories, so dropped lots leave every table. */
function withoutUnusedLots(adata: AnnDataLite): AnnDataLite {
  const { codes, categories } = categorical(adata, 'lot');
  const used = new Uint8Array(categories.length);
  for (let i = 0; i < codes.length; i++) used[codes[i]] = 1;
  const remap = new Int32Array(categories.length).fill(-1);
  const kept: string[] = [];
  for (let l = 0; l < categories.length; l++) if (used[l]) { remap[l] = kept.length; kept.push(categories[l]); }
  if (kept.length === categories.length) return adata;
  const newCodes = Int32Array.from(codes, (c) => remap[c]);
  return adata.with({ obs: adata.obs.with('lot', { kind: 'categorical', codes: newCodes, categories: kept, ordered: false }) });
}

/** String values of a var column, or the var names when absent. */
function columnStringsOr(adata: AnnDataLite, key: string): string[] {
  const c = adata.var.get(key);
  return c ? columnStrings(c) : [...adata.var.index];
}

/** Column indices of `all` for the genes kept in `subset` (same var names). */
function genesOf(all: AnnDataLite, subset: AnnDataLite): Int32Array {
  const at = new Map(all.var.index.map((g, j) => [g, j]));
  return Int32Array.from(subset.var.index, (g) => at.get(g)!);
}

/** Pooled cells per lot, in the order of `labels`. */
function pooledPerLot(labels: readonly string[], cellLots: { codes: Int32Array; categories: readonly string[] }, poolRows: Int32Array): Float64Array {
  const out = new Float64Array(labels.length);
  const index = new Map(labels.map((l, t) => [l, t]));
  for (let t = 0; t < poolRows.length; t++) out[index.get(cellLots.categories[cellLots.codes[poolRows[t]]])!]++;
  return out;
}
