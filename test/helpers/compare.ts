/** Numeric comparison helpers for tests (allclose, correlation, ARI). */

/** Largest |a - b| / max(|b|, atolScale) over two arrays of equal length. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, atolScale = 1e-300): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let t = 0; t < a.length; t++) {
    const d = Math.abs(a[t] - b[t]) / Math.max(Math.abs(b[t]), atolScale);
    if (d > worst || Number.isNaN(d)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** Pearson correlation of two equal-length arrays. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let t = 0; t < n; t++) { ma += a[t]; mb += b[t]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let t = 0; t < n; t++) {
    const da = a[t] - ma, db = b[t] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Adjusted Rand index of two labelings (any comparable labels). */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  const n = a.length;
  const ia = new Map<number | string, number>();
  const ib = new Map<number | string, number>();
  const ca = new Int32Array(n), cb = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    if (!ia.has(a[t])) ia.set(a[t], ia.size);
    if (!ib.has(b[t])) ib.set(b[t], ib.size);
    ca[t] = ia.get(a[t])!; cb[t] = ib.get(b[t])!;
  }
  const table = new Float64Array(ia.size * ib.size);
  for (let t = 0; t < n; t++) table[ca[t] * ib.size + cb[t]]++;
  const choose2 = (x: number) => (x * (x - 1)) / 2;
  let sumCells = 0;
  for (const v of table) sumCells += choose2(v);
  const rowSums = new Float64Array(ia.size), colSums = new Float64Array(ib.size);
  for (let r = 0; r < ia.size; r++) for (let c = 0; c < ib.size; c++) { rowSums[r] += table[r * ib.size + c]; colSums[c] += table[r * ib.size + c]; }
  let sumA = 0, sumB = 0;
  for (const v of rowSums) sumA += choose2(v);
  for (const v of colSums) sumB += choose2(v);
  const expected = (sumA * sumB) / choose2(n);
  const maxIndex = (sumA + sumB) / 2;
  return (sumCells - expected) / (maxIndex - expected);
}
