/**
 * Marker dot plot (as Seurat `DotPlot` / scanpy `pl.dotplot`): genes as columns, clusters as
 * rows; dot area is proportional to the fraction of cells expressing the gene, dot colour is the
 * mean expression min-max scaled within each gene (0 = the gene's lowest cluster, 1 = its highest),
 * so genes with different absolute levels share one colour scale.
 */
import { escapeHtml } from '../escapeHtml.js';
import { formatNumber } from '../formatNumber.js';
import { coord } from './coord.js';
import { renderSvg } from './renderSvg.js';
import { sequentialColor } from './sequentialColor.js';
import { textWidth } from './textWidth.js';

/** Parameters of {@link renderDotPlot}. */
export interface DotPlotSpec {
  /** Gene names (unescaped), one column each. */
  genes: readonly string[];
  /** Cluster names (unescaped), one row each. */
  clusterNames: readonly string[];
  /** genes x clusters, row-major: mean log-normalized expression. */
  meanExpr: Float64Array;
  /** genes x clusters, row-major: fraction of cells expressing, in [0, 1]. */
  pctExpr: Float64Array;
  /** Screen-reader description. */
  ariaLabel: string;
}

const CELL = 26;
const R_MAX = 11;
const FONT = 11;
const MAX_LABEL = 28;

/** Shortens a label to `MAX_LABEL` characters with an ellipsis (the full name stays in a tooltip). */
const shorten = (s: string): string => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}\u2026` : s);

/** Dot radius for a fraction expressing: area proportional to the fraction. */
const radius = (pct: number): number => (pct > 0 ? R_MAX * Math.sqrt(Math.min(1, pct)) : 0);

/**
 * Renders the dot plot with a size legend and a colour bar on the right.
 * @param s Genes, clusters and the two genes x clusters matrices.
 * @returns `{ svg, nDots }`: the markup and the number of dots (genes x clusters, zero-size dots included).
 * @example renderDotPlot({ genes: ['THY1'], clusterNames: ['0', '1'], meanExpr: Float64Array.of(2, 0.1), pctExpr: Float64Array.of(0.9, 0.05), ariaLabel: 'markers' })
 */
export function renderDotPlot(s: DotPlotSpec): { svg: string; nDots: number } {
  const nG = s.genes.length, nC = s.clusterNames.length;
  if (s.meanExpr.length !== nG * nC || s.pctExpr.length !== nG * nC) {
    throw new Error(`dotplot matrices have lengths ${s.meanExpr.length}/${s.pctExpr.length}, expected genes x clusters = ${nG * nC}`);
  }
  let maxRow = 0;
  for (const c of s.clusterNames) maxRow = Math.max(maxRow, textWidth(shorten(c), FONT));
  let maxGene = 0;
  for (const g of s.genes) maxGene = Math.max(maxGene, textWidth(shorten(g), FONT));
  const left = Math.ceil(maxRow) + 16;
  const top = 10;
  const gridW = nG * CELL, gridH = nC * CELL;
  // Gene labels rotated by -60 degrees: vertical room about width * sin(60).
  const bottom = Math.ceil(maxGene * 0.87) + 20;
  const parts: string[] = [];
  // Light guide lines per row help reading a cluster across many genes.
  for (let c = 0; c < nC; c++) {
    const y = top + c * CELL + CELL / 2;
    parts.push(`<path class="guide" d="M${left} ${coord(y)}h${gridW}"/>`);
    parts.push(
      `<g><title>${escapeHtml(s.clusterNames[c])}</title><text class="tick-label" x="${left - 6}" y="${coord(y)}" dy="0.32em" text-anchor="end">` +
        `${escapeHtml(shorten(s.clusterNames[c]))}</text></g>`,
    );
  }
  let nDots = 0;
  for (let j = 0; j < nG; j++) {
    // Min-max of this gene's means over clusters (finite values only).
    let lo = Infinity, hi = -Infinity;
    for (let c = 0; c < nC; c++) {
      const m = s.meanExpr[j * nC + c];
      if (Number.isFinite(m)) { if (m < lo) lo = m; if (m > hi) hi = m; }
    }
    const span = hi - lo;
    const gx = left + j * CELL + CELL / 2;
    const gene = escapeHtml(s.genes[j]);
    for (let c = 0; c < nC; c++) {
      const m = s.meanExpr[j * nC + c], pct = s.pctExpr[j * nC + c];
      // A gene equal in every cluster gets the middle colour rather than a division by zero.
      const t = !Number.isFinite(m) ? NaN : span > 0 ? (m - lo) / span : 0.5;
      const cy = top + c * CELL + CELL / 2;
      parts.push(
        `<circle class="mark dot" cx="${coord(gx)}" cy="${coord(cy)}" r="${coord(radius(pct))}" fill="${sequentialColor(t)}">` +
          `<title>${gene} in ${escapeHtml(s.clusterNames[c])}: ${formatNumber(pct * 100)}% expressing, mean ${formatNumber(m)}</title></circle>`,
      );
      nDots++;
    }
    const ly = top + gridH + 8;
    parts.push(
      `<g><title>${gene}</title><text class="tick-label gene" transform="translate(${coord(gx)} ${ly}) rotate(-60)" text-anchor="end" dy="0.32em">` +
        `${escapeHtml(shorten(s.genes[j]))}</text></g>`,
    );
  }
  // Legends to the right of the grid: dot size for 25/50/75/100 %, then the colour bar.
  const lx = left + gridW + 24;
  parts.push(`<g class="legend" transform="translate(${lx} ${top})"><text class="legend-title" x="0" y="11">% expressing</text>`);
  const sizes = [0.25, 0.5, 0.75, 1];
  for (let k = 0; k < sizes.length; k++) {
    const y = 30 + k * 25;
    parts.push(`<circle cx="${R_MAX}" cy="${y}" r="${coord(radius(sizes[k]))}" fill="#555"/><text x="${2 * R_MAX + 8}" y="${y}" dy="0.32em">${sizes[k] * 100}</text>`);
  }
  const barY = 30 + sizes.length * 25 + 6;
  parts.push(`<text class="legend-title" x="0" y="${barY}">scaled mean</text>`);
  // Colour bar as 20 stacked rects (no gradient ids needed, so the markup has no document-level ids).
  const steps = 20, barH = 100;
  for (let k = 0; k < steps; k++) {
    const t = 1 - (k + 0.5) / steps;
    parts.push(`<rect x="0" y="${coord(barY + 8 + (k * barH) / steps)}" width="12" height="${coord(barH / steps + 0.5)}" fill="${sequentialColor(t)}"/>`);
  }
  parts.push(`<text x="18" y="${barY + 8}" dy="0.7em">high</text><text x="18" y="${barY + 8 + barH}">low</text></g>`);
  const legendH = barY + 8 + barH + 6;
  const w = lx + 110;
  const h = Math.max(top + gridH + bottom, top + legendH);
  return { svg: renderSvg(w, h, s.ariaLabel, parts.join('')), nDots };
}
