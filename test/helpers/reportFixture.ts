/**
 * A realistic ReportData from a seeded generator, for report tests: lots whose cluster mix depends
 * on a hidden lot "quality" that also drives the readouts (so associations are real), a UMAP-like
 * embedding of Gaussian blobs, marker genes with a clear dot-plot pattern and per-lot QC counts.
 */
import { cumulativeStdNormalProbability } from 'simple-statistics';
import { createRng } from '../../src/core/rng.js';
import type { ReportData } from '../../src/report/reportData.js';

/** Options of {@link makeReportFixture}. */
export interface ReportFixtureOptions {
  /** Number of lots. @default 11 */
  nLots: number;
  /** Number of clusters. @default 6 */
  nClusters: number;
  /** Number of cells in the embedding. @default 3000 */
  nCells: number;
  /** Number of readouts (0 = none; association skipped). @default 2 */
  nReadouts: number;
  /** Marker genes per cluster in the dot plot. @default 3 */
  genesPerCluster: number;
  /** Seed of the generator. @default 1 */
  seed: number;
  /** Lot names to use instead of LOT-01, LOT-02, ... (length nLots). */
  lotNames?: readonly string[];
  /** Lots (by index) whose readouts are all NaN. @default [] */
  nanReadoutLots: readonly number[];
  /** Number of CQA candidate rows (0 = empty table). @default 10 */
  nCandidates: number;
}

const DEFAULTS: ReportFixtureOptions = {
  nLots: 11, nClusters: 6, nCells: 3000, nReadouts: 2, genesPerCluster: 3, seed: 1, nanReadoutLots: [], nCandidates: 10,
};

const GENES = [
  'THY1', 'NT5E', 'ENG', 'MKI67', 'TOP2A', 'CENPF', 'ACTA2', 'TAGLN', 'MYL9', 'CXCL12', 'IL6', 'VCAM1', 'SOX9', 'COL2A1',
  'ACAN', 'PDGFRB', 'RGS5', 'MCAM', 'IDO1', 'PTGS2', 'TNFAIP6', 'HLA-DRA', 'CD74', 'CIITA', 'COL1A1', 'COL3A1', 'FN1',
  'LUM', 'DCN', 'POSTN',
];

const READOUTS = ['ido_activity', 'tcell_suppression_pct', 'il6_secretion', 'viability'];

/** Spearman rank correlation of finite pairs (average ranks for ties). */
function spearman(x: ArrayLike<number>, y: ArrayLike<number>): { rho: number; n: number } {
  const idx: number[] = [];
  for (let t = 0; t < x.length; t++) if (Number.isFinite(x[t]) && Number.isFinite(y[t])) idx.push(t);
  const rank = (v: ArrayLike<number>): Float64Array => {
    const ord = [...idx].sort((a, b) => v[a] - v[b]);
    const r = new Float64Array(ord.length);
    for (let s = 0; s < ord.length; ) {
      let e = s;
      while (e + 1 < ord.length && v[ord[e + 1]] === v[ord[s]]) e++;
      for (let k = s; k <= e; k++) r[k] = (s + e) / 2 + 1;
      s = e + 1;
    }
    const out = new Float64Array(ord.length);
    for (let k = 0; k < ord.length; k++) out[idx.indexOf(ord[k])] = r[k];
    return out;
  };
  const rx = rank(x), ry = rank(y);
  const n = idx.length;
  let mx = 0, my = 0;
  for (let k = 0; k < n; k++) { mx += rx[k]; my += ry[k]; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < n; k++) { sxy += (rx[k] - mx) * (ry[k] - my); sxx += (rx[k] - mx) ** 2; syy += (ry[k] - my) ** 2; }
  return { rho: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN, n };
}

/**
 * Builds a seeded, realistic ReportData (default: 11 lots, 6 clusters, 3,000 cells, 2 readouts).
 * @param options Sizes, seed and edge-case switches.
 * @example const data = makeReportFixture({ nCells: 100_000 });
 */
export function makeReportFixture(options: Partial<ReportFixtureOptions> = {}): ReportData {
  const o: ReportFixtureOptions = { ...DEFAULTS, ...options };
  const rng = createRng(o.seed);
  const nL = o.nLots, nC = o.nClusters, n = o.nCells;
  const lotNames = o.lotNames ? [...o.lotNames] : Array.from({ length: nL }, (_, l) => `LOT-${String(l + 1).padStart(2, '0')}`);
  if (lotNames.length !== nL) throw new Error(`lotNames has ${lotNames.length} names, expected ${nL}`);
  const clusterNames = Array.from({ length: nC }, (_, c) => String(c));

  // Hidden lot quality in [0, 1]; cluster 1 grows with it and cluster 3 shrinks, the rest vary at random.
  const quality = Float64Array.from({ length: nL }, () => rng.next());
  const weights = new Float64Array(nL * nC);
  for (let l = 0; l < nL; l++) {
    let s = 0;
    for (let c = 0; c < nC; c++) {
      let w = 0.5 + rng.next() * (c === 0 ? 3 : 1);
      if (c === 1) w *= 0.3 + 2 * quality[l];
      if (c === 3) w *= 1.8 - 1.5 * quality[l];
      weights[l * nC + c] = w;
      s += w;
    }
    for (let c = 0; c < nC; c++) weights[l * nC + c] /= s;
  }

  // Cells: equal share per lot, cluster drawn from the lot's mix, position around the cluster centre.
  const x = new Float32Array(n), y = new Float32Array(n);
  const cluster = new Int32Array(n), lot = new Int32Array(n);
  const counts = new Float64Array(nL * nC);
  const cellsPerLot = new Float64Array(nL);
  for (let i = 0; i < n; i++) {
    const l = Math.min(nL - 1, Math.floor((i * nL) / n));
    let u = rng.next(), c = 0;
    while (c < nC - 1 && u >= weights[l * nC + c]) { u -= weights[l * nC + c]; c++; }
    const angle = (2 * Math.PI * c) / Math.max(1, nC);
    const r = nC > 1 ? 6 + (c % 2) * 2 : 0;
    x[i] = r * Math.cos(angle) + 1.1 * rng.normal() + 0.25 * (l % 3);
    y[i] = r * Math.sin(angle) + 0.9 * rng.normal() - 0.2 * (l % 2);
    cluster[i] = c;
    lot[i] = l;
    counts[l * nC + c]++;
    cellsPerLot[l]++;
  }
  const fractions = new Float64Array(nL * nC);
  for (let l = 0; l < nL; l++) for (let c = 0; c < nC; c++) fractions[l * nC + c] = cellsPerLot[l] > 0 ? counts[l * nC + c] / cellsPerLot[l] : 0;

  // Readouts track quality (sign alternates by readout) with noise; chosen lots are missing.
  const readouts: Record<string, Float64Array> = {};
  for (let r = 0; r < o.nReadouts; r++) {
    const name = r < READOUTS.length ? READOUTS[r] : `readout_${r + 1}`;
    const v = new Float64Array(nL);
    for (let l = 0; l < nL; l++) {
      const base = r % 2 === 0 ? 20 + 60 * quality[l] : 80 - 40 * quality[l];
      v[l] = Math.round((base + 6 * rng.normal()) * 10) / 10;
    }
    for (const l of o.nanReadoutLots) v[l] = NaN;
    readouts[name] = v;
  }

  // Associations: Spearman rho per readout x cluster, normal-approximation p, Benjamini-Hochberg padj.
  const assoc: { readout: string; cluster: string; rho: number; pval: number; padj: number }[] = [];
  for (const [name, v] of Object.entries(readouts)) {
    for (let c = 0; c < nC; c++) {
      const frac = Float64Array.from({ length: nL }, (_, l) => fractions[l * nC + c]);
      const { rho, n: m } = spearman(frac, v);
      const z = Math.abs(rho) * Math.sqrt(Math.max(0, m - 1));
      const pval = Number.isFinite(z) ? Math.min(1, 2 * (1 - cumulativeStdNormalProbability(z))) : NaN;
      assoc.push({ readout: name, cluster: clusterNames[c], rho, pval, padj: NaN });
    }
  }
  assoc.sort((a, b) => a.pval - b.pval);
  for (let k = assoc.length - 1, run = 1; k >= 0; k--) {
    run = Math.min(run, (assoc[k].pval * assoc.length) / (k + 1));
    assoc[k].padj = Math.min(1, run);
  }

  // Dot plot: each cluster's markers are high and widespread in it, low elsewhere.
  const nG = nC * o.genesPerCluster;
  const genes = Array.from({ length: nG }, (_, j) => (j < GENES.length ? GENES[j] : `GENE${j + 1}`));
  const meanExpr = new Float64Array(nG * nC), pctExpr = new Float64Array(nG * nC);
  for (let j = 0; j < nG; j++) {
    const home = Math.floor(j / o.genesPerCluster);
    for (let c = 0; c < nC; c++) {
      const own = c === home;
      meanExpr[j * nC + c] = own ? 1.8 + rng.next() * 1.4 : rng.next() * 0.7;
      pctExpr[j * nC + c] = own ? 0.65 + rng.next() * 0.35 : rng.next() < 0.1 ? 0 : rng.next() * 0.35;
    }
  }

  const qcRows = lotNames.map((name, l) => {
    const kept = cellsPerLot[l];
    const lowCounts = 20 + Math.floor(rng.next() * 80), lowGenes = 5 + Math.floor(rng.next() * 40), mito = 10 + Math.floor(rng.next() * 150);
    return [name, kept + lowCounts + lowGenes + mito, lowCounts, lowGenes, mito, kept, kept];
  });
  const candRows = assoc.slice(0, o.nCandidates).map((a, k) => [k + 1, 'cluster_fraction', `cluster ${a.cluster}`, a.readout, a.rho, a.pval, a.padj]);

  return {
    title: 'cqamine report: simulated MSC cohort',
    versions: { cqamine: '0.1.0', node: 'v20.0.0' },
    params: {
      qc: { minCounts: 500, minGenes: 200, maxPctMito: 15 },
      pool: { cellsPerLot: Math.floor(n / nL), seed: 0 },
      normalize_total: { targetSum: 10000 },
      pca: { nComps: 30 },
      neighbors: { k: 20 },
      umap: { nNeighbors: 15, minDist: 0.3, seed: 0 },
      cluster: { method: 'leiden', resolution: 0.8 },
    },
    inputs: lotNames.map((name, l) => ({
      lot: name, path: `/data/cohort/${name}/filtered_feature_bc_matrix.h5`, format: '10x-h5', nCells: qcRows[l][1] as number, nGenes: 33538,
    })),
    qc: { columns: ['lot', 'cells_in', 'low_counts', 'low_genes', 'high_mito', 'kept', 'pooled'], rows: qcRows },
    notes: o.nReadouts === 0 ? ['Association skipped: no lot readouts were given.'] : [`Balanced pooling: ${Math.floor(n / nL)} cells per lot.`],
    embedding: { x, y, cluster, clusterNames, lot, lotNames },
    composition: { lotNames, clusterNames, fractions, readouts },
    associations: assoc,
    dotplot: { genes, clusterNames, meanExpr, pctExpr },
    candidates: { columns: ['rank', 'kind', 'feature', 'readout', 'rho', 'pval', 'padj'], rows: candRows },
  };
}
