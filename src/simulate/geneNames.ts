/**
 * Deterministic, symbol-like gene names for the simulator: a fixed set of real genes the model
 * gives roles to (MSC background, hypoxia stress program, 13 mitochondrial genes, the potency
 * marker) plus generated names such as `ZNF512` or `TMEM181` from common HGNC family prefixes
 * and numbers. The generated names depend only on the gene count (not on the seed), so a
 * cohort's feature list is stable when only the seed changes.
 */
import { createRng } from '../core/rng.js';
import { UsageError } from '../core/errors.js';

/** Known MSC and housekeeping genes kept as background (Dominici 2006 criteria, common markers). */
export const MSC_GENES = ['THY1', 'NT5E', 'ENG', 'PRRX1', 'COL1A1', 'CD44', 'ALCAM', 'NGFR', 'ACTB', 'GAPDH'] as const;

/** HIF-1 targets and glycolysis genes that ischemia (hypoxia + no glucose) up-shifts in all cells. */
export const STRESS_GENES = ['VEGFA', 'HIF1A', 'SLC2A1', 'PGK1', 'LDHA', 'BNIP3', 'CA9', 'ENO1', 'ADM', 'NDRG1', 'P4HA1', 'PDK1', 'EGLN3', 'BHLHE40'] as const;

/** The 13 protein-coding mitochondrial genes, in chrM order as CellRanger lists them. */
export const MT_GENES = ['MT-ND1', 'MT-ND2', 'MT-CO1', 'MT-CO2', 'MT-ATP8', 'MT-ATP6', 'MT-CO3', 'MT-ND3', 'MT-ND4L', 'MT-ND4', 'MT-ND5', 'MT-CYB', 'MT-ND6'] as const;

/** HGNC-style family prefixes for generated names. */
const PREFIXES = ['ZNF', 'KLHL', 'TMEM', 'SLC', 'CCDC', 'FAM', 'ANKRD', 'RBM', 'TRIM', 'PPP1R', 'ARHGAP', 'DNAJC', 'WDR', 'KIAA', 'ZBTB', 'USP', 'RNF', 'MAP3K', 'SH3BP', 'TBC1D', 'LRRK', 'NUDT', 'PCDHB', 'OR2A', 'ATP6V', 'MRPL', 'RPL', 'SNX', 'GPR', 'CDC'] as const;

/** Named genes of a simulated cohort, by role, and the full feature list in file order. */
export interface GeneNames {
  /** Symbols in feature order (unique). */
  readonly symbols: string[];
  /** Ensembl-like ids in feature order (unique, `ENSG` + 11 digits). */
  readonly ids: string[];
  /** Index of the potency marker. */
  readonly marker: number;
  /** Indices of {@link MSC_GENES}, in that order. */
  readonly msc: Int32Array;
  /** Indices of {@link STRESS_GENES}, in that order. */
  readonly stress: Int32Array;
  /** Indices of {@link MT_GENES} (the last 13 features, as chrM comes last in 10x references). */
  readonly mt: Int32Array;
  /** Indices free for subpopulation programs (not marker, MSC, stress or MT). */
  readonly generic: Int32Array;
}

/** Smallest gene count the named roles fit into, with room for programs. */
export const MIN_GENES = 1 + MSC_GENES.length + STRESS_GENES.length + MT_GENES.length + 100;

/**
 * Builds `nGenes` unique gene names: the marker, MSC, stress and generated names shuffled by a
 * fixed stream (seed-independent), then the 13 MT genes last.
 *
 * @example
 * const g = makeGeneNames(2000, 'LRRC75A');
 * g.symbols[g.marker]; // 'LRRC75A'
 */
export function makeGeneNames(nGenes: number, markerSymbol: string): GeneNames {
  if (!Number.isInteger(nGenes) || nGenes < MIN_GENES) throw new UsageError(`genes must be an integer >= ${MIN_GENES}, got ${nGenes}`);
  const reserved = new Set<string>([markerSymbol, ...MSC_GENES, ...STRESS_GENES, ...MT_GENES]);
  if (reserved.size !== 1 + MSC_GENES.length + STRESS_GENES.length + MT_GENES.length) {
    throw new UsageError(`marker '${markerSymbol}' must differ from the built-in MSC, stress and MT genes`);
  }
  const nuclear = nGenes - MT_GENES.length;
  const names: string[] = [markerSymbol, ...MSC_GENES, ...STRESS_GENES];
  // Generated names: prefix chosen by a fixed stream, number 1..999 with an occasional letter
  // suffix as in real symbols (e.g. PPP1R3B); duplicates and reserved names are redrawn.
  const nameRng = createRng(0x5eed).fork('gene-names');
  const seen = new Set<string>(reserved);
  while (names.length < nuclear) {
    const prefix = PREFIXES[nameRng.int(PREFIXES.length)];
    const num = 1 + nameRng.int(nameRng.next() < 0.7 ? 99 : 999);
    const suffix = nameRng.next() < 0.1 ? 'ABCD'[nameRng.int(4)] : '';
    const name = `${prefix}${num}${suffix}`;
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(name);
  }
  // Fixed shuffle so role genes are spread through the list like genomic order would spread them.
  const order = new Int32Array(nuclear);
  for (let t = 0; t < nuclear; t++) order[t] = t;
  for (let t = nuclear - 1; t > 0; t--) {
    const u = nameRng.int(t + 1);
    const tmp = order[t];
    order[t] = order[u];
    order[u] = tmp;
  }
  const symbols = new Array<string>(nGenes);
  const position = new Int32Array(nuclear);
  for (let t = 0; t < nuclear; t++) {
    symbols[t] = names[order[t]];
    position[order[t]] = t;
  }
  for (let m = 0; m < MT_GENES.length; m++) symbols[nuclear + m] = MT_GENES[m];
  const ids = new Array<string>(nGenes);
  for (let j = 0; j < nGenes; j++) ids[j] = `ENSG${String(100000 + j * 7).padStart(11, '0')}`;
  const msc = new Int32Array(MSC_GENES.length);
  for (let t = 0; t < msc.length; t++) msc[t] = position[1 + t];
  const stress = new Int32Array(STRESS_GENES.length);
  for (let t = 0; t < stress.length; t++) stress[t] = position[1 + MSC_GENES.length + t];
  const mt = new Int32Array(MT_GENES.length);
  for (let m = 0; m < mt.length; m++) mt[m] = nuclear + m;
  const named = 1 + MSC_GENES.length + STRESS_GENES.length;
  const generic = new Int32Array(nuclear - named);
  let g = 0;
  for (let t = 0; t < nuclear; t++) if (order[t] >= named) generic[g++] = t;
  return { symbols, ids, marker: position[0], msc, stress, mt, generic };
}
