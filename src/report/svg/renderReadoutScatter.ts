/**
 * Lot-level association panels: for each top cluster-readout pair, the readout of each lot against
 * the fraction of that cluster in the lot, with the ordinary least-squares line y = a + b x and
 * the association statistics (Spearman rho, p, adjusted p) in the panel title.
 */
import { escapeHtml } from '../escapeHtml.js';
import { formatNumber } from '../formatNumber.js';
import { coord } from './coord.js';
import { linearScale } from './linearScale.js';
import { niceTicks } from './niceTicks.js';
import { renderAxis } from './renderAxis.js';
import { renderSvg } from './renderSvg.js';
import { textWidth } from './textWidth.js';

/** One panel of {@link renderReadoutScatter}. */
export interface ReadoutPanel {
  /** First title line (unescaped), e.g. `cluster 3 vs potency`. */
  title: string;
  /** Second title line (unescaped), e.g. `rho = 0.82, p = 1.2e-3, padj = 0.01`. */
  subtitle: string;
  /** Cluster fraction per lot (x). */
  x: Float64Array;
  /** Readout per lot (y); lots with a non-finite x or y are left out. */
  y: Float64Array;
  /** Lot name per point (tooltips). */
  labels: readonly string[];
  /** Point colour (the cluster's colour). */
  color: string;
  /** Horizontal axis title (unescaped), e.g. `fraction of cluster 3`. */
  xLabel: string;
  /** Vertical axis title (unescaped): the readout name. */
  yLabel: string;
}

const PW = 380;
const PH = 300;
const ML = 62, MR = 18, MT = 48, MB = 46;
const COLS = 2;

/**
 * Least-squares fit y = a + b x over finite pairs; `null` with fewer than 2 points or constant x.
 * Two-pass (centred) sums in Float64 avoid the cancellation of the one-pass formula.
 */
function leastSquares(x: Float64Array, y: Float64Array): { a: number; b: number } | null {
  let n = 0, mx = 0, my = 0;
  for (let t = 0; t < x.length; t++) if (Number.isFinite(x[t]) && Number.isFinite(y[t])) { n++; mx += x[t]; my += y[t]; }
  if (n < 2) return null;
  mx /= n; my /= n;
  let sxx = 0, sxy = 0;
  for (let t = 0; t < x.length; t++) {
    if (!Number.isFinite(x[t]) || !Number.isFinite(y[t])) continue;
    sxx += (x[t] - mx) * (x[t] - mx);
    sxy += (x[t] - mx) * (y[t] - my);
  }
  if (!(sxx > 0)) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

/** Tick labels: nice tick values print shortest (`0.1`, not `0.100`); integers get separators. */
const formatTick = (v: number): string => (Number.isInteger(v) ? formatNumber(v) : String(v));

/** Shortens `text` with an ellipsis to fit `maxPx` at `font` px. */
function fit(text: string, maxPx: number, font: number): string {
  if (textWidth(text, font) <= maxPx) return text;
  let t = text;
  while (t.length > 1 && textWidth(`${t}\u2026`, font) > maxPx) t = t.slice(0, -1);
  return `${t}\u2026`;
}

/** Renders one panel with its top-left corner at (ox, oy); returns markup and the point count. */
function renderPanel(p: ReadoutPanel, ox: number, oy: number): { svg: string; nPoints: number } {
  const fitLine = leastSquares(p.x, p.y);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let t = 0; t < p.x.length; t++) {
    if (!Number.isFinite(p.x[t]) || !Number.isFinite(p.y[t])) continue;
    x0 = Math.min(x0, p.x[t]); x1 = Math.max(x1, p.x[t]);
    y0 = Math.min(y0, p.y[t]); y1 = Math.max(y1, p.y[t]);
  }
  if (!(x1 >= x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  // Fractions start at 0 so the slope reads against the absolute share of the cluster.
  const xt = niceTicks(Math.min(0, x0), x1, 4);
  if (fitLine) {
    // Include the fitted line's ends so it never leaves the plot area.
    for (const xv of [x0, x1]) { const yv = fitLine.a + fitLine.b * xv; y0 = Math.min(y0, yv); y1 = Math.max(y1, yv); }
  }
  const yt = niceTicks(y0, y1, 4);
  const left = ox + ML, right = ox + PW - MR, topY = oy + MT, bot = oy + PH - MB;
  const sx = linearScale(xt.lo, xt.hi, left, right);
  const sy = linearScale(yt.lo, yt.hi, bot, topY);
  const parts: string[] = ['<g class="panel">'];
  parts.push(`<text class="panel-title" x="${coord(ox + ML)}" y="${coord(oy + 16)}">${escapeHtml(fit(p.title, PW - ML - 4, 13))}</text>`);
  parts.push(`<text class="panel-sub" x="${coord(ox + ML)}" y="${coord(oy + 33)}">${escapeHtml(p.subtitle)}</text>`);
  parts.push(renderAxis({ orient: 'bottom', scale: sx, ticks: xt.ticks, format: formatTick, at: bot, extent: [left, right], label: fit(p.xLabel, PW - ML, 11) }));
  parts.push(renderAxis({ orient: 'left', scale: sy, ticks: yt.ticks, format: formatTick, at: left, extent: [bot, topY], label: fit(p.yLabel, PH - MT - MB + 30, 11), labelOffset: 48 }));
  if (fitLine) {
    const xa = Math.max(x0, xt.lo), xb = Math.min(x1, xt.hi);
    parts.push(
      `<path class="fit" d="M${coord(sx(xa))} ${coord(sy(fitLine.a + fitLine.b * xa))}L${coord(sx(xb))} ${coord(sy(fitLine.a + fitLine.b * xb))}">` +
        `<title>least-squares line: y = ${formatNumber(fitLine.a)} ${fitLine.b < 0 ? '-' : '+'} ${formatNumber(Math.abs(fitLine.b))} x</title></path>`,
    );
  }
  let nPoints = 0;
  for (let t = 0; t < p.x.length; t++) {
    if (!Number.isFinite(p.x[t]) || !Number.isFinite(p.y[t])) continue;
    parts.push(
      `<circle class="mark pt" cx="${coord(sx(p.x[t]))}" cy="${coord(sy(p.y[t]))}" r="5" fill="${escapeHtml(p.color)}">` +
        `<title>${escapeHtml(p.labels[t])}: fraction ${formatNumber(p.x[t])}, ${escapeHtml(p.yLabel)} ${formatNumber(p.y[t])}</title></circle>`,
    );
    nPoints++;
  }
  parts.push('</g>');
  return { svg: parts.join(''), nPoints };
}

/**
 * Renders up to any number of panels in a grid of two columns.
 * @param panels The panels, best association first.
 * @param ariaLabel Screen-reader description.
 * @returns `{ svg, nPoints }` with the total number of lot points drawn.
 * @example renderReadoutScatter([{ title: 'C2 vs potency', subtitle: 'rho = 0.9', x, y, labels, color: '#E69F00', xLabel: 'fraction of C2', yLabel: 'potency' }], 'readout vs fraction')
 */
export function renderReadoutScatter(panels: readonly ReadoutPanel[], ariaLabel: string): { svg: string; nPoints: number } {
  const cols = Math.min(COLS, Math.max(1, panels.length));
  const rows = Math.max(1, Math.ceil(panels.length / cols));
  const parts: string[] = [];
  let nPoints = 0;
  for (let k = 0; k < panels.length; k++) {
    const r = renderPanel(panels[k], (k % cols) * PW, Math.floor(k / cols) * PH);
    parts.push(r.svg);
    nPoints += r.nPoints;
  }
  return { svg: renderSvg(cols * PW, rows * PH, ariaLabel, parts.join('')), nPoints };
}
