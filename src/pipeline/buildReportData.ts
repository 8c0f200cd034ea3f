/**
 * Extracts what the HTML report shows from a finished run (the report never sees AnnDataLite).
 */
import { columnStrings } from '../core/frame.js';
import { VERSION } from '../core/version.js';
import type { ReportData, ReportTable } from '../report/reportData.js';
import type { PipelineResult } from './runPipeline.js';

/** Top markers per cluster shown in the dot plot. */
const DOTPLOT_GENES_PER_CLUSTER = 3;
/** Candidate rows shown in the report table. */
const REPORT_CANDIDATES = 25;

/** The dot plot: the top few markers of each cluster (first occurrence), mean and % expressing per cluster. */
function dotplot(r: PipelineResult): ReportData['dotplot'] {
  const genes: string[] = [];
  const geneIndex: number[] = [];
  const m = r.markers;
  for (let row = 0; row < m.gene.length; row++) {
    if (m.rank[row] > DOTPLOT_GENES_PER_CLUSTER || geneIndex.includes(m.geneIndex[row])) continue;
    genes.push(m.gene[row]);
    geneIndex.push(m.geneIndex[row]);
  }
  const s = r.markerStats;
  const nClusters = r.clusterNames.length;
  const meanExpr = new Float64Array(genes.length * nClusters);
  const pctExpr = new Float64Array(genes.length * nClusters);
  for (let g = 0; g < genes.length; g++) {
    for (let c = 0; c < nClusters; c++) {
      meanExpr[g * nClusters + c] = s.meanIn[c * s.nGenes + geneIndex[g]];
      pctExpr[g * nClusters + c] = s.pctIn[c * s.nGenes + geneIndex[g]];
    }
  }
  return { genes, clusterNames: r.clusterNames, meanExpr, pctExpr };
}

/** Top candidates as a display table. */
function candidateTable(r: PipelineResult): ReportTable {
  const columns = ['readout', 'rank', 'gene', 'cluster', 'score', 'marker_log2fc', 'marker_auc', 'cluster_rho', 'cluster_padj', 'gene_rho', 'gene_padj'] as const;
  const c = r.association?.candidates;
  if (!c) return { columns, rows: [] };
  const rows: (string | number | null)[][] = [];
  for (let t = 0; t < c.gene.length; t++) {
    if (c.rank[t] > REPORT_CANDIDATES) continue;
    rows.push(columns.map((name) => {
      const v = (c as unknown as Record<string, ArrayLike<string | number>>)[name][t];
      return typeof v === 'number' && Number.isNaN(v) ? null : v;
    }));
  }
  return { columns, rows };
}

/** Per-lot QC as a display table. */
function qcDisplay(r: PipelineResult): ReportTable {
  const q = r.qcTable as Record<string, ArrayLike<string | number>>;
  const columns = Object.keys(q);
  const nLots = q.lot.length;
  const rows = Array.from({ length: nLots }, (_, l) => columns.map((k) => {
    const v = q[k][l];
    return typeof v === 'number' && Number.isNaN(v) ? null : v;
  }));
  return { columns, rows };
}

/** Everything the report shows. */
export function buildReportData(r: PipelineResult): ReportData {
  const pool = r.pool;
  const umap = pool.obsm.X_umap;
  const x = new Float32Array(pool.nObs), y = new Float32Array(pool.nObs);
  for (let i = 0; i < pool.nObs; i++) {
    x[i] = umap.data[i * umap.nCols];
    y[i] = umap.data[i * umap.nCols + 1];
  }
  const cluster = pool.obs.require('cluster');
  const lot = pool.obs.require('lot');
  const comp = r.composition;
  const readouts: Record<string, Float64Array> = {};
  for (const ro of r.readouts) readouts[ro.name] = ro.values;
  const assoc = r.association?.clusters;
  const associations = assoc
    ? assoc.readout
        .map((readout, t) => ({ readout, cluster: assoc.cluster[t], rho: assoc.rho[t], pval: assoc.pval[t], padj: assoc.padj[t] }))
        .filter((a) => !Number.isNaN(a.pval))
        .sort((a, b) => a.pval - b.pval || Math.abs(b.rho) - Math.abs(a.rho))
    : [];
  return {
    title: 'cqamine: lot heterogeneity and potency association',
    versions: { cqamine: VERSION, node: process.version },
    params: r.config,
    inputs: r.lots.map((l) => ({ lot: l.lot, path: l.path, format: l.format, nCells: l.nObs, nGenes: l.nVars })),
    qc: qcDisplay(r),
    notes: r.notes,
    embedding: {
      x, y,
      cluster: cluster.kind === 'categorical' ? cluster.codes : new Int32Array(pool.nObs),
      clusterNames: r.clusterNames,
      lot: lot.kind === 'categorical' ? lot.codes : new Int32Array(pool.nObs),
      lotNames: lot.kind === 'categorical' ? lot.categories : [...new Set(columnStrings(lot))],
    },
    composition: { lotNames: comp.lotNames, clusterNames: comp.clusterNames, fractions: comp.fractions, readouts },
    associations,
    dotplot: dotplot(r),
    candidates: candidateTable(r),
  };
}
