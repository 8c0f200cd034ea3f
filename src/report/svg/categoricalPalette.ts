/**
 * Colour-blind-friendly categorical colours. Up to 8 categories use Okabe & Ito's palette
 * (Okabe & Ito 2008, "Color Universal Design"), which stays distinguishable under the common
 * forms of colour blindness. Beyond 8 the Tableau-20 hues follow (light/dark pairs that stay
 * apart in lightness), and beyond 27 evenly spaced golden-angle hues in HCL-like lightness bands,
 * so every category keeps a distinct colour even when it can no longer be named.
 */

// Okabe-Ito in an order that puts the most separable hues first; black last because a black
// cluster dominates a scatter plot.
const OKABE_ITO = ['#E69F00', '#56B4E9', '#009E73', '#0072B2', '#D55E00', '#CC79A7', '#F0E442', '#000000'];

// Tableau 20, reordered so consecutive entries differ in hue.
const TABLEAU_20 = [
  '#4E79A7', '#F28E2B', '#E15759', '#76B7B2', '#59A14F', '#EDC948', '#B07AA1', '#FF9DA7', '#9C755F', '#BAB0AC',
  '#A0CBE8', '#FFBE7D', '#FF9D9A', '#86BCB6', '#8CD17D', '#F1CE63', '#D4A6C8', '#FABFD2', '#D7B5A6', '#79706E',
];

/** `#rrggbb` of an HSL colour (h in degrees, s and l in [0, 1]). */
function hsl(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const ch = (n: number): string => {
    const k = (n + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${ch(0)}${ch(8)}${ch(4)}`.toUpperCase();
}

/**
 * `n` distinct colours as `#RRGGBB` strings, the same list for the same `n`.
 * @param n Number of categories (>= 0).
 * @example categoricalPalette(3) // ['#E69F00', '#56B4E9', '#009E73']
 */
export function categoricalPalette(n: number): string[] {
  if (n <= OKABE_ITO.length) return OKABE_ITO.slice(0, n);
  // More than 8: Okabe-Ito without black (too heavy among many colours), then Tableau 20,
  // then golden-angle hue steps alternating three lightness bands.
  const out = OKABE_ITO.slice(0, 7).concat(TABLEAU_20);
  for (let c = out.length; c < n; c++) out.push(hsl((c * 137.508) % 360, 0.55, [0.42, 0.6, 0.75][c % 3]));
  return out.slice(0, n);
}
