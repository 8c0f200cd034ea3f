/**
 * The outer `<svg>` element of every figure: a fixed viewBox (so it scales with the page through
 * CSS), `role="img"` and an `aria-label` so screen readers announce the figure as one image.
 */
import { escapeHtml } from '../escapeHtml.js';

/**
 * Wraps `body` in an accessible `<svg>` of the given size.
 * @param width Width in user units (also the intrinsic width in CSS px).
 * @param height Height in user units.
 * @param ariaLabel Short description read by screen readers (escaped here).
 * @param body SVG markup of the content (already escaped).
 * @param className CSS class of the `<svg>` (e.g. `plot`).
 * @example renderSvg(400, 300, 'UMAP coloured by cluster', '<circle cx="1" cy="1" r="1"/>')
 */
export function renderSvg(width: number, height: number, ariaLabel: string, body: string, className = 'plot'): string {
  const w = Math.ceil(width), h = Math.ceil(height);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${escapeHtml(className)}" viewBox="0 0 ${w} ${h}" ` +
    `width="${w}" height="${h}" role="img" aria-label="${escapeHtml(ariaLabel)}">${body}</svg>`
  );
}
