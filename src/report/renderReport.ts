/**
 * The HTML report: one self-contained file (inline CSS and SVG; no scripts, fonts, images or
 * network requests) that reads completely without JavaScript and is byte-identical for the same
 * data (no timestamps, no random ids; large embeddings are subsampled with a fixed seed).
 *
 * Sections: summary and notes; inputs and QC per lot; UMAP by cluster and by lot; composition per
 * lot ordered by the first readout; readout vs cluster fraction for the top associations; marker
 * dot plot; top CQA candidates; parameters; versions. Every string from the data is escaped.
 */
import { UsageError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { ReportData, ReportTable } from './reportData.js';
import { escapeHtml } from './escapeHtml.js';
import { formatNumber } from './formatNumber.js';
import { formatPValue } from './formatPValue.js';
import { renderTable } from './renderTable.js';
import { subsampleIndices } from './subsampleIndices.js';
import { categoricalPalette } from './svg/categoricalPalette.js';
import { renderCategoricalScatter } from './svg/renderCategoricalScatter.js';
import { renderDotPlot } from './svg/renderDotPlot.js';
import { type ReadoutPanel, renderReadoutScatter } from './svg/renderReadoutScatter.js';
import { renderStackedBars } from './svg/renderStackedBars.js';
import { REPORT_CSS } from './reportCss.js';

/** Options of {@link renderReport}. */
export interface RenderReportOptions {
  /** Embeddings with more cells are drawn from a deterministic random subsample of this size. @default 50000 */
  maxPoints: number;
  /** Seed of the subsample (fixed, so the report is reproducible). @default 0 */
  seed: number;
  /** Number of readout-vs-fraction panels (top associations first). @default 4 */
  nAssociationPanels: number;
}

const DEFAULTS: RenderReportOptions = { maxPoints: 50_000, seed: 0, nAssociationPanels: 4 };

/** `n` and the noun, with an `s` unless n is 1: `plural(1, 'lot')` is '1 lot'. */
function plural(n: number, noun: string): string {
  return `${formatNumber(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** "3" reads as "cluster 3" in titles; other names (e.g. "MSC-prolif") are used as they are. */
function clusterLabel(name: string): string {
  return /^\d+$/.test(name) ? `cluster ${name}` : name;
}

/** `<section>` with an id (for the table of contents) and an `<h2>`. */
function section(id: string, heading: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(heading)}</h2>${body}</section>`;
}

/** `<figure>` with the SVG and a caption (caption is HTML, already escaped). */
function figure(id: string, svg: string, captionHtml: string): string {
  return `<figure id="${id}">${svg}<figcaption>${captionHtml}</figcaption></figure>`;
}

/** A note paragraph (escaped text). */
function note(text: string): string {
  return `<p class="note">${escapeHtml(text)}</p>`;
}

/** JSON with typed arrays as plain arrays and bigints as strings, indented by two spaces. */
function prettyJson(value: unknown): string {
  const json = JSON.stringify(
    value ?? null,
    (_key, v: unknown) => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      if (typeof v === 'bigint') return v.toString();
      return v;
    },
    2,
  );
  return json ?? 'null';
}

/** Colour per name: names of `reference` take the palette in its order; others follow after. */
function colorLookup(reference: readonly string[], extra: readonly string[]): Map<string, string> {
  const names: string[] = [...reference];
  const seen = new Set(reference);
  for (const n of extra) if (!seen.has(n)) { seen.add(n); names.push(n); }
  const pal = categoricalPalette(names.length);
  const m = new Map<string, string>();
  for (let c = 0; c < names.length; c++) m.set(names[c], pal[c]);
  return m;
}

/** Lot display order: ascending readout, missing (NaN) readouts last, ties by data order. */
function lotOrder(values: Float64Array | null, nLots: number): Int32Array {
  const order = Int32Array.from({ length: nLots }, (_, l) => l);
  if (!values) return order;
  return order.sort((a, b) => {
    const va = values[a], vb = values[b];
    const na = Number.isNaN(va), nb = Number.isNaN(vb);
    if (na || nb) return na === nb ? a - b : na ? 1 : -1;
    return va - vb || a - b;
  });
}

/** Checks that the per-cell and per-lot arrays agree in length; a mismatch is a programming error. */
function checkShapes(d: ReportData): void {
  const e = d.embedding;
  const n = e.cluster.length;
  if (e.x.length !== n || e.y.length !== n || e.lot.length !== n) {
    throw new Error(`report embedding arrays differ in length: x ${e.x.length}, y ${e.y.length}, cluster ${n}, lot ${e.lot.length}`);
  }
  const nLots = d.composition.lotNames.length;
  for (const [name, v] of Object.entries(d.composition.readouts)) {
    if (v.length !== nLots) throw new Error(`readout '${name}' has ${v.length} values, expected one per lot (${nLots})`);
  }
}

/** The inputs table: one row per lot file. */
function inputsTable(d: ReportData): ReportTable {
  return {
    columns: ['lot', 'file', 'format', 'cells', 'genes'],
    rows: d.inputs.map((r) => [r.lot, r.path, r.format, r.nCells, r.nGenes]),
  };
}

/** UMAP section: two scatter plots (by cluster, by lot), subsampled above `maxPoints`. */
function embeddingSection(d: ReportData, o: RenderReportOptions, clusterColors: Map<string, string>): string {
  const e = d.embedding;
  const n = e.cluster.length;
  const indices = n > o.maxPoints ? subsampleIndices(n, o.maxPoints, createRng(o.seed).fork('report_subsample')) : null;
  const clColors = e.clusterNames.map((c) => clusterColors.get(c) ?? '#999999');
  const lotColors = categoricalPalette(e.lotNames.length);
  const byCluster = renderCategoricalScatter({
    x: e.x, y: e.y, codes: e.cluster, names: e.clusterNames, colors: clColors, indices,
    ariaLabel: `UMAP of ${plural(n, 'cell')} coloured by cluster (${plural(e.clusterNames.length, 'cluster')})`, legendTitle: 'cluster',
  });
  const byLot = renderCategoricalScatter({
    x: e.x, y: e.y, codes: e.lot, names: e.lotNames, colors: lotColors, indices,
    ariaLabel: `UMAP of ${plural(n, 'cell')} coloured by lot (${plural(e.lotNames.length, 'lot')})`, legendTitle: 'lot',
  });
  const sub = indices
    ? ` Showing a deterministic random subsample of ${formatNumber(indices.length)} of ${formatNumber(n)} cells (seed ${o.seed}) to keep the report small.`
    : '';
  const body =
    `<div class="fig-row">` +
    figure('fig-umap-cluster', byCluster.svg, `<b>UMAP by cluster.</b> ${plural(n, 'cell')}, ${plural(e.clusterNames.length, 'cluster')}; legend shows cells per cluster.${escapeHtml(sub)}`) +
    figure('fig-umap-lot', byLot.svg, `<b>UMAP by lot.</b> ${plural(n, 'cell')} from ${plural(e.lotNames.length, 'lot')}; lots mixing evenly across clusters indicates little batch effect.${escapeHtml(sub)}`) +
    `</div>`;
  return section('embedding', 'Embedding (UMAP)', body);
}

/** Composition section: stacked bars ordered by the first readout, annotated with its value. */
function compositionSection(d: ReportData, clusterColors: Map<string, string>): string {
  const comp = d.composition;
  const readoutNames = Object.keys(comp.readouts);
  const first = readoutNames.length > 0 ? readoutNames[0] : null;
  const values = first ? comp.readouts[first] : null;
  const order = lotOrder(values, comp.lotNames.length);
  const annotations = values ? Array.from(values, (v) => formatNumber(v)) : null;
  const { svg } = renderStackedBars({
    lotNames: comp.lotNames, clusterNames: comp.clusterNames, fractions: comp.fractions,
    colors: comp.clusterNames.map((c) => clusterColors.get(c) ?? '#999999'),
    order, annotations, annotationLabel: first ?? '',
    ariaLabel: `Cluster composition of ${comp.lotNames.length} lots` + (first ? `, ordered by ${first}` : ''),
  });
  const caption = first
    ? `<b>Composition per lot.</b> Fraction of QC-passed cells in each cluster; lots ordered by <i>${escapeHtml(first)}</i> ` +
      `(ascending, missing values last), whose value is written above each bar.`
    : `<b>Composition per lot.</b> Fraction of QC-passed cells in each cluster; lots in input order (no readout was given).`;
  return section('composition', 'Composition', figure('fig-composition', svg, caption));
}

/** Association section: readout vs cluster fraction for the top associations, or a note. */
function associationSection(d: ReportData, o: RenderReportOptions, clusterColors: Map<string, string>): string {
  const comp = d.composition;
  const nCl = comp.clusterNames.length, nLots = comp.lotNames.length;
  if (Object.keys(comp.readouts).length === 0) {
    return section('association', 'Association with readouts', note('No lot readouts were given, so no cluster-readout association was computed.'));
  }
  const panels: ReadoutPanel[] = [];
  for (const a of d.associations) {
    if (panels.length >= o.nAssociationPanels) break;
    const y = comp.readouts[a.readout];
    const c = comp.clusterNames.indexOf(a.cluster);
    if (!y || c < 0) continue;
    const x = new Float64Array(nLots);
    let nFinite = 0;
    for (let l = 0; l < nLots; l++) {
      x[l] = comp.fractions[l * nCl + c];
      if (Number.isFinite(x[l]) && Number.isFinite(y[l])) nFinite++;
    }
    // A panel needs at least two lots with a readout to show anything.
    if (nFinite < 2) continue;
    panels.push({
      title: `${a.readout} vs ${clusterLabel(a.cluster)}`,
      subtitle: `rho = ${formatNumber(a.rho)}, p = ${formatPValue(a.pval)}, padj = ${formatPValue(a.padj)}`,
      x, y, labels: comp.lotNames, color: clusterColors.get(a.cluster) ?? '#999999',
      xLabel: `fraction of ${clusterLabel(a.cluster)}`, yLabel: a.readout,
    });
  }
  if (panels.length === 0) {
    return section('association', 'Association with readouts', note('No cluster-readout associations are available (association was skipped; see the notes above).'));
  }
  const { svg } = renderReadoutScatter(panels, `Readout against cluster fraction per lot for the top ${panels.length} associations`);
  const caption =
    `<b>Readout vs cluster fraction.</b> One point per lot (lots with a missing readout are left out); dashed line: ` +
    `least-squares fit. rho: Spearman correlation; p: its p-value; padj: Benjamini-Hochberg adjusted p-value. ` +
    `Top ${panels.length} association${panels.length > 1 ? 's' : ''} by the order of the analysis.`;
  return section('association', 'Association with readouts', figure('fig-association', svg, caption));
}

/** Marker section: the dot plot, or a note when there are no marker genes. */
function markerSection(d: ReportData): string {
  const dp = d.dotplot;
  if (dp.genes.length === 0 || dp.clusterNames.length === 0) {
    return section('markers', 'Marker genes', note('No marker genes to show.'));
  }
  const { svg } = renderDotPlot({
    genes: dp.genes, clusterNames: dp.clusterNames, meanExpr: dp.meanExpr, pctExpr: dp.pctExpr,
    ariaLabel: `Dot plot of ${dp.genes.length} marker genes across ${dp.clusterNames.length} clusters`,
  });
  const caption =
    `<b>Marker genes.</b> Dot area: fraction of the cluster's cells expressing the gene; colour: mean log-normalized ` +
    `expression scaled per gene from its lowest (dark) to its highest (yellow) cluster.`;
  return section('markers', 'Marker genes', figure('fig-dotplot', svg, caption));
}

/** Table of contents entries: [section id, title]. */
const TOC: readonly (readonly [string, string])[] = [
  ['summary', 'Summary'], ['inputs', 'Inputs and QC'], ['embedding', 'Embedding'], ['composition', 'Composition'],
  ['association', 'Association'], ['markers', 'Markers'], ['candidates', 'CQA candidates'], ['parameters', 'Parameters'],
  ['versions', 'Versions'],
];

/**
 * Renders the complete report as one HTML document.
 * @param data Everything the report shows (see {@link ReportData}).
 * @param options Subsampling and panel count; defaults suit reports up to 100k+ cells (under ~10 MB).
 * @returns The HTML text (UTF-8), identical for identical inputs.
 * @example await writeFileAtomic(join(out, 'report.html'), renderReport(data));
 */
export function renderReport(data: ReportData, options: Partial<RenderReportOptions> = {}): string {
  const o: RenderReportOptions = { ...DEFAULTS, ...options };
  if (!Number.isInteger(o.maxPoints) || o.maxPoints < 1) throw new UsageError(`report maxPoints must be an integer >= 1, got ${o.maxPoints}`);
  if (!Number.isInteger(o.nAssociationPanels) || o.nAssociationPanels < 0) {
    throw new UsageError(`report nAssociationPanels must be an integer >= 0, got ${o.nAssociationPanels}`);
  }
  checkShapes(data);
  const e = data.embedding;
  // Cluster colours are keyed by name so UMAP, bars, scatter points and legends agree.
  const clusterColors = colorLookup(e.clusterNames, data.composition.clusterNames);
  const readoutNames = Object.keys(data.composition.readouts);
  const title = escapeHtml(data.title);

  const summary =
    `<p class="lede">${plural(e.cluster.length, 'cell')} analysed from ${plural(data.inputs.length, 'input lot')}; ` +
    `${plural(e.clusterNames.length, 'cluster')}; ` +
    (readoutNames.length > 0 ? `readouts: ${readoutNames.map((r) => `<i>${escapeHtml(r)}</i>`).join(', ')}.` : 'no readouts.') +
    `</p>` +
    (data.notes.length > 0
      ? `<ul class="notes">${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
      : `<p class="note">No notes.</p>`);

  const inputs =
    `<h3>Inputs</h3>${renderTable(inputsTable(data), { emptyText: 'No inputs listed.' })}` +
    `<h3>QC per lot</h3>${renderTable(data.qc, { emptyText: 'No QC table.' })}`;

  const candidates = renderTable(data.candidates, { emptyText: 'No CQA candidates (none passed the thresholds, or association was skipped).' });

  const versions = Object.keys(data.versions).map((k) => [k, data.versions[k]] as [string, string]);
  const versionTable = renderTable({ columns: ['component', 'version'], rows: versions }, { emptyText: 'No versions recorded.' });

  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="cqamine${data.versions.cqamine ? ` ${escapeHtml(data.versions.cqamine)}` : ''}">`,
    `<title>${title}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${title}</h1>`,
    `<nav aria-label="Sections"><ul>${TOC.map(([id, t]) => `<li><a href="#${id}">${t}</a></li>`).join('')}</ul></nav></header>`,
    '<main>',
    section('summary', 'Summary', summary),
    section('inputs', 'Inputs and QC', inputs),
    embeddingSection(data, o, clusterColors),
    compositionSection(data, clusterColors),
    associationSection(data, o, clusterColors),
    markerSection(data),
    section('candidates', 'Top CQA candidates', candidates),
    section('parameters', 'Parameters', `<pre><code>${escapeHtml(prettyJson(data.params))}</code></pre>`),
    '</main>',
    `<footer id="versions"><h2>Versions</h2>${versionTable}</footer>`,
    '</body>',
    '</html>',
    '',
  ];
  return html.join('\n');
}
