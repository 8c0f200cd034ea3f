/**
 * Local polynomial regression in one predictor (Cleveland, Grosse & Shyu 1992; R `loess` with
 * `family = "gaussian"`): at each point x0 the q = floor(n * span) nearest observations get tricube
 * weights w = (1 - (d / h)^3)^3 with h the distance to the q-th nearest one, and a weighted
 * least-squares polynomial of degree 0-2 in (x - x0) gives the fitted value.
 *
 * Evaluation is exact at every observation (R's `surface = "direct"`). R's default
 * `surface = "interpolate"` instead fits at the vertices of a k-d tree (cells of at most
 * floor(n * span * 0.2) points) and interpolates with cubic Hermite polynomials using the fitted
 * slopes; `surface: 'interpolate'` below reproduces that scheme for one predictor (on the 13,713
 * pbmc3k genes of Seurat's vst fit it equals R 4.2's `fitted(loess(...))` to 7e-12).
 */

/** Options of {@link loessFit}. */
export interface LoessOptions {
  /** Fraction of points in each local fit (R `span`). @default 0.75 */
  span?: number;
  /** Local polynomial degree, 0, 1 or 2. @default 2 */
  degree?: 0 | 1 | 2;
  /** 'direct' = exact local fit at each x; 'interpolate' = R's k-d tree vertices + cubic Hermite. @default 'direct' */
  surface?: 'direct' | 'interpolate';
  /** Cell size fraction of the k-d tree (R `loess.control(cell = 0.2)`). @default 0.2 */
  cell?: number;
}

/**
 * Solves the weighted least-squares polynomial at x0 over sorted xs[lo..hi); returns value and slope.
 * Works in u = (x - x0) / h so the normal equations stay well conditioned; a singular system
 * (too few distinct x) drops to a lower degree, as R's pseudo-inverse effectively does.
 */
function localFit(xs: Float64Array, ys: Float64Array, lo: number, hi: number, x0: number, h: number, degree: number, out: Float64Array): void {
  // Moments S_k = sum w u^k (k = 0..4) and T_k = sum w y u^k (k = 0..2).
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, t0 = 0, t1 = 0, t2 = 0;
  const inv = h > 0 ? 1 / h : 0;
  for (let t = lo; t < hi; t++) {
    const u = (xs[t] - x0) * inv;
    const a = Math.abs(u);
    if (h > 0 && a >= 1) continue;
    const c = 1 - a * a * a;
    const w = h > 0 ? c * c * c : 1;
    const wu = w * u, wu2 = wu * u;
    s0 += w; s1 += wu; s2 += wu2; s3 += wu2 * u; s4 += wu2 * u * u;
    const y = ys[t];
    t0 += w * y; t1 += wu * y; t2 += wu2 * y;
  }
  for (let d = degree; d >= 0; d--) {
    if (d === 2) {
      // 3x3 symmetric system [s0 s1 s2; s1 s2 s3; s2 s3 s4] b = [t0 t1 t2] by Cramer's rule on
      // the centred, scaled moments (entries are O(1), so this is accurate in Float64).
      const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2);
      if (Math.abs(det) <= 1e-12 * Math.max(1e-300, s0 * s2 * s4)) continue;
      const b0 = (t0 * (s2 * s4 - s3 * s3) - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det;
      const b1 = (s0 * (t1 * s4 - t2 * s3) - t0 * (s1 * s4 - s3 * s2) + s2 * (s1 * t2 - t1 * s2)) / det;
      out[0] = b0;
      out[1] = b1 * inv;
      return;
    }
    if (d === 1) {
      const det = s0 * s2 - s1 * s1;
      if (Math.abs(det) <= 1e-12 * Math.max(1e-300, s0 * s2)) continue;
      out[0] = (t0 * s2 - s1 * t1) / det;
      out[1] = ((s0 * t1 - s1 * t0) / det) * inv;
      return;
    }
    out[0] = s0 > 0 ? t0 / s0 : NaN;
    out[1] = 0;
  }
}

/**
 * Bandwidth and window of the q nearest neighbours of x0 among sorted xs. `lo` is a hint that is
 * monotone in x0; returns [lo, hi, h] via `win`.
 */
function nearestWindow(xs: Float64Array, x0: number, q: number, lo: number, win: Float64Array): void {
  const n = xs.length;
  // Slide the q-wide window right while that brings it closer to x0 (windows of nearest
  // neighbours of sorted points move monotonically).
  while (lo + q < n && x0 - xs[lo] > xs[lo + q] - x0) lo++;
  while (lo > 0 && xs[lo + q - 1] - x0 > x0 - xs[lo - 1]) lo--;
  const h = Math.max(x0 - xs[lo], xs[lo + q - 1] - x0);
  // Extend over ties at distance h so that every point with d < h is included.
  let a = lo, b = lo + q;
  while (a > 0 && x0 - xs[a - 1] <= h) a--;
  while (b < n && xs[b] - x0 <= h) b++;
  win[0] = a; win[1] = b; win[2] = h; win[3] = lo;
}

/**
 * Fitted values of a 1-D loess of y on x at every x (original order).
 * @param x - predictor
 * @param y - response (same length)
 * @example loessFit(x, y, { span: 0.3, degree: 2 })
 */
export function loessFit(x: ArrayLike<number>, y: ArrayLike<number>, options: LoessOptions = {}): Float64Array {
  const span = options.span ?? 0.75;
  const degree = options.degree ?? 2;
  const n = x.length;
  if (y.length !== n) throw new Error(`loessFit: x has ${n} values, y ${y.length}`);
  const fitted = new Float64Array(n);
  if (n === 0) return fitted;
  const order = Int32Array.from({ length: n }, (_, t) => t).sort((a, b) => x[a] - x[b] || a - b);
  const xs = new Float64Array(n), ys = new Float64Array(n);
  for (let t = 0; t < n; t++) { xs[t] = x[order[t]]; ys[t] = y[order[t]]; }
  const q = Math.max(1, Math.min(n, Math.floor(n * span)));
  const win = new Float64Array(4);
  const res = new Float64Array(2);
  const fitAt = (x0: number, hint: number): number => {
    nearestWindow(xs, x0, q, hint, win);
    // R enlarges the bandwidth by span when span > 1; q = n then.
    const h = span > 1 ? win[2] * span : win[2];
    localFit(xs, ys, win[0], win[1], x0, h, degree, res);
    return win[3];
  };
  if ((options.surface ?? 'direct') === 'direct') {
    let hint = 0;
    for (let t = 0; t < n; t++) {
      hint = fitAt(xs[t], hint);
      fitted[order[t]] = res[0];
    }
    return fitted;
  }
  // k-d tree in 1-D, as R's ehg126/ehg124/ehg129: the bounding box is widened by 0.5% of the range
  // on each side; a cell with more than fc points is split at its m-th order statistic,
  // m = floor((l + u) / 2) over the cell's 1-based point range l..u (ties moved off the split by
  // probing m+1, m-1, m+2, ...), the left son keeping points l..m; a cell whose split would fall on
  // one of its own boundaries stays a leaf.
  const fc = Math.floor(n * span * (options.cell ?? 0.2));
  const range = xs[n - 1] - xs[0];
  const mu = 0.005 * Math.max(range, 1e-10 * Math.max(Math.abs(xs[0]), Math.abs(xs[n - 1])) + 1e-30);
  const vertices: number[] = [xs[0] - mu, xs[n - 1] + mu];
  const split = (l: number, u: number, lowV: number, highV: number): void => {
    // l, u: 1-based inclusive point range of this cell (xs[l-1 .. u-1])
    if (u - l + 1 <= fc) return;
    let m = Math.floor((l + u) / 2);
    for (let offset = 0; ; ) {
      const mo = m + offset;
      if (mo >= u || mo < l) break;
      if (xs[mo - 1] === xs[mo]) {
        offset = -offset;
        if (offset >= 0) offset++;
      } else {
        m = mo;
        break;
      }
    }
    const v = xs[m - 1];
    if (v === lowV || v === highV) return;
    vertices.push(v);
    split(l, m, lowV, v);
    split(m + 1, u, v, highV);
  };
  split(1, n, vertices[0], vertices[1]);
  const vs = Float64Array.from(vertices).sort();
  const vVal = new Float64Array(vs.length), vSlope = new Float64Array(vs.length);
  let hint = 0;
  for (let t = 0; t < vs.length; t++) {
    hint = fitAt(vs[t], hint);
    vVal[t] = res[0];
    vSlope[t] = res[1];
  }
  // Cubic Hermite interpolation between the bracketing vertices.
  let c = 0;
  for (let t = 0; t < n; t++) {
    const x0 = xs[t];
    while (c < vs.length - 2 && x0 > vs[c + 1]) c++;
    const x1 = vs[c], x2 = vs[c + 1];
    const w = x2 - x1;
    const s = (x0 - x1) / w;
    const h00 = (1 + 2 * s) * (1 - s) * (1 - s), h10 = s * (1 - s) * (1 - s);
    const h01 = s * s * (3 - 2 * s), h11 = s * s * (s - 1);
    fitted[order[t]] = h00 * vVal[c] + h10 * w * vSlope[c] + h01 * vVal[c + 1] + h11 * w * vSlope[c + 1];
  }
  return fitted;
}
