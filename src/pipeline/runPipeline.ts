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
import { AnalysisError, InputError } from '../core/errors.js';
import type { CsrMatrix } from '../core/sparse.js';
import { categoricalFrom, columnStrings } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { createRng } from '../core/rng.js';
import type { RunContext } from '../core/step.js';
import { readSampleSheet, type SampleSheet } from '../io/readSampleSheet.js';
import { loadLots, type LoadedLotInfo } from '../io/loadLots.js';
import { computeQcMetrics } from '../qc/computeQcMetrics.js';
import { filterCells, lotCodes } from '../qc/filterCells.js';
import { filterGenesOfCells, geneSumsOfVar } from '../qc/filterGenes.js';
import { balanceLotsStep } from '../pool/balanceLots.js';
import { logNormalize } from '../normalize/logNormalize.js';
import { selectHvgs } from '../reduce/selectHvgs.js';
import { scaleData } from '../reduce/scaleData.js';
import { runPca } from '../reduce/runPca.js';
import { pcaProjectionOf, projectPcaParallel } from '../reduce/projectPca.js';
import { collectGarbage } from '../core/collectGarbage.js';
import { startWorkers } from '../core/parallel.js';
import { findNeighbors } from '../neighbors/findNeighbors.js';
import { clusterGraph } from '../cluster/clusterGraph.js';
import { clusterKmeans } from '../cluster/clusterKmeans.js';
import { runUmap } from '../reduce/runUmap.js';
import { computeMarkerStats, type MarkerStats } from '../markers/findMarkers.js';
import { topMarkers, type MarkerTable } from '../markers/topMarkers.js';
import { computeComposition, type CompositionResult, type KnnQuery } from '../cqa/computeComposition.js';
import type { Readout } from '../cqa/associateClusters.js';
import { mapCondition, type ConditionMapping } from '../cqa/mapCondition.js';
import { associatePotencyKernel, type PotencyAssociation, type PotencyInput } from '../cqa/associatePotency.js';
import { knnExact } from '../neighbors/knnExact.js';
import { validateRunSettings, type PipelineConfig } from './pipelineConfig.js';

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
  /** Lot x cluster composition of the analysed condition over all its QC-passed cells. */
  readonly composition: CompositionResult;
  /** Composition and shifts per condition when the sheet has several. */
  readonly conditionMapping: ConditionMapping | null;
  /** Readouts analysed (observed in at least associate_potency.minLots lots). */
  readonly readouts: readonly Readout[];
  /** Cluster and gene associations and CQA candidates (null when association was skipped). */
  readonly association: PotencyAssociation | null;
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

/** An all-zero CSR matrix of the given shape (a placeholder that holds no data). */
function emptyCsr(nRows: number, nCols: number): CsrMatrix {
  return { format: 'csr', nRows, nCols, indptr: new Uint32Array(nRows + 1), indices: new Int32Array(0), data: new Float32Array(0) };
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

/** Per-lot readout values in lot order (NaN = missing); a lot listed per condition uses the analysed condition's row. */
function readoutValues(sheet: SampleSheet, lotNames: readonly string[], name: string, condition: string | null): Float64Array {
  const byLot = new Map<string, number | null | undefined>();
  for (const l of sheet.lots) {
    if (!byLot.has(l.lot) || l.condition === condition) byLot.set(l.lot, l.readouts[name]);
  }
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
  // Workers boot while the lots are read.
  startWorkers(run.threads);
  const timings: { step: string; ms: number }[] = [];
  const notes: string[] = [];
  const rng = createRng(run.seed);
  const ctx: RunContext = { log, rng, threads: run.threads, progress };
  const timed = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    // Announced before it runs: markers, projection and association log nothing else for minutes at 200k cells.
    log.info({ step }, 'starting');
    // Phases outside defineStep (markers, projection, association) free earlier matrices too.
    collectGarbage();
    const t0 = performance.now();
    const out = await f();
    timings.push({ step, ms: Math.round(performance.now() - t0) });
    return out;
  };

  // 1. Inputs.
  const sheet = await timed('read_samples', () => readSampleSheet(run.samples!));
  const readoutNames = chooseReadouts(sheet, run.readouts);
  const loaded = await timed('load_lots', () => loadLots(sheet, { join: run.join, threads: ctx.threads }, log));
  const lots = loaded.lots;

  // 2. QC on every cell; verdicts stay in obs for cells.tsv.
  let all = await timed('qc_metrics', () => computeQcMetrics(loaded.adata, config.qc_metrics, ctx));
  (loaded as { adata?: AnnDataLite }).adata = undefined;
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

  // 4. The balanced pool of the analysed condition, drawn from the lots alone (it needs no
  // expression), so that the QC-passed cells can be stored pool first: the pool is then the leading
  // rows of `cells` and views its matrices instead of holding a second copy (peak memory).
  const analysedRows = whichNonZero(inAnalysis);
  const lotsOnly = withoutUnusedLots(all.with({ X: emptyCsr(all.nObs, all.nVars), layers: {} }).subsetObs(analysedRows));
  const balanced = await timed('balance_lots', () => balanceLotsStep(lotsOnly, { ...config.balance_lots, lotKey: 'lot', subset: false }, ctx));
  const inPool = boolColumn(balanced, 'in_pool');
  const pooledInAll = new Uint8Array(all.nObs);
  for (let t = 0; t < analysedRows.length; t++) pooledInAll[analysedRows[t]] = inPool[t];
  const poolRowsInAll = whichNonZero(pooledInAll);
  const nPool = poolRowsInAll.length;
  const otherRowsInAll = whichNonZero(Uint8Array.from(inAnalysis, (v, i) => (v | inOther[i]) & (pooledInAll[i] ^ 1)));
  const passedRows = new Int32Array(nPool + otherRowsInAll.length);
  passedRows.set(poolRowsInAll);
  passedRows.set(otherRowsInAll, nPool);

  // 5. QC-passed cells of every condition (pool first), normalized together (per-cell scaling, so
  // pooling and the choice of condition do not change it).
  // The gene filter counts over these cells (from qc_metrics' per-gene sums over all cells, less
  // the others'), and the kept cells and genes are written over the full counts, which nothing reads
  // again: from here `all` serves only its obs (cells.tsv).
  const allCellSums = geneSumsOfVar(all);
  let cells = withoutUnusedLots(await timed('filter_genes', () => filterGenesOfCells(all, passedRows, config.filter_genes, ctx, { allCells: allCellSums, inPlace: true })));
  all = all.with({ X: emptyCsr(all.nObs, all.nVars), layers: {} });
  cells = await timed('log_normalize', () => logNormalize(cells, config.log_normalize, ctx));
  const analysedInCells = whichNonZero(Uint8Array.from(passedRows, (i) => inAnalysis[i]));

  // 6. The pool: HVGs, PCA, graph, clusters, UMAP. It keeps the counts for HVGs and the h5ad;
  // every other cell needs only its log values (projection, pseudobulk).
  const poolRows = Int32Array.from({ length: nPool }, (_, t) => t);
  let pool = cells.subsetObs(poolRows);
  pool = pool.with({
    obs: pool.obs.with('in_pool', { kind: 'bool', values: new Uint8Array(nPool).fill(1) }),
    history: [...pool.history, balanced.history[balanced.history.length - 1]],
  });
  cells = cells.with({ layers: {} });
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

  // 7. Markers on the pool: the full statistics feed the CQA ranking, the top N markers.tsv.
  const markerStats = await timed('markers', () => computeMarkerStats(pool.X, poolCluster, clusterNames.length, { test: config.find_markers.test, pairwise: false, threads: run.threads }));
  const geneIds = columnStringsOr(pool, 'gene_ids');
  const markerOptions = { groups: clusterNames, genes: pool.var.index, geneIds, minPct: config.find_markers.minPct, logfcThreshold: config.find_markers.logfcThreshold, onlyPos: config.find_markers.onlyPos, maxPval: config.find_markers.maxPval };
  const markers = topMarkers(markerStats, { ...markerOptions, nTop: config.find_markers.nTop });

  // 8. Every QC-passed cell in the pool's PC space. Cells outside the pool (and other conditions)
  // take the cluster of their k nearest pooled cells on the PCs the graph used.
  const projection = pcaProjectionOf(pool);
  const nPcs = Math.min(config.neighbors.nPcs ?? projection.loadings.nCols, projection.loadings.nCols);
  const cellPcs = await timed('project_cells', () => projectPcaParallel(cells.X, projection, run.threads));
  const knn: KnnQuery = async (ref, query, k) => knnExact(ref, k, { query, nDims: nPcs, threads: run.threads });
  const clusterCodes = new Int32Array(cells.nObs).fill(-1);
  for (let t = 0; t < poolRows.length; t++) clusterCodes[poolRows[t]] = poolCluster[t];
  const cellLots = categorical(cells, 'lot');
  const analysedLots = new Int32Array(cells.nObs).fill(-1);
  for (const t of analysedInCells) analysedLots[t] = cellLots.codes[t];
  const conditionCodes = conditions.length > 1 ? categoricalFrom(columnStrings(cells.obs.require('condition')), conditions) : null;
  const condition = conditionCodes && conditionCodes.kind === 'categorical' ? { codes: conditionCodes.codes, names: conditions, reference: conditions.indexOf(analysed!) } : undefined;

  // 9. Lots and readouts for the association.
  const lotNames = cellLots.categories;
  const lotHasCells = new Uint8Array(lotNames.length);
  for (const t of analysedInCells) lotHasCells[cellLots.codes[t]] = 1;
  const minLots = config.associate_potency.minLots;
  const readouts: Readout[] = [];
  for (const name of readoutNames) {
    const values = readoutValues(sheet, lotNames, name, analysed);
    let observed = 0;
    for (let l = 0; l < values.length; l++) if (!Number.isNaN(values[l]) && lotHasCells[l]) observed++;
    if (observed < minLots) {
      const note = `readout '${name}' is observed in ${observed} lot(s) with cells; association needs at least ${minLots}: skipped`;
      notes.push(note);
      log.warn({ readout: name, lots: observed }, note);
      continue;
    }
    readouts.push({ name, values });
  }
  if (readoutNames.length === 0) notes.push('the sample sheet has no numeric readout columns: potency association skipped');

  // 10. Composition, condition mapping and potency association (src/cqa).
  let association: PotencyAssociation | null = null;
  let composition: CompositionResult;
  let conditionMapping: ConditionMapping | null = null;
  if (readouts.length > 0) {
    const candidateMarkers = topMarkers(markerStats, { ...markerOptions, nTop: Math.max(200, config.find_markers.nTop) });
    const input: PotencyInput = {
      x: cells.X, genes: cells.var.index, geneIds: columnStringsOr(cells, 'gene_ids'), lotCodes: cellLots.codes, lotNames,
      clusterCodes, clusterNames, pcs: cellPcs, condition, readouts, markers: candidateMarkers,
    };
    association = await timed('associate_potency', () => associatePotencyKernel(input, { ...config.associate_potency, readouts: null, condition: analysed }, rng.fork('associate_potency'), knn, run.threads));
    composition = association.composition;
    conditionMapping = association.condition;
  } else {
    composition = await timed('composition', () => computeComposition({ lotCodes: analysedLots, lotNames, clusterCodes, clusterNames, pcs: cellPcs }, { k: config.associate_potency.k }, knn));
    if (condition) {
      conditionMapping = await mapCondition({ lotCodes: cellLots.codes, lotNames, conditionCodes: condition.codes, conditionNames: condition.names, reference: condition.reference, clusterCodes, clusterNames, pcs: cellPcs }, { k: config.associate_potency.k }, knn);
    }
  }
  const assigned = conditionMapping ? conditionMapping.assigned : composition.assigned;
  const allCluster = new Int32Array(all.nObs).fill(-1);
  for (let t = 0; t < passedRows.length; t++) allCluster[passedRows[t]] = assigned[t];

  // Per-cell outputs aligned with all cells.
  const cellPool = new Uint8Array(all.nObs);
  for (let t = 0; t < poolRows.length; t++) cellPool[passedRows[poolRows[t]]] = 1;
  const cellUmap = new Float64Array(all.nObs * 2).fill(NaN);
  const umap = pool.obsm.X_umap;
  for (let t = 0; t < poolRows.length; t++) {
    const i = passedRows[poolRows[t]];
    cellUmap[2 * i] = umap.data[t * umap.nCols];
    cellUmap[2 * i + 1] = umap.data[t * umap.nCols + 1];
  }
  const qcTable = { ...(all.uns.qc_filter as Record<string, Json>), cells_pooled: pooledPerLot(lotInfo.labels, cellLots, poolRows) };

  return {
    config, sheet, lots, allCells: all, cellPool, cellCluster: allCluster, cellUmap, pool, clusterNames,
    qcTable, markerStats, markers, composition, conditionMapping, readouts, association, notes, timings,
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
