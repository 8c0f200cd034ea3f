/**
 * Random variates for the cohort simulator, all driven by an injected {@link Rng} so one seed
 * reproduces a cohort bit for bit. Every sampler is a plain function over numbers and typed
 * arrays (no per-draw objects), because the simulator calls them hundreds of millions of times.
 *
 * Sources: gamma by Marsaglia & Tsang (2000, ACM TOMS 26:363) with the shape < 1 boost
 * `G(a) = G(a+1) * U^(1/a)`; Poisson by inversion for small means and by Hörmann's transformed
 * rejection PTRS (1993, Insurance: Math. Econ. 12:39) for large ones; the alias method of
 * Walker (1977) in Vose's (1991) numerically stable form for repeated categorical draws.
 */
import type { Rng } from '../core/rng.js';

/** Gamma(shape, scale = 1) variate; `shape` > 0. */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    // Boost: a Gamma(shape + 1) draw times U^(1/shape) is Gamma(shape) (Marsaglia & Tsang, sec. 6).
    const u = rng.next();
    return sampleGamma(rng, shape + 1) * Math.pow(u === 0 ? Number.MIN_VALUE : u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    // Squeeze first (cheap), then the exact log test.
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** log(k!) for small k from a table, Stirling's series beyond (error < 1e-12 for k >= 64). */
const LOG_FACTORIAL_TABLE = (() => {
  const t = new Float64Array(64);
  for (let k = 1; k < 64; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();

function logFactorial(k: number): number {
  if (k < 64) return LOG_FACTORIAL_TABLE[k];
  const x = k + 1;
  // Stirling for lgamma(x): (x-1/2)log x - x + log(2 pi)/2 + 1/(12x) - 1/(360x^3) + 1/(1260x^5)
  const ix = 1 / x;
  const ix2 = ix * ix;
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + ix * (1 / 12 - ix2 * (1 / 360 - ix2 / 1260));
}

/** Poisson(mean) variate; `mean` >= 0. */
export function samplePoisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 12) {
    // Inversion by sequential search: one uniform, about mean + 1 steps.
    let p = Math.exp(-mean);
    let s = p;
    const u = rng.next();
    let x = 0;
    while (u > s) {
      x++;
      p *= mean / x;
      s += p;
      if (p === 0) break; // u fell in the float round-off tail; x is already far out
    }
    return x;
  }
  // PTRS (Hörmann 1993): constants from the paper's table 1 fits.
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) return k;
  }
}

/** Below this mean, {@link sampleNegBinomial} inverts the NB cdf instead of mixing gamma and Poisson. */
const NB_INVERSION_MAX_MEAN = 8;

/**
 * Negative binomial with mean `mean` and dispersion `phi` (variance mean + phi * mean^2); `phi`
 * <= 0 gives a plain Poisson. Small means use inversion by sequential search on the pmf
 * (P(0) = (1 + phi*mean)^(-1/phi), P(k+1) = P(k) (k + r)/(k + 1) q with r = 1/phi,
 * q = mean/(r + mean)): one uniform and at most two transcendental calls, against about four
 * uniforms for the gamma-Poisson mixture. Larger means use the mixture that defines the NB:
 * Poisson(mean * G / r), G ~ Gamma(shape r).
 */
export function sampleNegBinomial(rng: Rng, mean: number, phi: number): number {
  if (mean <= 0) return 0;
  if (phi <= 0) return samplePoisson(rng, mean);
  const r = 1 / phi;
  if (mean < NB_INVERSION_MAX_MEAN) {
    const u = rng.next();
    // Squeeze: P(0) = exp(-r log1p(phi mean)) >= exp(-mean) >= 1 - mean, so u <= 1 - mean is a
    // zero without any transcendental call (most draws for the many genes with mean << 1).
    if (u <= 1 - mean) return 0;
    let p = Math.exp(-r * Math.log1p(mean * phi));
    let s = p;
    if (u <= s) return 0;
    const q = mean / (r + mean);
    let k = 0;
    while (u > s) {
      p *= ((k + r) / (k + 1)) * q;
      k++;
      s += p;
      if (p < 1e-300 && k > mean) break; // u fell in the float round-off tail
    }
    return k;
  }
  return samplePoisson(rng, (mean * sampleGamma(rng, r)) / r);
}

/** Log-normal variate exp(N(meanlog, sdlog^2)). */
export function sampleLogNormal(rng: Rng, meanlog: number, sdlog: number): number {
  return Math.exp(meanlog + sdlog * rng.normal());
}

/** Dirichlet(alpha) variate written into `out` (same length as `alpha`); returns `out`. */
export function sampleDirichlet(rng: Rng, alpha: ArrayLike<number>, out: Float64Array = new Float64Array(alpha.length)): Float64Array {
  let sum = 0;
  for (let k = 0; k < alpha.length; k++) {
    out[k] = sampleGamma(rng, alpha[k]);
    sum += out[k];
  }
  for (let k = 0; k < alpha.length; k++) out[k] /= sum;
  return out;
}

/** Vose alias table for O(1) draws from a fixed categorical distribution. */
export interface AliasTable {
  /** Acceptance probability of each column. */
  readonly prob: Float64Array;
  /** Category returned when column `t` rejects. */
  readonly alias: Int32Array;
}

/** Builds an alias table from non-negative `weights` (need not sum to 1; at least one > 0). */
export function buildAliasTable(weights: ArrayLike<number>): AliasTable {
  const n = weights.length;
  let total = 0;
  for (let t = 0; t < n; t++) total += weights[t];
  if (!(total > 0)) throw new Error('buildAliasTable needs a positive total weight');
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  // Two stacks in one array: small from the front, large from the back (Vose 1991).
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let ns = 0;
  let nl = 0;
  for (let t = 0; t < n; t++) {
    scaled[t] = (weights[t] * n) / total;
    if (scaled[t] < 1) small[ns++] = t;
    else large[nl++] = t;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns];
    const l = large[--nl];
    prob[s] = scaled[s];
    alias[s] = l;
    scaled[l] = scaled[l] + scaled[s] - 1;
    if (scaled[l] < 1) small[ns++] = l;
    else large[nl++] = l;
  }
  // Leftovers are 1 up to round-off.
  while (nl > 0) {
    const l = large[--nl];
    prob[l] = 1;
    alias[l] = l;
  }
  while (ns > 0) {
    const s = small[--ns];
    prob[s] = 1;
    alias[s] = s;
  }
  return { prob, alias };
}

/** One draw from an alias table: a uniform column, then accept it or take its alias. */
export function sampleAlias(rng: Rng, table: AliasTable): number {
  const n = table.prob.length;
  const x = rng.next() * n;
  const t = Math.floor(x);
  return x - t < table.prob[t] ? t : table.alias[t];
}
