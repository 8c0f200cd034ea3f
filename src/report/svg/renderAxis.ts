/**
 * One axis line with tick marks, tick labels and an axis title, as SVG markup. Layout follows the
 * usual convention (d3-axis): ticks point outward, labels 3 px beyond them.
 */
import { escapeHtml } from '../escapeHtml.js';
import { coord } from './coord.js';

/** Parameters of {@link renderAxis}. */
export interface AxisSpec {
  /** Which side of the plot the axis is on. */
  orient: 'bottom' | 'left';
  /** Data-to-pixel map along the axis. */
  scale: (v: number) => number;
  /** Tick values (data units). */
  ticks: readonly number[];
  /** Tick label text per value. */
  format: (v: number) => string;
  /** Pixel position of the axis line: y for a bottom axis, x for a left axis. */
  at: number;
  /** Pixel extent of the axis line along its direction, `[start, end]`. */
  extent: readonly [number, number];
  /** Axis title (unescaped); empty for none. */
  label: string;
  /** Distance of the title from the axis line (px). @default 34 for bottom, 44 for left */
  labelOffset?: number;
}

/**
 * Renders an axis as a `<g class="axis">`.
 * @param a Orientation, scale, ticks, position and title.
 * @example renderAxis({ orient: 'bottom', scale: sx, ticks: [0, 0.5, 1], format: String, at: 300, extent: [40, 440], label: 'fraction' })
 */
export function renderAxis(a: AxisSpec): string {
  const parts: string[] = ['<g class="axis">'];
  const [e0, e1] = a.extent;
  if (a.orient === 'bottom') {
    parts.push(`<path d="M${coord(e0)} ${coord(a.at)}H${coord(e1)}"/>`);
    for (const t of a.ticks) {
      const x = coord(a.scale(t));
      parts.push(`<path d="M${x} ${coord(a.at)}v5"/><text x="${x}" y="${coord(a.at + 16)}" text-anchor="middle">${escapeHtml(a.format(t))}</text>`);
    }
    if (a.label) {
      const off = a.labelOffset ?? 34;
      parts.push(`<text class="axis-title" x="${coord((e0 + e1) / 2)}" y="${coord(a.at + off)}" text-anchor="middle">${escapeHtml(a.label)}</text>`);
    }
  } else {
    parts.push(`<path d="M${coord(a.at)} ${coord(e0)}V${coord(e1)}"/>`);
    for (const t of a.ticks) {
      const y = coord(a.scale(t));
      parts.push(`<path d="M${coord(a.at)} ${y}h-5"/><text x="${coord(a.at - 8)}" y="${y}" dy="0.32em" text-anchor="end">${escapeHtml(a.format(t))}</text>`);
    }
    if (a.label) {
      const off = a.labelOffset ?? 44;
      const cx = coord(a.at - off), cy = coord((e0 + e1) / 2);
      parts.push(`<text class="axis-title" transform="translate(${cx} ${cy}) rotate(-90)" text-anchor="middle">${escapeHtml(a.label)}</text>`);
    }
  }
  parts.push('</g>');
  return parts.join('');
}
