/**
 * Thin SVD of a tall matrix (m x l, m >= l, l small) by one-sided Jacobi rotations (Hestenes 1958;
 * Demmel & Veselic 1992): columns are rotated pairwise until all are mutually orthogonal; then the
 * column norms are the singular values, the normalised columns U, and the accumulated rotations V.
 * Accurate to a few ulps relative even for small singular values, and needs no library.
 */

/** Result of {@link jacobiSvd}: A = U diag(s) V^T, singular values decreasing. */
export interface ThinSvd {
  /** m x l row-major. */
  u: Float64Array;
  /** l singular values, decreasing. */
  s: Float64Array;
  /** l x l row-major. */
  v: Float64Array;
}

/**
 * @param a - m x l row-major (not modified)
 * @param m - rows
 * @param l - columns (m >= l)
 * @param maxSweeps - sweep limit; convergence usually takes 6-10. @default 60
 */
export function jacobiSvd(a: Float64Array, m: number, l: number, maxSweeps = 60): ThinSvd {
  if (m < l) throw new Error(`jacobiSvd needs m >= l, got ${m} x ${l}`);
  // Column-major working copy.
  const w = new Float64Array(m * l);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) w[c * m + i] = a[i * l + c];
  const v = new Float64Array(l * l); // column-major too
  for (let c = 0; c < l; c++) v[c * l + c] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < l - 1; p++) {
      for (let q = p + 1; q < l; q++) {
        const op = p * m, oq = q * m;
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[op + i], y = w[oq + i];
          alpha += x * x; beta += y * y; gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // Rotation that zeroes the (p, q) entry of the Gram matrix (Rutishauser's stable form).
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[op + i], y = w[oq + i];
          w[op + i] = c * x - s * y;
          w[oq + i] = s * x + c * y;
        }
        const vp = p * l, vq = q * l;
        for (let i = 0; i < l; i++) {
          const x = v[vp + i], y = v[vq + i];
          v[vp + i] = c * x - s * y;
          v[vq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(l);
  for (let c = 0; c < l; c++) {
    let s2 = 0;
    for (let i = 0; i < m; i++) s2 += w[c * m + i] * w[c * m + i];
    norms[c] = Math.sqrt(s2);
  }
  const order = Int32Array.from({ length: l }, (_, t) => t).sort((x, y) => norms[y] - norms[x] || x - y);
  const u = new Float64Array(m * l), sv = new Float64Array(l), vv = new Float64Array(l * l);
  for (let t = 0; t < l; t++) {
    const c = order[t];
    sv[t] = norms[c];
    const inv = norms[c] > 0 ? 1 / norms[c] : 0;
    for (let i = 0; i < m; i++) u[i * l + t] = w[c * m + i] * inv;
    for (let i = 0; i < l; i++) vv[i * l + t] = v[c * l + i];
  }
  return { u, s: sv, v: vv };
}
