/**
 * Quasi-binomial logistic regression of counts out of totals, fitted by iteratively reweighted
 * least squares exactly as R's `glm.fit` does for `family = quasibinomial` (logit link), with
 * the Wald t-tests of `summary.glm`:
 *
 * - start: mu = (m y + 0.5) / (m + 1) with y = k / m (R's binomial `initialize`);
 * - iterate: z = eta + (y - mu) / mu', w = m mu'^2 / V(mu) with mu' = mu (1 - mu) = V(mu) for
 *   the logit link; solve the weighted normal equations; stop when the binomial deviance changes
 *   by less than 1e-8 relative (|D - D_old| / (|D| + 0.1)), at most 25 iterations;
 * - dispersion phi = Pearson X^2 / (n - p) = sum m (y - mu)^2 / (mu (1 - mu)) / (n - p);
 * - SE = sqrt(phi diag((X'WX)^-1)), t = coef / SE, p = 2 P(T_{n-p} > |t|).
 *
 * Why quasi-binomial: cluster counts per lot are overdispersed relative to the binomial (lots
 * differ biologically, not only by sampling), and phi absorbs that; lot sizes still weight the
 * fit (a lot with more cells pins its fraction more precisely).
 */
import { studentTUpperTail } from './studentT.js';

/** Parameters of {@link fitQuasiBinomial}. */
export interface GlmParams {
  /** Maximum IRLS iterations (R's `glm.control(maxit)`). @default 25 */
  maxIterations: number;
  /** Relative deviance change that counts as converged (R's `epsilon`). @default 1e-8 */
  tolerance: number;
}

/** Defaults of {@link GlmParams} (R's `glm.control()`). */
export const GLM_DEFAULTS: GlmParams = { maxIterations: 25, tolerance: 1e-8 };

/** A fitted quasi-binomial GLM; coefficient arrays follow the design's columns. */
export interface QuasiBinomialFit {
  /** Coefficients on the logit scale (NaN when the fit is impossible). */
  readonly coef: Float64Array;
  /** Standard errors scaled by the estimated dispersion. */
  readonly se: Float64Array;
  /** Wald t statistics coef / se. */
  readonly t: Float64Array;
  /** Two-sided p-values from Student's t with `dfResidual` degrees of freedom. */
  readonly pval: Float64Array;
  /** Pearson X^2 / dfResidual. */
  readonly dispersion: number;
  /** Observations with a positive total minus parameters. */
  readonly dfResidual: number;
  /** Binomial deviance at the fit. */
  readonly deviance: number;
  /** IRLS iterations used. */
  readonly iterations: number;
  /** Whether the deviance criterion was met within `maxIterations`. */
  readonly converged: boolean;
}

// R's plogis with the clamping of binomial()$linkinv (eps = DBL_EPSILON at |eta| > 30).
const EPS = 2.220446049250313e-16;
const THRESH = 30;
function linkinv(eta: number): number {
  if (eta < -THRESH) return EPS;
  if (eta > THRESH) return 1 - EPS;
  return 1 / (1 + Math.exp(-eta));
}
function muEta(eta: number): number {
  const e = Math.exp(-Math.abs(eta));
  return Math.max(e / ((1 + e) * (1 + e)), EPS);
}
/** y log(y / mu) with the 0 log 0 = 0 convention (R's `y_log_y`). */
function ylogy(y: number, mu: number): number {
  return y > 0 ? y * Math.log(y / mu) : 0;
}

/**
 * Inverts a symmetric positive-definite p x p matrix in place by Gauss-Jordan elimination with
 * partial pivoting (p is 2 or 3 here). Returns false when a pivot vanishes (collinear design).
 */
function invertInPlace(a: Float64Array, p: number): boolean {
  const inv = new Float64Array(p * p);
  for (let r = 0; r < p; r++) inv[r * p + r] = 1;
  let scale = 0;
  for (let r = 0; r < p * p; r++) scale = Math.max(scale, Math.abs(a[r]));
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r * p + col]) > Math.abs(a[piv * p + col])) piv = r;
    const pv = a[piv * p + col];
    if (!(Math.abs(pv) > 1e-12 * scale)) return false;
    if (piv !== col) {
      for (let c = 0; c < p; c++) {
        let tmp = a[col * p + c]; a[col * p + c] = a[piv * p + c]; a[piv * p + c] = tmp;
        tmp = inv[col * p + c]; inv[col * p + c] = inv[piv * p + c]; inv[piv * p + c] = tmp;
      }
    }
    for (let c = 0; c < p; c++) {
      a[col * p + c] /= pv;
      inv[col * p + c] /= pv;
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r * p + col];
      if (f === 0) continue;
      for (let c = 0; c < p; c++) {
        a[r * p + c] -= f * a[col * p + c];
        inv[r * p + c] -= f * inv[col * p + c];
      }
    }
  }
  a.set(inv);
  return true;
}

/**
 * Fits logit(P(success)) = X beta to `successes` out of `totals` with quasi-binomial dispersion.
 *
 * @param successes per observation (lot): count of successes (cells in the cluster), >= 0
 * @param totals per observation: number of trials (cells in the lot); observations with 0 are ignored
 * @param design row-major n x p design matrix; include a column of ones for an intercept
 * @param p number of columns of `design`
 * @param params IRLS controls (defaults: R's glm.control())
 * @example
 * // intercept + standardized readout, as associateClusters uses it
 * const fit = fitQuasiBinomial(counts, totals, design, 2);
 * fit.coef[1]; fit.pval[1];
 */
export function fitQuasiBinomial(
  successes: Float64Array,
  totals: Float64Array,
  design: Float64Array,
  p: number,
  params: GlmParams = GLM_DEFAULTS,
): QuasiBinomialFit {
  const n = successes.length;
  if (totals.length !== n || design.length !== n * p) throw new Error(`fitQuasiBinomial: expected ${n} totals and ${n} x ${p} design values`);
  const nanFit = (df: number, iterations = 0): QuasiBinomialFit => {
    const nan = new Float64Array(p).fill(NaN);
    return { coef: nan, se: nan.slice(), t: nan.slice(), pval: nan.slice(), dispersion: NaN, dfResidual: df, deviance: NaN, iterations, converged: false };
  };
  let nUsed = 0;
  let sumK = 0;
  let sumM = 0;
  for (let i = 0; i < n; i++) {
    if (totals[i] > 0) {
      nUsed++;
      sumK += successes[i];
      sumM += totals[i];
    }
  }
  const df = nUsed - p;
  // All-or-none successes make the MLE infinite (complete separation of the intercept); R would
  // warn "fitted probabilities numerically 0 or 1"; we report NaN instead of a meaningless number.
  if (df <= 0 || sumK <= 0 || sumK >= sumM) return nanFit(Math.max(df, 0));

  const y = new Float64Array(n);
  const mu = new Float64Array(n);
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!(totals[i] > 0)) continue;
    y[i] = successes[i] / totals[i];
    mu[i] = (totals[i] * y[i] + 0.5) / (totals[i] + 1);
    eta[i] = Math.log(mu[i] / (1 - mu[i]));
  }
  const deviance = (): number => {
    let d = 0;
    for (let i = 0; i < n; i++) {
      if (!(totals[i] > 0)) continue;
      d += 2 * totals[i] * (ylogy(y[i], mu[i]) + ylogy(1 - y[i], 1 - mu[i]));
    }
    return d;
  };
  let devOld = deviance();
  const xtwx = new Float64Array(p * p);
  const xtwz = new Float64Array(p);
  const w = new Float64Array(n);
  const coef = new Float64Array(p);
  let converged = false;
  let iter = 0;
  let dev = devOld;
  for (iter = 1; iter <= params.maxIterations; iter++) {
    xtwx.fill(0);
    xtwz.fill(0);
    for (let i = 0; i < n; i++) {
      if (!(totals[i] > 0)) {
        w[i] = 0;
        continue;
      }
      const me = muEta(eta[i]);
      const v = mu[i] * (1 - mu[i]);
      const z = eta[i] + (y[i] - mu[i]) / me;
      w[i] = (totals[i] * me * me) / v;
      const row = i * p;
      for (let a = 0; a < p; a++) {
        const xa = design[row + a] * w[i];
        xtwz[a] += xa * z;
        for (let b = 0; b < p; b++) xtwx[a * p + b] += xa * design[row + b];
      }
    }
    if (!invertInPlace(xtwx, p)) return nanFit(df, iter);
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let b = 0; b < p; b++) s += xtwx[a * p + b] * xtwz[b];
      coef[a] = s;
    }
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let a = 0; a < p; a++) e += design[i * p + a] * coef[a];
      eta[i] = e;
      mu[i] = linkinv(e);
    }
    dev = deviance();
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < params.tolerance) {
      converged = true;
      break;
    }
    devOld = dev;
  }
  // As R: the covariance comes from the last solve's weights, the residuals from the final mu.
  let pearson = 0;
  for (let i = 0; i < n; i++) {
    if (!(totals[i] > 0)) continue;
    const me = muEta(eta[i]);
    const r = (y[i] - mu[i]) / me;
    pearson += w[i] * r * r;
  }
  const dispersion = pearson / df;
  const se = new Float64Array(p);
  const t = new Float64Array(p);
  const pval = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    se[a] = Math.sqrt(dispersion * xtwx[a * p + a]);
    t[a] = coef[a] / se[a];
    pval[a] = studentTwoSidedP(t[a], df);
  }
  return { coef, se, t, pval, dispersion, dfResidual: df, deviance: dev, iterations: Math.min(iter, params.maxIterations), converged };
}

/**
 * Two-sided p-value P(|T| >= |t|) of Student's t with `df` degrees of freedom (R's
 * `2 * pt(-abs(t), df)`), from the shared t tail in stats/studentT.
 *
 * @param t statistic
 * @param df degrees of freedom (> 0; NaN otherwise)
 */
export function studentTwoSidedP(t: number, df: number): number {
  if (!(df > 0) || Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, 2 * studentTUpperTail(Math.abs(t), df));
}
