/**
 * Composition plot: one vertical bar per lot, stacked by cluster fraction, lots in a given order
 * (by readout value), with the readout value written above each bar.
 */
import { escapeHtml } from '../escapeHtml.js';
import { coord } from './coord.js';
import { linearScale } from './linearScale.js';
import { renderAxis } from './renderAxis.js';
import { renderLegend } from './renderLegend.js';
import { renderSvg } from './renderSvg.js';
import { textWidth } from './textWidth.js';

/** Parameters of {@link renderStackedBars}. */
export interface StackedBarsSpec {
  /** Lot names (unescaped), in data order. */
  lotNames: readonly string[];
  /** Cluster names (unescaped). */
  clusterNames: readonly string[];
  /** lots x clusters, row-major; each row sums to 1. */
  fractions: Float64Array;
  /** Colour per cluster. */
  colors: readonly string[];
  /** Lot indices in left-to-right display order. */
  order: ArrayLike<number>;
  /** Text above each bar per lot (data order), e.g. the formatted readout; `null` for no annotation row. */
  annotations: readonly string[] | null;
  /** Heading of the annotation row (e.g. the readout name). */
  annotationLabel: string;
  /** Screen-reader description. */
  ariaLabel: string;
}

const PLOT_H = 300;
const AXIS_LEFT = 60;
const FONT = 11;
const MAX_LABEL = 24;

/**
 * Renders the stacked bars with a y axis (fraction of cells), rotated lot labels and a cluster legend.
 * @param s Fractions, order, colours and annotations.
 * @returns `{ svg, nSegments }`: the markup and the number of bar segments (lot x cluster with fraction > 0).
 * @example renderStackedBars({ lotNames, clusterNames, fractions, colors, order: [2, 0, 1], annotations: ['1.2', '3.4', '5.6'], annotationLabel: 'potency', ariaLabel: 'composition' })
 */
export function renderStackedBars(s: StackedBarsSpec): { svg: string; nSegments: number } {
  const nLots = s.lotNames.length, nCl = s.clusterNames.length;
  if (s.fractions.length !== nLots * nCl) {
    throw new Error(`composition.fractions has length ${s.fractions.length}, expected lots x clusters = ${nLots * nCl}`);
  }
  // With annotations: a heading line, then the values row, then the bars.
  const top = s.annotations ? 46 : 12;
  const band = nLots <= 6 ? 64 : nLots <= 16 ? 46 : Math.max(14, 736 / nLots);
  const plotW = nLots * band;
  const barW = band * 0.72;
  const labels = s.lotNames.map((n) => (n.length > MAX_LABEL ? `${n.slice(0, MAX_LABEL - 1)}\u2026` : n));
  let maxLabel = 0;
  for (const l of labels) maxLabel = Math.max(maxLabel, textWidth(l, FONT));
  // Labels rotated by -45 degrees need about width * sin(45) of room below the bars and, for the
  // first bar, to its left; widen the left margin so the first label is not clipped.
  const bottom = 16 + maxLabel * 0.71 + 8;
  const LEFT = Math.max(AXIS_LEFT, Math.ceil(maxLabel * 0.71 - band / 2 + 10));
  const sy = linearScale(0, 1, top + PLOT_H, top);
  const parts: string[] = [];
  parts.push(renderAxis({
    orient: 'left', scale: sy, ticks: [0, 0.25, 0.5, 0.75, 1], format: (v) => `${Math.round(v * 100)}%`,
    at: LEFT - 4, extent: [top, top + PLOT_H], label: 'cells in lot',
  }));
  const annotTitle = `${s.annotationLabel} (value above each bar)`;
  if (s.annotations) {
    parts.push(`<text class="annot-title" x="${LEFT}" y="12">${escapeHtml(annotTitle)}</text>`);
  }
  let nSegments = 0;
  for (let slot = 0; slot < s.order.length; slot++) {
    const l = s.order[slot];
    const bx = LEFT + slot * band + (band - barW) / 2;
    const mid = coord(bx + barW / 2);
    const lot = escapeHtml(s.lotNames[l]);
    parts.push(`<g class="bar">`);
    // Stack from the bottom in cluster order, so each cluster keeps its place across bars.
    let acc = 0;
    for (let c = 0; c < nCl; c++) {
      const f = s.fractions[l * nCl + c];
      if (!(f > 0)) continue;
      const yTop = sy(Math.min(1, acc + f)), yBot = sy(acc);
      acc += f;
      parts.push(
        `<rect class="mark seg" x="${coord(bx)}" y="${coord(yTop)}" width="${coord(barW)}" height="${coord(yBot - yTop)}" fill="${escapeHtml(s.colors[c])}">` +
          `<title>${lot} \u00b7 ${escapeHtml(s.clusterNames[c])}: ${(f * 100).toFixed(1)}%</title></rect>`,
      );
      nSegments++;
    }
    if (s.annotations) {
      parts.push(`<text class="annot" x="${mid}" y="${top - 12}" text-anchor="middle">${escapeHtml(s.annotations[l])}</text>`);
    }
    const ly = top + PLOT_H + 12;
    parts.push(
      `<g><title>${lot}</title><text class="tick-label" transform="translate(${mid} ${ly}) rotate(-45)" text-anchor="end" dy="0.32em">` +
        `${escapeHtml(labels[l])}</text></g></g>`,
    );
  }
  const legend = renderLegend({
    names: s.clusterNames, colors: s.colors, x: LEFT + plotW + 18, y: top, maxHeight: PLOT_H, title: 'cluster',
  });
  parts.push(legend.svg);
  // Wide enough for the annotation heading even with a single bar.
  const w = Math.max(LEFT + plotW + 18 + legend.width + 4, s.annotations ? LEFT + textWidth(annotTitle, FONT) * 1.2 + 12 : 0);
  const h = top + PLOT_H + bottom;
  return { svg: renderSvg(w, h, s.ariaLabel, parts.join('')), nSegments };
}
