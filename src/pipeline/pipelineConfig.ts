/**
 * The full configuration of `cqamine run`: run-level settings plus one section per step, keyed
 * by the step's name. Step sections start from each step's own defaults (so the library and the
 * CLI agree), minus the keys the pipeline sets itself (lot key, subsetting, which obsm to use).
 * `cqamine defaults` prints this object; `--config FILE` merges a partial copy over it.
 */
import { availableParallelism } from 'node:os';
import { computeQcMetrics } from '../qc/computeQcMetrics.js';
import { filterCells } from '../qc/filterCells.js';
import { filterGenes } from '../qc/filterGenes.js';
import { balanceLotsStep } from '../pool/balanceLots.js';
import { logNormalize } from '../normalize/logNormalize.js';
import { selectHvgs } from '../reduce/selectHvgs.js';
import { scaleData } from '../reduce/scaleData.js';
import { runPca } from '../reduce/runPca.js';
import { findNeighbors } from '../neighbors/findNeighbors.js';
import { clusterGraph } from '../cluster/clusterGraph.js';
import { clusterKmeans } from '../cluster/clusterKmeans.js';
import { runUmap } from '../reduce/runUmap.js';
import { findMarkers } from '../markers/findMarkers.js';
import { ASSOCIATE_POTENCY_DEFAULTS } from '../cqa/associatePotency.js';
import { UsageError } from '../core/errors.js';

/** Run-level settings (the `run` section). */
export interface RunSettings {
  /** Sample sheet (CSV/TSV with lot, path, readouts). */
  samples: string | null;
  /** Readout columns to associate; empty = every numeric readout in the sheet. */
  readouts: string[];
  /** Output directory. */
  out: string | null;
  /** Seed of every random step. */
  seed: number;
  /** Worker threads for PCA, kNN and markers (results do not depend on it). */
  threads: number;
  /** Analyse only cells of this `condition`; cells of other conditions are mapped onto the clusters. */
  condition: string | null;
  /** Genes kept across lots: 'union' or 'intersection'. */
  join: 'union' | 'intersection';
  /** Clustering: graph-based ('leiden', 'louvain') on the SNN graph, or 'kmeans' on PCs. */
  cluster: 'leiden' | 'louvain' | 'kmeans';
  /** Table format of the outputs. */
  format: 'tsv' | 'csv' | 'arrow';
  /** Write analysis.h5ad. */
  h5ad: boolean;
  /** Write report.html. */
  report: boolean;
}

/** Removes keys the pipeline sets itself from a step's defaults. */
function omit<T extends object, K extends keyof T>(o: T, keys: readonly K[]): { -readonly [Q in Exclude<keyof T, K>]: T[Q] } {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * Worker threads when none are given: the machine's cores (results never depend on the count), at
 * most 8, where the row-block and product splits stop paying for their messaging.
 */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** The complete default configuration. */
export function defaultConfig() {
  return {
    run: {
      samples: null,
      readouts: [],
      out: null,
      seed: 0,
      threads: defaultThreads(),
      condition: null,
      join: 'union',
      cluster: 'leiden',
      format: 'tsv',
      h5ad: true,
      report: true,
    } as RunSettings,
    qc_metrics: { ...computeQcMetrics.defaults },
    filter_cells: omit(filterCells.defaults, ['lotKey', 'subset']),
    filter_genes: omit(filterGenes.defaults, []),
    balance_lots: omit(balanceLotsStep.defaults, ['lotKey', 'subset']),
    log_normalize: { ...logNormalize.defaults },
    // Multi-lot data: rank HVGs within each lot and combine (scanpy batch_key, Seurat SelectIntegrationFeatures).
    select_hvgs: { ...omit(selectHvgs.defaults, ['usePool']), batchKey: 'lot' as string | null },
    scale_data: { ...scaleData.defaults },
    pca: omit(runPca.defaults, ['keepScaled']),
    neighbors: { ...omit(findNeighbors.defaults, ['useRep']), nPcs: 30 as number | null },
    cluster: omit(clusterGraph.defaults, ['method']),
    kmeans: omit(clusterKmeans.defaults, ['useRep']),
    umap: { ...runUmap.defaults },
    // The study ranks up-regulated genes of each cluster: only.pos as Seurat FindAllMarkers.
    find_markers: { ...omit(findMarkers.defaults, ['groupby', 'groupA', 'groupB']), onlyPos: true },
    // Readouts and condition come from the run section.
    associate_potency: omit(ASSOCIATE_POTENCY_DEFAULTS, ['readouts', 'condition']),
  };
}

export type PipelineConfig = ReturnType<typeof defaultConfig>;

/** Range checks of the run section (step sections are checked by their steps). */
export function validateRunSettings(r: RunSettings): void {
  if (!Number.isInteger(r.seed)) throw new UsageError(`run.seed must be an integer, got ${r.seed}`);
  if (!(Number.isInteger(r.threads) && r.threads >= 1 && r.threads <= 64)) throw new UsageError(`run.threads must be an integer in [1, 64], got ${r.threads}`);
  if (r.join !== 'union' && r.join !== 'intersection') throw new UsageError(`run.join must be 'union' or 'intersection', got ${JSON.stringify(r.join)}`);
  if (!['leiden', 'louvain', 'kmeans'].includes(r.cluster)) throw new UsageError(`run.cluster must be leiden, louvain or kmeans, got ${JSON.stringify(r.cluster)}`);
  if (!['tsv', 'csv', 'arrow'].includes(r.format)) throw new UsageError(`run.format must be tsv, csv or arrow, got ${JSON.stringify(r.format)}`);
  if (!Array.isArray(r.readouts) || r.readouts.some((x) => typeof x !== 'string')) throw new UsageError('run.readouts must be a list of column names');
}
