/**
 * Orthonormal basis of the column space of a tall matrix by modified Gram-Schmidt applied twice
 * ("twice is enough", Giraud et al. 2005): the second pass removes the loss of orthogonality the
 * first leaves when columns are nearly dependent, which power iterations produce by design.
 */

/**
 * Returns Q (n x l, row-major) with orthonormal columns spanning the columns of Y (n x l, row-major).
 * A column that is numerically dependent on the previous ones (norm below 1e-12 of its original
 * norm) becomes zero, so downstream singular values for it are 0.
 * @param y - n x l row-major
 * @param n - rows
 * @param l - columns
 */
export function orthonormalizeColumns(y: Float64Array, n: number, l: number): Float64Array {
  // Work column-major so dot products and updates run over contiguous memory.
  const cols = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) cols[c * n + i] = y[i * l + c];
  for (let c = 0; c < l; c++) {
    const vc = c * n;
    let norm0 = 0;
    for (let i = 0; i < n; i++) norm0 += cols[vc + i] * cols[vc + i];
    norm0 = Math.sqrt(norm0);
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        const vd = d * n;
        let r = 0;
        for (let i = 0; i < n; i++) r += cols[vd + i] * cols[vc + i];
        if (r === 0) continue;
        for (let i = 0; i < n; i++) cols[vc + i] -= r * cols[vd + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += cols[vc + i] * cols[vc + i];
    norm = Math.sqrt(norm);
    const inv = norm > 1e-12 * norm0 && norm > 0 ? 1 / norm : 0;
    for (let i = 0; i < n; i++) cols[vc + i] *= inv;
  }
  const q = new Float64Array(n * l);
  for (let c = 0; c < l; c++) for (let i = 0; i < n; i++) q[i * l + c] = cols[c * n + i];
  return q;
}
