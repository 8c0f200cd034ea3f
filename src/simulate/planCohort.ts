/**
 * The lot- and gene-level half of the cohort model: everything except the cells. It is cheap
 * (milliseconds), so tests of lot-level properties (the readout's link to composition over
 * many seeds) run it alone. {@link simulateCohort} turns a plan into cells and files.
 *
 * Model (documented for users in fixtures/README.md):
 * - Gene shares: role genes get fixed shares of a cell's nuclear UMIs (ACTB, GAPDH, COL1A1 high;
 *   NGFR, CA9 rare; marker low); the rest are log-normal (sdlog 1.4) with 3% boosted 12x, a
 *   heavy tail like real UMI data where a few genes take a large share. 13 MT genes take ~4%.
 * - Per-gene NB dispersion phi ~ log-normal(median 0.25, sdlog 0.5).
 * - K subpopulations, each up-regulating a disjoint program of 20-50 moderately expressed genes
 *   by log2 fold U(1, 3); the potency subpopulation's program is headed by the marker.
 * - Lot composition: the potency fraction is stratified log-uniform in [potencyMin, potencyMax]
 *   over lots (so it always spans the range); the other subpopulations share the rest by a
 *   Dirichlet(concentration * base) around an uneven base composition.
 * - Lot batch effect: per-gene factor exp(N(0, batchSd^2)); per-lot depth factor exp(N(0, 0.1^2)).
 * - Readouts: vegf_hypoxia = intercept + effect * potency_fraction + N(0, noiseSd^2);
 *   hgf_hypoxia = 400 + N(0, 60^2), independent of composition.
 */
import { createRng } from '../core/rng.js';
import { makeGeneNames, MSC_GENES, STRESS_GENES, MT_GENES, type GeneNames } from './geneNames.js';
import { sampleDirichlet } from './distributions.js';
import type { SimulateParams } from './simulateParams.js';

/** Fixed model constants (not CLI flags), recorded in params.json. */
export const MODEL_CONSTANTS = Object.freeze({
  /** Expected MT share of a healthy cell's UMIs. */
  mtShare: 0.04,
  /** sdlog of a healthy cell's MT share around mtShare. */
  mtShareSd: 0.35,
  /** sdlog of healthy library sizes around depth. */
  librarySd: 0.35,
  /** sdlog of per-lot depth factors. */
  lotDepthSd: 0.1,
  /** Library size factor of low-quality cells. */
  lowQualityDepthFactor: 0.2,
  /** Low-quality cells' MT share is uniform in [lowQualityMtMin, lowQualityMtMax]. */
  lowQualityMtMin: 0.2,
  /** Upper end of the low-quality MT share. */
  lowQualityMtMax: 0.6,
  /** sdlog of generic gene shares. */
  geneSdlog: 1.4,
  /** Fraction of generic genes in the boosted high tail. */
  highGeneRate: 0.03,
  /** Share multiplier of boosted genes. */
  highGeneBoost: 12,
  /** Median NB dispersion phi. */
  dispersionMedian: 0.25,
  /** sdlog of NB dispersions. */
  dispersionSdlog: 0.5,
  /** Fewest genes in a program. */
  programMin: 20,
  /** Most genes in a program. */
  programMax: 50,
  /** Smallest program log2 fold. */
  programLog2FoldMin: 1,
  /** Largest program log2 fold. */
  programLog2FoldMax: 3,
  /** Mean of hgf_hypoxia (pg/mL), unrelated to composition. */
  hgfMean: 400,
  /** SD of hgf_hypoxia (pg/mL). */
  hgfSd: 60,
  /** Index of the potency subpopulation (clamped to K-1): the 3rd, as CL3 in the study. */
  potencyIndex: 2,
});

/** Shares of a healthy cell's nuclear UMIs for role genes (MSC culture, normoxia). */
const MSC_SHARES: Record<(typeof MSC_GENES)[number], number> = {
  THY1: 0.001, NT5E: 0.0008, ENG: 0.0006, PRRX1: 0.0004, COL1A1: 0.015, CD44: 0.002, ALCAM: 0.0004, NGFR: 0.00006, ACTB: 0.012, GAPDH: 0.008,
};
const STRESS_SHARES: Record<(typeof STRESS_GENES)[number], number> = {
  VEGFA: 0.0003, HIF1A: 0.0004, SLC2A1: 0.0001, PGK1: 0.0008, LDHA: 0.002, BNIP3: 0.0003, CA9: 0.00002, ENO1: 0.003, ADM: 0.0002, NDRG1: 0.0003, P4HA1: 0.0002, PDK1: 0.0001, EGLN3: 0.00005, BHLHE40: 0.0002,
};
/** log2 fold of each stress gene under ischemia (HIF-1 targets strongly, HIF1A mRNA barely). */
export const STRESS_LOG2_FOLDS: Record<(typeof STRESS_GENES)[number], number> = {
  VEGFA: 1.5, HIF1A: 0.3, SLC2A1: 2, PGK1: 1.2, LDHA: 1.2, BNIP3: 2, CA9: 3, ENO1: 1, ADM: 2, NDRG1: 2, P4HA1: 1.5, PDK1: 1.5, EGLN3: 2.5, BHLHE40: 1.5,
};
/** Relative MT gene shares (CO1-3, ATP6, CYB abundant; ATP8, ND4L, ND6 low), in MT_GENES order. */
const MT_WEIGHTS = [0.08, 0.05, 0.2, 0.15, 0.02, 0.14, 0.14, 0.04, 0.01, 0.08, 0.03, 0.05, 0.01];
/** Marker share outside the potency subpopulation (about 0.2 UMI per cell at depth 5000). */
const MARKER_SHARE = 0.00004;

/** One lot's design. */
export interface LotPlan {
  /** Lot name, BM01 ... */
  readonly name: string;
  /** Cells per sample of this lot. */
  readonly nCells: number;
  /** True (design) subpopulation fractions, summing to 1. */
  readonly fractions: Float64Array;
  /** Library size factor of this lot. */
  readonly depthFactor: number;
  /** VEGF secreted under ischemia (pg/mL). */
  readonly vegfHypoxia: number;
  /** HGF secreted under ischemia (pg/mL), unrelated to composition. */
  readonly hgfHypoxia: number;
}

/** One subpopulation's up-regulated program. */
export interface ProgramPlan {
  /** Gene indices (the marker first for the potency subpopulation). */
  readonly genes: Int32Array;
  /** log2 folds, parallel to `genes`. */
  readonly log2Folds: Float64Array;
}

/** The cohort without its cells. */
export interface CohortPlan {
  /** The validated parameters the plan was built from. */
  readonly params: SimulateParams;
  /** Feature names, ids and role indices. */
  readonly genes: GeneNames;
  /** Nuclear baseline shares (MT entries 0), summing to 1 over nuclear genes. */
  readonly baseShare: Float64Array;
  /** MT shares within the MT compartment (nuclear entries 0), summing to 1. */
  readonly mtShare: Float64Array;
  /** NB dispersion per gene. */
  readonly dispersion: Float64Array;
  /** Subpopulation names SP1..SPK. */
  readonly subpopNames: string[];
  /** Index of the potency subpopulation. */
  readonly potency: number;
  /** Up-regulated program of each subpopulation, by index. */
  readonly programs: ProgramPlan[];
  /** Ischemia log2 fold per gene (0 for non-stress genes). */
  readonly stressLog2Fold: Float64Array;
  /** Per-lot design, BM01 first. */
  readonly lots: LotPlan[];
}

/** Builds the gene- and lot-level plan from validated parameters. */
export function planCohort(p: SimulateParams): CohortPlan {
  const root = createRng(p.seed);
  const genes = makeGeneNames(p.genes, p.marker);
  const G = p.genes;
  const C = MODEL_CONSTANTS;

  // Gene shares: generic genes log-normal with a boosted tail, role genes fixed.
  const geneRng = root.fork('genes');
  const baseShare = new Float64Array(G);
  const isRole = new Uint8Array(G);
  isRole[genes.marker] = 1;
  for (const j of genes.msc) isRole[j] = 1;
  for (const j of genes.stress) isRole[j] = 1;
  for (const j of genes.mt) isRole[j] = 1;
  let genericSum = 0;
  for (const j of genes.generic) {
    let w = Math.exp(C.geneSdlog * geneRng.normal());
    if (geneRng.next() < C.highGeneRate) w *= C.highGeneBoost;
    baseShare[j] = w;
    genericSum += w;
  }
  let roleTotal = MARKER_SHARE;
  baseShare[genes.marker] = MARKER_SHARE;
  MSC_GENES.forEach((g, t) => { baseShare[genes.msc[t]] = MSC_SHARES[g]; roleTotal += MSC_SHARES[g]; });
  STRESS_GENES.forEach((g, t) => { baseShare[genes.stress[t]] = STRESS_SHARES[g]; roleTotal += STRESS_SHARES[g]; });
  const genericScale = (1 - roleTotal) / genericSum;
  for (const j of genes.generic) baseShare[j] *= genericScale;
  const mtShare = new Float64Array(G);
  let mtSum = 0;
  for (const w of MT_WEIGHTS) mtSum += w;
  for (let m = 0; m < genes.mt.length; m++) mtShare[genes.mt[m]] = MT_WEIGHTS[m] / mtSum;

  const dispersion = new Float64Array(G);
  for (let j = 0; j < G; j++) dispersion[j] = C.dispersionMedian * Math.exp(C.dispersionSdlog * geneRng.normal());

  // Programs: disjoint sets drawn from generic genes between the 40th and 98th percentile of
  // share, so up-regulation is visible at a few thousand UMIs per cell.
  const K = p.subpops;
  const potency = Math.min(C.potencyIndex, K - 1);
  const progRng = root.fork('programs');
  const ranked = Int32Array.from(genes.generic).sort((a, b) => baseShare[a] - baseShare[b]);
  const lo = Math.floor(ranked.length * 0.4);
  const hi = Math.floor(ranked.length * 0.98);
  const pool = ranked.slice(lo, hi);
  for (let t = pool.length - 1; t > 0; t--) {
    const u = progRng.int(t + 1);
    const tmp = pool[t]; pool[t] = pool[u]; pool[u] = tmp;
  }
  const cap = Math.max(5, Math.floor(pool.length / K));
  let used = 0;
  const programs: ProgramPlan[] = [];
  for (let k = 0; k < K; k++) {
    const size = Math.min(cap, C.programMin + progRng.int(C.programMax - C.programMin + 1));
    const withMarker = k === potency ? 1 : 0;
    const g = new Int32Array(size + withMarker);
    const f = new Float64Array(size + withMarker);
    if (withMarker) { g[0] = genes.marker; f[0] = p.markerLog2Fold; }
    for (let t = 0; t < size; t++) {
      g[withMarker + t] = pool[used++];
      f[withMarker + t] = C.programLog2FoldMin + (C.programLog2FoldMax - C.programLog2FoldMin) * progRng.next();
    }
    programs.push({ genes: g, log2Folds: f });
  }
  const stressLog2Fold = new Float64Array(G);
  STRESS_GENES.forEach((g, t) => { stressLog2Fold[genes.stress[t]] = STRESS_LOG2_FOLDS[g]; });

  // Lots: stratified log-uniform potency fraction, Dirichlet for the rest.
  const lotRng = root.fork('lots');
  const base = new Float64Array(K - 1);
  let baseSum = 0;
  for (let k = 0; k < K - 1; k++) { base[k] = 0.6 + 0.8 * lotRng.next(); baseSum += base[k]; }
  const alpha = new Float64Array(K - 1);
  for (let k = 0; k < K - 1; k++) alpha[k] = (p.concentration * base[k]) / baseSum;
  const strata = new Int32Array(p.lots);
  for (let l = 0; l < p.lots; l++) strata[l] = l;
  for (let l = p.lots - 1; l > 0; l--) {
    const u = lotRng.int(l + 1);
    const tmp = strata[l]; strata[l] = strata[u]; strata[u] = tmp;
  }
  const readoutRng = root.fork('readouts');
  const rest = new Float64Array(K - 1);
  const logMin = Math.log(p.potencyMin);
  const logSpan = Math.log(p.potencyMax) - logMin;
  const lots: LotPlan[] = [];
  for (let l = 0; l < p.lots; l++) {
    const u = (strata[l] + lotRng.next()) / p.lots;
    const fPot = Math.exp(logMin + u * logSpan);
    sampleDirichlet(lotRng, alpha, rest);
    const fractions = new Float64Array(K);
    for (let k = 0, r = 0; k < K; k++) fractions[k] = k === potency ? fPot : (1 - fPot) * rest[r++];
    const nCells = p.cellsMin + lotRng.int(p.cellsMax - p.cellsMin + 1);
    const depthFactor = Math.exp(C.lotDepthSd * lotRng.normal());
    const vegfHypoxia = p.intercept + p.effect * fPot + p.noiseSd * readoutRng.normal();
    const hgfHypoxia = C.hgfMean + C.hgfSd * readoutRng.normal();
    lots.push({ name: `BM${String(l + 1).padStart(2, '0')}`, nCells, fractions, depthFactor, vegfHypoxia, hgfHypoxia });
  }
  const subpopNames = Array.from({ length: K }, (_, k) => `SP${k + 1}`);
  return { params: p, genes, baseShare, mtShare, dispersion, subpopNames, potency, programs, stressLog2Fold, lots };
}
