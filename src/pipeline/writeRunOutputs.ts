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
import { CQA_TABLE_COLUMNS, cqaTables } from '../cqa/associatePotency.js';
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

/** markers.tsv: top markers per cluster. */
export function markersTable(r: PipelineResult): Table {
  const m = r.markers;
  return table({ cluster: m.cluster, rank: m.rank, gene: m.gene, gene_id: m.geneId, log2fc: m.log2fc, auc: m.auc, pct_in: m.pctIn, pct_out: m.pctOut, pval: m.pval, padj: m.padj });
}

/** A table with the contract's columns and no rows (the association was skipped). */
function emptyTable(names: readonly string[]): Table {
  return { columns: names.map((name) => ({ name, values: [] as string[] })) };
}

/**
 * The lot-level tables keyed by base name: composition, cluster_association, gene_association,
 * cqa_candidates (headers only when the association was skipped), and condition_composition /
 * condition_shift with several conditions.
 */
export function associationTables(r: PipelineResult): Record<string, Table> {
  if (r.association) {
    return Object.fromEntries(Object.entries(cqaTables(r.association)).map(([file, t]) => [file.replace(/\.tsv$/, ''), t]));
  }
  const out: Record<string, Table> = {
    composition: table({ lot: r.composition.table.lot, cluster: r.composition.table.cluster, n_cells: r.composition.table.n_cells, fraction: r.composition.table.fraction }),
    cluster_association: emptyTable(CQA_TABLE_COLUMNS.cluster_association),
    gene_association: emptyTable(CQA_TABLE_COLUMNS.gene_association),
    cqa_candidates: emptyTable(CQA_TABLE_COLUMNS.cqa_candidates),
  };
  const m = r.conditionMapping;
  if (m) {
    out.condition_composition = table(Object.fromEntries(CQA_TABLE_COLUMNS.condition_composition.map((k) => [k, m.composition[k]])));
    out.condition_shift = table(Object.fromEntries(CQA_TABLE_COLUMNS.condition_shift.map((k) => [k, m.shift[k]])));
  }
  return out;
}

/** Writes every output into `stage`; returns the digests of what was written. */
export async function writeRunOutputs(r: PipelineResult, stage: OutputStage, inputs: readonly FileDigest[]): Promise<string[]> {
  const ext = r.config.run.format;
  const tables: Record<string, Table> = { cells: cellsTable(r), qc: qcTable(r), markers: markersTable(r), ...associationTables(r) };
  for (const [name, t] of Object.entries(tables)) await writeTable(stage.path(`${name}.${ext}`), t, ext);
  if (r.config.run.h5ad) await writeH5ad(stage.path('analysis.h5ad'), analysisForH5ad(r, tables));
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
function analysisForH5ad(r: PipelineResult, tables: Record<string, Table>) {
  const columnar = (t: Table): Json => {
    const o: Record<string, Json> = {};
    for (const c of t.columns) o[c.name] = c.values instanceof Uint8Array || c.values instanceof Uint32Array ? Float64Array.from(c.values) : (c.values as Json);
    return o;
  };
  const cqa: Record<string, Json> = { notes: [...r.notes], composition_method: r.composition.method };
  for (const [name, t] of Object.entries(tables)) if (name !== 'cells' && name !== 'markers') cqa[name] = columnar(t);
  if (r.association) cqa.methods = r.association.methods as Json;
  return r.pool.with({
    uns: {
      ...r.pool.uns,
      cqamine: { version: VERSION, params: JSON.stringify(r.config), lots: [...r.composition.lotNames] },
      cqa,
      markers_table: columnar(tables.markers),
    },
  });
}
