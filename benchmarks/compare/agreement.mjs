/**
 * Cluster agreement for the benchmark: adjusted Rand index (Hubert & Arabie 1985) over the cells
 * two labelings share, matched by cell ID `<lot>:<barcode>`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Adjusted Rand index of two labelings of the same cells (any integer codes >= 0).
 * ARI = (sum_ij C(n_ij,2) - E) / (0.5 (sum_i C(a_i,2) + sum_j C(b_j,2)) - E),
 * E = sum_i C(a_i,2) sum_j C(b_j,2) / C(n,2).
 * @param {Int32Array} a
 * @param {Int32Array} b
 * @returns {number}
 */
export function adjustedRandIndex(a, b) {
  const n = a.length;
  let ka = 0;
  let kb = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] + 1 > ka) ka = a[i] + 1;
    if (b[i] + 1 > kb) kb = b[i] + 1;
  }
  const table = new Float64Array(ka * kb);
  const ra = new Float64Array(ka);
  const rb = new Float64Array(kb);
  for (let i = 0; i < n; i++) {
    table[a[i] * kb + b[i]]++;
    ra[a[i]]++;
    rb[b[i]]++;
  }
  const c2 = (x) => (x * (x - 1)) / 2;
  let sij = 0;
  for (let t = 0; t < table.length; t++) sij += c2(table[t]);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < ka; i++) sa += c2(ra[i]);
  for (let j = 0; j < kb; j++) sb += c2(rb[j]);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (sij - expected) / (max - expected);
}

/**
 * Simulator truth as {cells, labels}: subpopulation codes by first appearance.
 * @param {string} path truth/cells.tsv (columns lot, barcode, subpopulation, ...)
 */
export function readTruth(path) {
  const buf = readFileSync(path);
  const lines = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0].split('\t');
  const iLot = head.indexOf('lot');
  const iBc = head.indexOf('barcode');
  const iSub = head.indexOf('subpopulation');
  const codes = new Map();
  const cells = [];
  const labels = [];
  for (let r = 1; r < lines.length; r++) {
    const f = lines[r].split('\t');
    cells.push(`${f[iLot]}:${f[iBc]}`);
    if (!codes.has(f[iSub])) codes.set(f[iSub], codes.size);
    labels.push(codes.get(f[iSub]));
  }
  return { cells, labels };
}

/**
 * Codes of the cells both labelings have, in `x`'s order, each recoded to 0..k-1.
 * @param {{cells: string[], labels: number[]}} x
 * @param {{cells: string[], labels: number[]}} y
 * @returns {[Int32Array, Int32Array, number]} codes of x, codes of y, number of common cells
 */
export function alignLabels(x, y) {
  const at = new Map();
  y.cells.forEach((c, i) => at.set(c, i));
  const a = [];
  const b = [];
  x.cells.forEach((c, i) => {
    const j = at.get(c);
    if (j !== undefined && x.labels[i] >= 0 && y.labels[j] >= 0) {
      a.push(x.labels[i]);
      b.push(y.labels[j]);
    }
  });
  const recode = (v) => {
    const m = new Map();
    return Int32Array.from(v, (c) => {
      if (!m.has(c)) m.set(c, m.size);
      return m.get(c);
    });
  };
  return [recode(a), recode(b), a.length];
}
