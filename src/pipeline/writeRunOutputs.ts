/**
 * Writes the results of `cqamine run` into the staged output directory. File names and columns
 * are a stable contract (scripts and CI depend on them); new columns are only ever appended.
 */
import type { Json } from '../core/adata.js';
import { columnStrings } from '../core/frame.js';
import { writeFileAtomic } from '../core/atomic.js';
import { VERSION } from '../core/version.js';
import { writeTable, type Table, type TableColumn } from '../io/writeTable.js';
import { writeH5ad } from '../io/writeH5ad.js';
import { renderReport } from '../report/renderReport.js';
import type { PipelineResult } from './runPipeline.js';
import type { OutputStage } from './outputStage.js';
import { buildReportData } from './buildReportData.js';
import { digestPath, type FileDigest, type Manifest } from './manifest.js';

type Cols = Record<string, TableColumn['values']>;

/** A table from named columns in order. */
function table(cols: Cols): Table {
  return { columns: Object.entries(cols).map(([name, values]) => ({ name, values })) };
}

/** The numeric values of an obs column as Float64 (NaN when absent). */
function numericObs(r: PipelineResult, key: string): Float64Array {
  const c = r.allCells.obs.get(key);
  const out = new Float64Array(r.allCells.nObs).fill(NaN);
  if (c && c.kind === 'numeric') out.set(c.values);
  return out;
}

/** String values of an obs column ('' when absent). */
function stringObs(r: PipelineResult, key: string): string[] {
  const c = r.allCells.obs.get(key);
  return c ? columnStrings(c) : new Array<string>(r.allCells.nObs).fill('');
}

/** cells.tsv: one row per cell read, with its QC verdict, pool membership, cluster and UMAP. */
export function cellsTable(r: PipelineResult): Table {
  const n = r.allCells.nObs;
  const passed = r.allCells.obs.require('passed_qc');
  const cluster = Array.from(r.cellCluster, (c) => (c >= 0 ? r.clusterNames[c] : ''));
  const umap1 = new Float64Array(n), umap2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    umap1[i] = r.cellUmap[2 * i];
    umap2[i] = r.cellUmap[2 * i + 1];
  }
  return table({
    cell: [...r.allCells.obs.index],
    lot: stringObs(r, 'lot'),
    barcode: stringObs(r, 'barcode'),
    condition: stringObs(r, 'condition'),
    n_counts: numericObs(r, 'n_counts'),
    n_genes: numericObs(r, 'n_genes'),
    pct_mito: numericObs(r, 'pct_mito'),
    passed_qc: passed.kind === 'bool' ? passed.values : new Uint8Array(n),
    in_pool: r.cellPool,
    cluster,
    umap_1: umap1,
    umap_2: umap2,
  });
}

/** qc.tsv: per lot, cells in, removed by each filter, kept, pooled (then the MAD thresholds used). */
export function qcTable(r: PipelineResult): Table {
  const q = r.qcTable as Record<string, Json>;
  const cols: Cols = {};
  const order = Object.keys(q).filter((k) => !k.startsWith('mad_') && k !== 'cells_pooled');
  for (const k of [...order, 'cells_pooled', ...Object.keys(q).filter((key) => key.startsWith('mad_'))]) {
    const v = q[k];
    cols[k] = Array.isArray(v) ? (v as string[]) : (Float64Array.from(v as ArrayLike<number>) as Float64Array);
  }
  return table(cols);
}

/** composition.tsv: lot, cluster, n_cells, fraction (lots outer, clusters inner). */
export function compositionTable(r: PipelineResult): Table {
  const t = r.composition.table;
  return table({ lot: t.lot, cluster: t.cluster, n_cells: t.n_cells, fraction: t.fraction });
}

/** composition_by_condition.tsv: the same per condition, with the shift against the analysed one. */
export function conditionCompositionTable(r: PipelineResult): Table | null {
  if (r.conditionComposition.length < 2) return null;
  const condition: string[] = [], lot: string[] = [], cluster: string[] = [];
  const nCells: number[] = [], fraction: number[] = [], shift: number[] = [];
  const base = r.conditionComposition[0].composition;
  for (const { condition: c, composition } of r.conditionComposition) {
    const t = composition.table;
    for (let row = 0; row < t.lot.length; row++) {
      condition.push(c);
      lot.push(t.lot[row]);
      cluster.push(t.cluster[row]);
      nCells.push(t.n_cells[row]);
      fraction.push(t.fraction[row]);
      const l = base.lotNames.indexOf(t.lot[row]);
      const k = base.clusterNames.indexOf(t.cluster[row]);
      shift.push(l >= 0 && k >= 0 ? t.fraction[row] - base.fractions[l * base.nClusters + k] : NaN);
    }
  }
  return table({ condition, lot, cluster, n_cells: Float64Array.from(nCells), fraction: Float64Array.from(fraction), shift_vs_analysed: Float64Array.from(shift) });
}

/** markers.tsv: top markers per cluster. */
export function markersTable(r: PipelineResult): Table {
  const m = r.markers;
  return table({ cluster: m.cluster, rank: m.rank, gene: m.gene, gene_id: m.geneId, log2fc: m.log2fc, auc: m.auc, pct_in: m.pctIn, pct_out: m.pctOut, pval: m.pval, padj: m.padj });
}

const CLUSTER_ASSOCIATION_COLUMNS = ['readout', 'cluster', 'n_lots', 'rho', 'pval', 'padj', 'pearson_r', 'model_coef', 'model_pval', 'loo_min_abs_rho', 'loo_sign_flips'] as const;
const CANDIDATE_COLUMNS = ['readout', 'rank', 'gene', 'gene_id', 'cluster', 'score', 'marker_log2fc', 'marker_auc', 'marker_padj', 'cluster_rho', 'cluster_padj', 'gene_rho', 'gene_pval', 'gene_padj', 'direction', 'loo_min_abs_rho'] as const;
const GENE_ASSOCIATION_COLUMNS = ['readout', 'gene', 'gene_id', 'n_lots', 'rho', 'pval', 'padj', 'mean_expr'] as const;

/** A table of the named columns of a columnar result, or headers only when the result is absent. */
function pick(result: object | null, names: readonly string[]): Table {
  const src = (result ?? {}) as Record<string, TableColumn['values']>;
  return { columns: names.map((name) => ({ name, values: src[name] ?? [] })) };
}

/** Writes every output into `stage`; returns the digests of what was written. */
export async function writeRunOutputs(r: PipelineResult, stage: OutputStage, inputs: readonly FileDigest[]): Promise<string[]> {
  const ext = r.config.run.format === 'arrow' ? 'arrow' : r.config.run.format;
  const tables: [string, Table | null][] = [
    ['cells', cellsTable(r)],
    ['qc', qcTable(r)],
    ['composition', compositionTable(r)],
    ['composition_by_condition', conditionCompositionTable(r)],
    ['markers', markersTable(r)],
    ['cluster_association', pick(r.clusterAssociation, CLUSTER_ASSOCIATION_COLUMNS)],
    ['gene_association', pick(r.geneAssociation, GENE_ASSOCIATION_COLUMNS)],
    ['cqa_candidates', pick(r.candidates, CANDIDATE_COLUMNS)],
  ];
  for (const [name, t] of tables) {
    if (t) await writeTable(stage.path(`${name}.${ext}`), t, r.config.run.format);
  }
  if (r.config.run.h5ad) await writeH5ad(stage.path('analysis.h5ad'), analysisForH5ad(r));
  if (r.config.run.report) await writeFileAtomic(stage.path('report.html'), renderReport(buildReportData(r)));

  const outputs: FileDigest[] = [];
  for (const name of stage.names) outputs.push(...(await digestPath(stage.path(name), name)));
  const manifest: Manifest = {
    cqamine: VERSION,
    node: process.version,
    seed: r.config.run.seed,
    params: r.config,
    inputs,
    steps: r.timings,
    outputs,
  };
  await writeFileAtomic(stage.path('manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return [...stage.names];
}

/** The pool with the run's parameters and result tables in uns (scanpy-readable). */
function analysisForH5ad(r: PipelineResult) {
  const pool = r.pool;
  const columnar = (t: Table): Json => {
    const o: Record<string, Json> = {};
    for (const c of t.columns) o[c.name] = c.values instanceof Uint8Array || c.values instanceof Uint32Array ? Float64Array.from(c.values) : (c.values as Json);
    return o;
  };
  const cqa: Record<string, Json> = {
    composition: columnar(compositionTable(r)),
    composition_method: r.composition.method,
    notes: [...r.notes],
  };
  if (r.clusterAssociation) cqa.cluster_association = columnar(pick(r.clusterAssociation, CLUSTER_ASSOCIATION_COLUMNS));
  if (r.candidates) cqa.cqa_candidates = columnar(pick(r.candidates, CANDIDATE_COLUMNS));
  const lotCol = pool.obs.get('lot');
  return pool.with({
    uns: {
      ...pool.uns,
      cqamine: { version: VERSION, params: JSON.stringify(r.config), lots: lotCol ? [...new Set(columnStrings(lotCol))] : [] },
      cqa,
      markers_table: columnar(markersTable(r)),
    },
  });
}
