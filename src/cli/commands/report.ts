/**
 * `cqamine report IN -o report.html`: the HTML report of an analysed h5ad. It shows what the file
 * holds: the UMAP (X_umap, else the first two PCs), clusters and lots, the lot composition, the
 * readout associations and CQA candidates from uns.cqa (`associate`), a marker dot plot (genes
 * from uns.markers, else ranked here), the QC table (uns.qc_filter) and the step history; notes
 * name what is missing.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import type { AnnDataLite, Json } from '../../core/adata.js';
import { writeFileAtomic } from '../../core/atomic.js';
import { AnalysisError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import { computeMarkerStats } from '../../markers/findMarkers.js';
import { topMarkers } from '../../markers/topMarkers.js';
import { renderReport } from '../../report/renderReport.js';
import type { ReportData, ReportTable } from '../../report/reportData.js';
import { registerStepCommand } from '../stepCommand.js';

interface ReportFlags {
  title?: string;
}

/** Top markers per cluster in the dot plot, and candidate rows per readout in the table (as `run`). */
const DOTPLOT_GENES_PER_CLUSTER = 3;
const REPORT_CANDIDATES = 25;
const CANDIDATE_COLUMNS = ['readout', 'rank', 'gene', 'cluster', 'score', 'marker_log2fc', 'marker_auc', 'cluster_rho', 'cluster_padj', 'gene_rho', 'gene_padj'] as const;

type Columnar = Record<string, ArrayLike<string | number | null>>;

/** Codes and labels of a categorical obs column, or one group named `fallback`. */
function codesOf(adata: AnnDataLite, key: string, fallback: string): { codes: Int32Array; names: readonly string[]; present: boolean } {
  const c = adata.obs.get(key);
  if (c && c.kind === 'categorical') return { codes: c.codes, names: c.categories, present: true };
  return { codes: new Int32Array(adata.nObs), names: [fallback], present: false };
}

/** A columnar uns table as display rows (NaN shows empty), keeping rows where `keep` holds. */
function displayTable(t: Columnar, columns: readonly string[], keep: (row: number) => boolean = () => true): ReportTable {
  const present = columns.filter((c) => t[c] !== undefined);
  const n = present.length > 0 ? t[present[0]].length : 0;
  const rows: (string | number | null)[][] = [];
  for (let r = 0; r < n; r++) {
    if (!keep(r)) continue;
    rows.push(present.map((c) => {
      const v = t[c][r];
      return typeof v === 'number' && Number.isNaN(v) ? null : v;
    }));
  }
  return { columns: present, rows };
}

/** lots x clusters fractions from uns.cqa.composition, else counted over the cells (QC-passed when marked). */
function compositionOf(adata: AnnDataLite, lots: readonly string[], clusters: readonly string[], lotCodes: Int32Array, clusterCodes: Int32Array): Float64Array {
  const nC = clusters.length;
  const fractions = new Float64Array(lots.length * nC);
  const comp = (adata.uns.cqa as { composition?: Columnar } | undefined)?.composition;
  if (comp && comp.lot && comp.cluster && comp.fraction) {
    const lotAt = new Map(lots.map((l, t) => [l, t]));
    const clusterAt = new Map(clusters.map((c, t) => [c, t]));
    for (let r = 0; r < comp.lot.length; r++) {
      const l = lotAt.get(String(comp.lot[r]));
      const c = clusterAt.get(String(comp.cluster[r]));
      if (l !== undefined && c !== undefined) fractions[l * nC + c] = Number(comp.fraction[r]);
    }
    return fractions;
  }
  const passed = adata.obs.get('passed_qc');
  const totals = new Float64Array(lots.length);
  for (let i = 0; i < adata.nObs; i++) {
    if (passed && passed.kind === 'bool' && !passed.values[i]) continue;
    const l = lotCodes[i];
    const c = clusterCodes[i];
    if (l < 0 || c < 0) continue;
    fractions[l * nC + c]++;
    totals[l]++;
  }
  for (let l = 0; l < lots.length; l++) for (let c = 0; c < nC; c++) if (totals[l] > 0) fractions[l * nC + c] /= totals[l];
  return fractions;
}

/** Per-lot value of a numeric obs column (first finite value of the lot's cells; NaN when none). */
function perLot(adata: AnnDataLite, key: string, lotCodes: Int32Array, nLots: number): Float64Array | null {
  const c = adata.obs.get(key);
  if (!c || c.kind !== 'numeric') return null;
  const out = new Float64Array(nLots).fill(NaN);
  for (let i = 0; i < adata.nObs; i++) {
    const l = lotCodes[i];
    if (l >= 0 && Number.isNaN(out[l]) && Number.isFinite(c.values[i])) out[l] = c.values[i];
  }
  return out;
}

/** Everything the report shows, from an analysed AnnDataLite. */
async function reportDataOf(adata: AnnDataLite, input: string, title: string | undefined, threads: number): Promise<ReportData> {
  const notes: string[] = [];
  let emb = adata.obsm.X_umap;
  if (!emb) {
    emb = adata.obsm.X_pca;
    if (!emb) throw new AnalysisError('report needs obsm X_umap (or X_pca); run umap first');
    notes.push('no UMAP in the input (run `cqamine umap`): the embedding shows PC1 and PC2');
  }
  const x = new Float32Array(adata.nObs);
  const y = new Float32Array(adata.nObs);
  for (let i = 0; i < adata.nObs; i++) {
    x[i] = emb.data[i * emb.nCols];
    y[i] = emb.data[i * emb.nCols + 1];
  }
  const cluster = codesOf(adata, 'cluster', 'all');
  if (!cluster.present) notes.push("no obs 'cluster' in the input (run `cqamine cluster`): all cells shown as one group");
  const lot = codesOf(adata, 'lot', basename(input));
  const cqa = adata.uns.cqa as Record<string, Columnar> | undefined;
  if (!cqa) notes.push('no uns.cqa in the input (run `cqamine associate`): no readout association or CQA candidates');

  // Associations, best first; readout values per lot from the obs columns they came from.
  const associations: ReportData['associations'][number][] = [];
  const readouts: Record<string, Float64Array> = {};
  const ca = cqa?.cluster_association;
  if (ca && ca.readout) {
    for (let r = 0; r < ca.readout.length; r++) {
      const pval = Number(ca.pval[r]);
      if (Number.isNaN(pval)) continue;
      associations.push({ readout: String(ca.readout[r]), cluster: String(ca.cluster[r]), rho: Number(ca.rho[r]), pval, padj: Number(ca.padj[r]) });
    }
    associations.sort((a, b) => a.pval - b.pval || Math.abs(b.rho) - Math.abs(a.rho));
    for (const name of new Set(Array.from(ca.readout, String))) {
      const v = perLot(adata, name, lot.codes, lot.names.length);
      if (v) readouts[name] = v;
    }
  }

  // Dot plot: mean log expression and fraction expressing per cluster (Welch stats give both cheaply).
  const stats = await computeMarkerStats(adata.X, cluster.codes, cluster.names.length, { test: 'welch', threads });
  const genes: string[] = [];
  const geneIndex: number[] = [];
  const m = (adata.uns.markers as { table?: Columnar } | undefined)?.table;
  const at = new Map(adata.varNames.map((g, j) => [g, j]));
  if (m && m.gene && m.rank) {
    for (let r = 0; r < m.gene.length; r++) {
      const j = at.get(String(m.gene[r]));
      if (Number(m.rank[r]) > DOTPLOT_GENES_PER_CLUSTER || j === undefined || geneIndex.includes(j)) continue;
      genes.push(String(m.gene[r]));
      geneIndex.push(j);
    }
  } else {
    notes.push('no uns.markers in the input (run `cqamine markers`): dot plot genes ranked by a one-vs-rest Welch test');
    const top = topMarkers(stats, { groups: cluster.names, genes: adata.varNames, geneIds: adata.varNames, nTop: DOTPLOT_GENES_PER_CLUSTER, minPct: 0.1, logfcThreshold: 0.25, onlyPos: true, maxPval: 0.01 });
    for (let r = 0; r < top.gene.length; r++) {
      if (geneIndex.includes(top.geneIndex[r])) continue;
      genes.push(top.gene[r]);
      geneIndex.push(top.geneIndex[r]);
    }
  }
  const nC = cluster.names.length;
  const meanExpr = new Float64Array(genes.length * nC);
  const pctExpr = new Float64Array(genes.length * nC);
  for (let g = 0; g < genes.length; g++) {
    for (let c = 0; c < nC; c++) {
      meanExpr[g * nC + c] = stats.meanIn[c * stats.nGenes + geneIndex[g]];
      pctExpr[g * nC + c] = stats.pctIn[c * stats.nGenes + geneIndex[g]];
    }
  }

  const qcFilter = adata.uns.qc_filter as Columnar | undefined;
  if (!qcFilter) notes.push('no uns.qc_filter in the input (run `cqamine qc`): no QC table');
  const candidates = cqa?.candidates;
  const nGenes = adata.varNames.length;
  return {
    title: title ?? `cqamine: ${basename(input)}`,
    versions: { cqamine: VERSION, node: process.version },
    params: { input, steps: adata.history as unknown as Json },
    inputs: lot.names.map((name, l) => {
      let n = 0;
      for (let i = 0; i < adata.nObs; i++) if (lot.codes[i] === l) n++;
      return { lot: name, path: input, format: 'h5ad', nCells: n, nGenes };
    }),
    qc: qcFilter ? displayTable(qcFilter, Object.keys(qcFilter)) : { columns: [], rows: [] },
    notes,
    embedding: { x, y, cluster: cluster.codes, clusterNames: cluster.names, lot: lot.codes, lotNames: lot.names },
    composition: { lotNames: lot.names, clusterNames: cluster.names, fractions: compositionOf(adata, lot.names, cluster.names, lot.codes, cluster.codes), readouts },
    associations,
    dotplot: { genes, clusterNames: cluster.names, meanExpr, pctExpr },
    candidates: candidates ? displayTable(candidates, CANDIDATE_COLUMNS, (r) => Number(candidates.rank[r]) <= REPORT_CANDIDATES) : { columns: CANDIDATE_COLUMNS, rows: [] },
  };
}

/** Registers `report` on the program. */
export function registerReport(program: Command): Command {
  return registerStepCommand<ReportFlags>(program, {
    name: 'report',
    description: 'Render the HTML report of an analysed h5ad (UMAP, clusters, lots, composition, associations, markers)',
    outHelp: "output .html, written atomically ('-' writes stdout)",
    configurable: false,
    flags: (cmd) => cmd.option('--title <text>', 'report title'),
    example: '  cqamine report cqa.h5ad -o report.html',
    run: async (adata) => adata,
    write: async (path, adata, f, input) => writeFileAtomic(path, renderReport(await reportDataOf(adata, input, f.title, 1))),
  });
}
