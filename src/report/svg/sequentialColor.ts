/**
 * Sequential colour map for magnitudes (dot-plot expression): viridis (van der Walt & Smith,
 * matplotlib 2015), perceptually uniform and readable in grey scale and by colour-blind readers.
 * Ten anchor colours sampled from the published map, interpolated linearly in sRGB, which is
 * within a few units of the full 256-entry table.
 */

const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

const hex2 = (v: number): string => Math.round(v).toString(16).padStart(2, '0');

/**
 * The viridis colour at `t` as `#rrggbb`.
 * @param t Position in [0, 1] (clamped; `NaN` gives light grey `#d9d9d9`).
 * @example sequentialColor(0) // '#440154';  sequentialColor(1) // '#fde725'
 */
export function sequentialColor(t: number): string {
  if (Number.isNaN(t)) return '#d9d9d9';
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return `#${hex2(a[0] + (b[0] - a[0]) * f)}${hex2(a[1] + (b[1] - a[1]) * f)}${hex2(a[2] + (b[2] - a[2]) * f)}`;
}
