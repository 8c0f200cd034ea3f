/**
 * Categorical legend: a colour swatch and a name per category, in columns that wrap when the
 * list is taller than the plot. Long names are shortened with an ellipsis; the full name stays in
 * a `<title>` tooltip.
 */
import { escapeHtml } from '../escapeHtml.js';
import { coord } from './coord.js';
import { formatNumber } from '../formatNumber.js';
import { textWidth } from './textWidth.js';

/** Parameters of {@link renderLegend}. */
export interface LegendSpec {
  /** Category names (unescaped), in display order. */
  names: readonly string[];
  /** Colour per name. */
  colors: readonly string[];
  /** Left edge of the legend (px). */
  x: number;
  /** Top edge of the legend (px). */
  y: number;
  /** Height available before wrapping to a new column (px). */
  maxHeight: number;
  /** Legend heading (unescaped); empty for none. */
  title: string;
  /** Swatch shape: squares for bars, dots for scatter points. @default 'square' */
  shape?: 'square' | 'dot';
  /** Optional count per category shown after the name, e.g. cells per cluster. */
  counts?: ArrayLike<number>;
}

const ROW = 16;
const FONT = 11;
const MAX_CHARS = 28;

/**
 * Renders the legend and reports the space it takes.
 * @param s Names, colours, position and wrapping height.
 * @returns `{ svg, width, height }` of the legend block.
 * @example renderLegend({ names: ['0', '1'], colors: ['#E69F00', '#56B4E9'], x: 500, y: 20, maxHeight: 400, title: 'cluster' })
 */
export function renderLegend(s: LegendSpec): { svg: string; width: number; height: number } {
  const n = s.names.length;
  const top = s.title ? 18 : 0;
  const perCol = Math.max(1, Math.floor((s.maxHeight - top) / ROW));
  const nColumns = Math.max(1, Math.ceil(n / perCol));
  const labels: string[] = [];
  // The heading is bold, so allow ~10% more than the estimate for regular text.
  let colWidth = s.title ? textWidth(s.title, FONT) * 1.1 + 4 : 0;
  for (let c = 0; c < n; c++) {
    const name = s.names[c];
    let label = name.length > MAX_CHARS ? `${name.slice(0, MAX_CHARS - 1)}\u2026` : name;
    if (s.counts) label += ` (${formatNumber(s.counts[c])})`;
    labels.push(label);
    colWidth = Math.max(colWidth, 18 + textWidth(label, FONT) + 12);
  }
  const parts: string[] = [`<g class="legend" transform="translate(${coord(s.x)} ${coord(s.y)})">`];
  if (s.title) parts.push(`<text class="legend-title" x="0" y="11">${escapeHtml(s.title)}</text>`);
  for (let c = 0; c < n; c++) {
    const col = Math.floor(c / perCol), row = c % perCol;
    const lx = col * colWidth, ly = top + row * ROW;
    const fill = escapeHtml(s.colors[c]);
    const swatch = s.shape === 'dot'
      ? `<circle cx="${coord(lx + 5)}" cy="${coord(ly + 6)}" r="4.5" fill="${fill}"/>`
      : `<rect x="${coord(lx)}" y="${coord(ly + 1)}" width="10" height="10" fill="${fill}"/>`;
    parts.push(
      `<g><title>${escapeHtml(s.names[c])}</title>${swatch}` +
        `<text x="${coord(lx + 16)}" y="${coord(ly + 10)}">${escapeHtml(labels[c])}</text></g>`,
    );
  }
  parts.push('</g>');
  const rows = Math.min(n, perCol);
  return { svg: parts.join(''), width: nColumns * colWidth, height: top + rows * ROW };
}
