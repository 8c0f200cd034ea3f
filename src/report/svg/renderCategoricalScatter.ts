/**
 * Scatter plot of an embedding (UMAP) coloured by a categorical label (cluster or lot).
 *
 * Size matters here: a report may hold 100k cells. Instead of one `<circle>` per cell, the points
 * of one colour are drawn as a single `<path>` of zero-length segments (`M x y h0`) with round
 * caps, so each point costs about 14 bytes and the browser paints one element per colour. Groups
 * are painted largest first so small populations stay visible on top.
 */
import { escapeHtml } from '../escapeHtml.js';
import { formatNumber } from '../formatNumber.js';
import { coord } from './coord.js';
import { linearScale } from './linearScale.js';
import { renderLegend } from './renderLegend.js';
import { renderSvg } from './renderSvg.js';

/** Parameters of {@link renderCategoricalScatter}. */
export interface CategoricalScatterSpec {
  /** X coordinate per cell (NaN points are skipped). */
  x: Float32Array | Float64Array;
  /** Y coordinate per cell. */
  y: Float32Array | Float64Array;
  /** Category code per cell, indexing `names` (codes outside the range are skipped). */
  codes: Int32Array;
  /** Category names (unescaped). */
  names: readonly string[];
  /** Colour per category. */
  colors: readonly string[];
  /** Cells to draw (e.g. a subsample), ascending; `null` draws all cells. */
  indices: Int32Array | null;
  /** Screen-reader description. */
  ariaLabel: string;
  /** Legend heading, e.g. `cluster`. */
  legendTitle: string;
  /** Horizontal axis title. @default 'UMAP1' */
  xLabel?: string;
  /** Vertical axis title. @default 'UMAP2' */
  yLabel?: string;
}

// 400 px squares let the two UMAPs (with legends) sit side by side on a 1280 px screen.
const PLOT = 400;
const PAD = 10;
const LEFT = 28;
const TOP = 10;

/** Stroke width (= point diameter) for a given number of drawn points: denser plots, smaller points. */
function pointSize(n: number): number {
  return n <= 2_000 ? 5 : n <= 10_000 ? 3.5 : n <= 30_000 ? 2.5 : 2;
}

/**
 * Renders the scatter plot with a legend on the right.
 * @param s Coordinates, categories, colours and the cells to draw.
 * @returns `{ svg, nDrawn }`: the `<svg>` markup and the number of points drawn.
 * @example renderCategoricalScatter({ x, y, codes: cluster, names, colors, indices: null, ariaLabel: 'UMAP by cluster', legendTitle: 'cluster' })
 */
export function renderCategoricalScatter(s: CategoricalScatterSpec): { svg: string; nDrawn: number } {
  const nCells = s.codes.length;
  const nCat = s.names.length;
  const nPick = s.indices ? s.indices.length : nCells;
  // Bounds of the drawn finite points.
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let t = 0; t < nPick; t++) {
    const i = s.indices ? s.indices[t] : t;
    const xi = s.x[i], yi = s.y[i];
    if (!Number.isFinite(xi) || !Number.isFinite(yi)) continue;
    if (xi < x0) x0 = xi;
    if (xi > x1) x1 = xi;
    if (yi < y0) y0 = yi;
    if (yi > y1) y1 = yi;
  }
  if (!(x1 >= x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  // One scale for both axes keeps the embedding's aspect ratio: distances read the same in x and y.
  const span = Math.max(x1 - x0, y1 - y0) || 1;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const sx = linearScale(cx - span / 2, cx + span / 2, LEFT + PAD, LEFT + PLOT - PAD);
  const sy = linearScale(cy - span / 2, cy + span / 2, TOP + PLOT - PAD, TOP + PAD);

  // Cells per category over all cells, for the legend; drawn points per category for the paths.
  const total = new Float64Array(nCat);
  for (let i = 0; i < nCells; i++) {
    const c = s.codes[i];
    if (c >= 0 && c < nCat) total[c]++;
  }
  const paths: string[][] = Array.from({ length: nCat }, () => []);
  const drawn = new Int32Array(nCat);
  for (let t = 0; t < nPick; t++) {
    const i = s.indices ? s.indices[t] : t;
    const c = s.codes[i];
    const xi = s.x[i], yi = s.y[i];
    if (c < 0 || c >= nCat || !Number.isFinite(xi) || !Number.isFinite(yi)) continue;
    paths[c].push(`M${coord(sx(xi))} ${coord(sy(yi))}h0`);
    drawn[c]++;
  }
  let nDrawn = 0;
  for (let c = 0; c < nCat; c++) nDrawn += drawn[c];

  // Largest group first; ties by category index so the order is deterministic.
  const order = Array.from({ length: nCat }, (_, c) => c).sort((a, b) => drawn[b] - drawn[a] || a - b);
  const width = pointSize(nDrawn);
  const parts: string[] = [
    `<rect class="frame" x="${LEFT}" y="${TOP}" width="${PLOT}" height="${PLOT}"/>`,
    `<g class="points" stroke-linecap="round" stroke-width="${width}" fill="none">`,
  ];
  for (const c of order) {
    if (drawn[c] === 0) continue;
    parts.push(
      `<path class="mark pts" stroke="${escapeHtml(s.colors[c])}" d="${paths[c].join('')}">` +
        `<title>${escapeHtml(s.names[c])}: ${formatNumber(total[c])} cells</title></path>`,
    );
  }
  parts.push('</g>');
  parts.push(`<text class="axis-title" x="${coord(LEFT + PLOT / 2)}" y="${TOP + PLOT + 18}" text-anchor="middle">${escapeHtml(s.xLabel ?? 'UMAP1')}</text>`);
  parts.push(`<text class="axis-title" transform="translate(${LEFT - 10} ${coord(TOP + PLOT / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(s.yLabel ?? 'UMAP2')}</text>`);
  const legend = renderLegend({
    names: s.names, colors: s.colors, x: LEFT + PLOT + 16, y: TOP, maxHeight: PLOT, title: s.legendTitle, shape: 'dot', counts: total,
  });
  parts.push(legend.svg);
  const w = LEFT + PLOT + 16 + legend.width + 4;
  const h = TOP + PLOT + 26;
  return { svg: renderSvg(w, h, s.ariaLabel, parts.join('')), nDrawn };
}
