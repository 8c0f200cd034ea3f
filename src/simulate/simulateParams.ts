/**
 * Parameters of the cohort simulator: one typed object with documented defaults, validated once
 * so the library and the CLI agree (house style 2.5).
 */
import { UsageError } from '../core/errors.js';
import { MIN_GENES } from './geneNames.js';

/** Output layout of one sample. */
export type SimFormat = 'mtx' | 'h5' | 'h5ad';

/** Culture conditions the model knows; `ischemia` (hypoxia + no glucose) up-shifts the stress program. */
export type SimCondition = 'normoxia' | 'ischemia';

/** Every knob of {@link simulateCohort}; all are recorded in `truth/params.json`. */
export interface SimulateParams {
  /** Number of lots, named BM01, BM02, ... @default 11 */
  lots: number;
  /** Fewest cells per lot (each lot draws uniformly from `[cellsMin, cellsMax]`). @default 300 */
  cellsMin: number;
  /** Most cells per lot. @default 300 */
  cellsMax: number;
  /** Genes (features), including 13 MT genes. @default 2000 */
  genes: number;
  /** Seed of every random draw. @default 0 */
  seed: number;
  /** Number of subpopulations K. @default 6 */
  subpops: number;
  /** Symbol of the potency subpopulation's marker (head of its program). @default 'LRRC75A' */
  marker: string;
  /** log2 fold of the marker in the potency subpopulation over the others. @default 4 */
  markerLog2Fold: number;
  /** Slope b of `vegf_hypoxia = a + b * potency_fraction + noise` (pg/mL per unit fraction); 0 = null cohort. @default 2000 */
  effect: number;
  /** Intercept a of the VEGF readout (pg/mL). @default 200 */
  intercept: number;
  /** SD of the VEGF readout's Gaussian noise (pg/mL). @default 20 */
  noiseSd: number;
  /** Smallest lot fraction of the potency subpopulation (lots are stratified log-uniform in [min, max]). @default 0.02 */
  potencyMin: number;
  /** Largest lot fraction of the potency subpopulation. @default 0.2 */
  potencyMax: number;
  /** Dirichlet concentration of the other subpopulations around their base composition. @default 50 */
  concentration: number;
  /** SD of the per-lot, per-gene log batch factor. @default 0.15 */
  batchSd: number;
  /** Fraction of low-quality cells per lot (few counts, high MT fraction). @default 0.05 */
  lowQualityRate: number;
  /** Fraction of doublets per lot (sum of two cells' counts). @default 0 */
  doubletRate: number;
  /** Mean library size (UMIs per healthy cell). @default 5000 */
  depth: number;
  /** Sample file layout. @default 'mtx' */
  format: SimFormat;
  /** Cycle mtx, h5, h5ad across samples instead of using `format` for all. @default false */
  mixedFormats: boolean;
  /** Conditions each lot is sequenced in; more than one writes `<lot>_<condition>` folders. @default ['normoxia'] */
  conditions: SimCondition[];
  /** gzip level of the MTX files (1 fastest ... 9 smallest). @default 4 */
  gzipLevel: number;
}

/** Defaults of {@link SimulateParams}. */
export const SIMULATE_DEFAULTS: Readonly<SimulateParams> = Object.freeze({
  lots: 11,
  cellsMin: 300,
  cellsMax: 300,
  genes: 2000,
  seed: 0,
  subpops: 6,
  marker: 'LRRC75A',
  markerLog2Fold: 4,
  effect: 2000,
  intercept: 200,
  noiseSd: 20,
  potencyMin: 0.02,
  potencyMax: 0.2,
  concentration: 50,
  batchSd: 0.15,
  lowQualityRate: 0.05,
  doubletRate: 0,
  depth: 5000,
  format: 'mtx',
  mixedFormats: false,
  conditions: ['normoxia'] as SimCondition[],
  gzipLevel: 4,
});

function check(ok: boolean, message: string): void {
  if (!ok) throw new UsageError(message);
}

const isInt = (v: number) => Number.isInteger(v);

/** Merges `partial` over the defaults, rejects unknown keys and out-of-range values (UsageError). */
export function resolveSimulateParams(partial: Partial<SimulateParams> = {}): SimulateParams {
  const p = { ...SIMULATE_DEFAULTS, conditions: [...SIMULATE_DEFAULTS.conditions] } as SimulateParams;
  for (const [k, v] of Object.entries(partial)) {
    if (!(k in SIMULATE_DEFAULTS)) throw new UsageError(`unknown simulate parameter '${k}' (known: ${Object.keys(SIMULATE_DEFAULTS).join(', ')})`);
    if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  }
  check(isInt(p.lots) && p.lots >= 1 && p.lots <= 999, `lots must be an integer in [1, 999], got ${p.lots}`);
  check(isInt(p.cellsMin) && p.cellsMin >= 10, `cells per lot must be an integer >= 10, got ${p.cellsMin}`);
  check(isInt(p.cellsMax) && p.cellsMax >= p.cellsMin && p.cellsMax <= 5_000_000, `cells per lot range must be min-max with min <= max <= 5000000, got ${p.cellsMin}-${p.cellsMax}`);
  check(isInt(p.genes) && p.genes >= MIN_GENES && p.genes <= 60_000, `genes must be an integer in [${MIN_GENES}, 60000], got ${p.genes}`);
  check(isInt(p.seed) && Math.abs(p.seed) <= 2 ** 31, `seed must be an integer with |seed| <= 2^31, got ${p.seed}`);
  check(isInt(p.subpops) && p.subpops >= 2 && p.subpops <= 20, `subpops must be an integer in [2, 20], got ${p.subpops}`);
  check(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.marker), `marker must be a gene symbol (letters, digits, . _ -), got '${p.marker}'`);
  check(p.markerLog2Fold >= 1 && p.markerLog2Fold <= 8, `markerLog2Fold must be in [1, 8], got ${p.markerLog2Fold}`);
  check(Number.isFinite(p.effect), `effect must be a finite number, got ${p.effect}`);
  check(Number.isFinite(p.intercept), `intercept must be a finite number, got ${p.intercept}`);
  check(p.noiseSd >= 0 && Number.isFinite(p.noiseSd), `noise-sd must be >= 0, got ${p.noiseSd}`);
  check(p.potencyMin > 0 && p.potencyMax >= p.potencyMin && p.potencyMax < 1, `potency fraction range must satisfy 0 < min <= max < 1, got ${p.potencyMin}-${p.potencyMax}`);
  check(p.concentration > 0 && Number.isFinite(p.concentration), `concentration must be > 0, got ${p.concentration}`);
  check(p.batchSd >= 0 && p.batchSd <= 2, `batch-sd must be in [0, 2], got ${p.batchSd}`);
  check(p.lowQualityRate >= 0 && p.lowQualityRate < 1, `low-quality-rate must be in [0, 1), got ${p.lowQualityRate}`);
  check(p.doubletRate >= 0 && p.doubletRate < 1 && p.lowQualityRate + p.doubletRate < 1, `doublet-rate must be in [0, 1) with low-quality-rate + doublet-rate < 1, got ${p.doubletRate}`);
  check(p.depth >= 50 && p.depth <= 1e6, `depth must be in [50, 1000000] UMIs per cell, got ${p.depth}`);
  check(p.format === 'mtx' || p.format === 'h5' || p.format === 'h5ad', `format must be mtx, h5 or h5ad, got '${p.format}'`);
  check(Array.isArray(p.conditions) && p.conditions.length >= 1, 'conditions must name at least one condition');
  check(new Set(p.conditions).size === p.conditions.length, `conditions must be distinct, got ${p.conditions.join(',')}`);
  for (const c of p.conditions) check(c === 'normoxia' || c === 'ischemia', `conditions must be normoxia and/or ischemia, got '${c}'`);
  check(isInt(p.gzipLevel) && p.gzipLevel >= 1 && p.gzipLevel <= 9, `gzip level must be an integer in [1, 9], got ${p.gzipLevel}`);
  return p;
}
