/**
 * MAD-based outlier calls, as scater `isOutlier` defines them: a value is an outlier when it lies
 * more than `nmads` scaled MADs from the median, with MAD = 1.4826 * median(|x - median|) (R `mad`,
 * consistent for the normal sd). On the log scale (`log: true`) the metric is log2-transformed
 * first (scater uses log2; the calls do not depend on the base) and thresholds are reported back on
 * the original scale. Medians and MADs are computed within each batch (lot). NaN values are
 * ignored when computing the medians and are never outliers. Comparisons are strict, as scater's
 * `metric < lower | metric > upper`.
 */
import { UsageError } from '../core/errors.js';

/** Options of {@link isOutlier}. */
export interface IsOutlierOptions {
  /** Number of scaled MADs from the median. @default 3 */
  nmads?: number;
  /** Which tail(s) flag outliers. @default 'both' */
  type?: 'both' | 'lower' | 'higher';
  /** Work on log2(values) (counts, genes). Zero maps to -Infinity, a lower outlier. @default false */
  log?: boolean;
  /** Batch code per value (0..nBatches-1; negative = excluded, never an outlier). @default all in batch 0 */
  batch?: Int32Array;
  /** Number of batches. @default max(batch) + 1 */
  nBatches?: number;
}

/** Result of {@link isOutlier}: calls plus the thresholds per batch on the original scale. */
export interface OutlierResult {
  /** 1 where the value is an outlier. */
  outlier: Uint8Array;
  /** Lower threshold per batch (-Infinity when the lower tail is not tested). */
  lower: Float64Array;
  /** Upper threshold per batch (+Infinity when the upper tail is not tested). */
  upper: Float64Array;
  /** Median per batch (transformed scale back-transformed). */
  median: Float64Array;
  /** Scaled MAD per batch, on the transformed scale (log2 when `log`). */
  mad: Float64Array;
}

/** Median of the first `n` entries of `a`, sorting them in place. NaN for n = 0. */
export function medianInPlace(a: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const s = a.subarray(0, n).sort();
  const h = n >> 1;
  return n % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Scale constant of R `mad`: 1 / Phi^-1(3/4), so that the MAD estimates sd for normal data. */
export const MAD_CONSTANT = 1.4826;

/**
 * Kernel: flags outliers of `values` (one per cell).
 * @example isOutlier(Float64Array.of(1, 2, 3, 100), { type: 'higher' }).outlier // [0, 0, 0, 1]
 */
export function isOutlier(values: ArrayLike<number>, options: IsOutlierOptions = {}): OutlierResult {
  const nmads = options.nmads ?? 3;
  const type = options.type ?? 'both';
  const useLog = options.log ?? false;
  if (!(nmads >= 0)) throw new UsageError(`nmads must be >= 0, got ${nmads}`);
  const n = values.length;
  const batch = options.batch ?? new Int32Array(n);
  if (batch.length !== n) throw new UsageError(`batch has length ${batch.length}, values ${n}`);
  let nBatches = options.nBatches ?? 0;
  if (options.nBatches === undefined) for (let i = 0; i < n; i++) if (batch[i] + 1 > nBatches) nBatches = batch[i] + 1;
  // Transformed values; NaN stays NaN and is skipped below.
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = useLog ? Math.log2(values[i]) : values[i];
  // Group values by batch with a counting sort so each batch's median works on a contiguous buffer.
  const counts = new Int32Array(nBatches + 1);
  for (let i = 0; i < n; i++) if (batch[i] >= 0 && !Number.isNaN(t[i])) counts[batch[i] + 1]++;
  for (let b = 0; b < nBatches; b++) counts[b + 1] += counts[b];
  const grouped = new Float64Array(counts[nBatches]);
  const cursor = counts.slice(0, nBatches);
  for (let i = 0; i < n; i++) if (batch[i] >= 0 && !Number.isNaN(t[i])) grouped[cursor[batch[i]]++] = t[i];
  const lower = new Float64Array(nBatches).fill(-Infinity);
  const upper = new Float64Array(nBatches).fill(Infinity);
  const median = new Float64Array(nBatches);
  const mad = new Float64Array(nBatches);
  const lowerT = new Float64Array(nBatches);
  const upperT = new Float64Array(nBatches);
  for (let b = 0; b < nBatches; b++) {
    const seg = grouped.subarray(counts[b], counts[b + 1]);
    const med = medianInPlace(seg, seg.length);
    const dev = new Float64Array(seg.length);
    // |x - med| with -Infinity values: deviation is Infinity, which sorts last (as in R).
    for (let k = 0; k < seg.length; k++) dev[k] = Math.abs(seg[k] - med);
    const m = MAD_CONSTANT * medianInPlace(dev, dev.length);
    median[b] = useLog ? 2 ** med : med;
    mad[b] = m;
    lowerT[b] = type === 'higher' ? -Infinity : med - nmads * m;
    upperT[b] = type === 'lower' ? Infinity : med + nmads * m;
    if (type !== 'higher') lower[b] = useLog ? 2 ** lowerT[b] : lowerT[b];
    if (type !== 'lower') upper[b] = useLog ? 2 ** upperT[b] : upperT[b];
  }
  const outlier = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = batch[i];
    if (b < 0 || Number.isNaN(t[i])) continue;
    if (t[i] < lowerT[b] || t[i] > upperT[b]) outlier[i] = 1;
  }
  return { outlier, lower, upper, median, mad };
}
