/**
 * Streams a simulated multi-lot MSC cohort to disk: one 10x sample per lot (and condition), a
 * sample sheet and the ground truth the pipeline's tests check against. The lot- and
 * gene-level design comes from {@link planCohort}; this file draws the cells.
 *
 * Per cell (gamma-Poisson model of UMI counts, Svensson 2020 "Droplet scRNA-seq is not
 * zero-inflated"): library size L ~ depth * lotDepth * LogNormal(-s^2/2, s); MT share m; mean
 * of gene j = L * (1 - m) * P_j (nuclear profile of the cell's lot, condition and
 * subpopulation) or L * m * Q_j (MT profile). Counts are NB(mean, phi_j).
 *
 * Speed: 100k cells x 20k genes is 2e9 gene-cell pairs, too many for one NB draw each. Genes
 * whose mean at the group's typical depth is >= {@link HIGH_MEAN} get an exact NB draw per cell;
 * the long tail of low-mean genes (where NB and Poisson differ by phi * mean^2 < 0.1 * mean) is
 * drawn as a Poisson total split over genes by alias sampling, which is exactly a vector of
 * independent Poissons (Poisson splitting). Counts land in one dense Int32 row that is scanned
 * once per cell, so entries come out sorted by gene without sorting.
 *
 * Memory is bounded by one sample's barcode pool and K profiles of nGenes doubles; cells go
 * straight to the writers, whatever the cohort size.
 */
import { createWriteStream, mkdirSync, rmSync, existsSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join, dirname } from 'node:path';
import { createRng, type Rng } from '../core/rng.js';
import { writeFileAtomic, tempPathFor } from '../core/atomic.js';
import { OutputError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { VERSION } from '../core/version.js';
import { Mtx10xStreamWriter, replaceDir, type Features10x } from '../io/write10xMtx.js';
import { H5StreamWriter } from '../io/write10xH5.js';
import { buildAliasTable, sampleAlias, sampleNegBinomial, samplePoisson, type AliasTable } from './distributions.js';
import { planCohort, MODEL_CONSTANTS, STRESS_LOG2_FOLDS, type CohortPlan, type LotPlan } from './planCohort.js';
import { resolveSimulateParams, type SimulateParams, type SimFormat, type SimCondition } from './simulateParams.js';
import { H5adBufferSink } from './h5adBufferSink.js';
import { fastRngFrom } from './fastRng.js';

/** Genes with an expected count >= this at the group's typical depth get a per-gene NB draw. */
export const HIGH_MEAN = 0.1;

/** What every sample writer offers (MTX folder, 10x HDF5, h5ad). */
export interface CellSink {
  /** Appends one cell: `n` entries of 0-based increasing gene indices and their counts. */
  addCell(barcode: string, genes: ArrayLike<number>, counts: ArrayLike<number>, n: number): void;
  /** True when the caller must `await drain()` before the next cell (stream back-pressure). */
  readonly needsDrain: boolean;
  /** Resolves when buffered output has been taken by the stream. */
  drain(): Promise<void>;
  /** Writes the remaining parts (header, features, ...) and moves the sample into place. */
  finish(features: Features10x): Promise<void>;
  /** Stops and removes anything partial. */
  abort(): Promise<void>;
}

/** One written sample. */
export interface SimulatedSample {
  /** Lot name (BM01 ...). */
  readonly lot: string;
  /** Culture condition of this sample. */
  readonly condition: SimCondition;
  /** Path relative to the output folder. */
  readonly path: string;
  /** File layout. */
  readonly format: SimFormat;
  /** Cells written. */
  readonly nCells: number;
  /** Non-zero entries written. */
  readonly nnz: number;
}

/** What {@link simulateCohort} returns. */
export interface SimulateResult {
  /** The output folder. */
  readonly outDir: string;
  /** The resolved parameters (defaults filled in). */
  readonly params: SimulateParams;
  /** One entry per written sample, in writing order. */
  readonly samples: SimulatedSample[];
  /** Cells over all samples. */
  readonly nCells: number;
  /** Non-zero entries over all samples. */
  readonly nnz: number;
  /** Name of the planted potency subpopulation (e.g. SP3). */
  readonly potencySubpop: string;
  /** Elapsed milliseconds. */
  readonly ms: number;
}

/** Options besides the model parameters. */
export interface SimulateOptions {
  /** Progress and summary logs (none by default). */
  readonly log?: Logger;
}

/** A lot x condition x subpopulation expression profile, ready for fast cell draws. */
interface Profile {
  /** Nuclear genes drawn per gene (sorted), their shares and dispersions. */
  readonly high: Int32Array;
  readonly highP: Float64Array;
  readonly highPhi: Float64Array;
  /** Low-mean genes: alias table over their shares, mapped back to gene indices. */
  readonly lowGenes: Int32Array;
  readonly lowAlias: AliasTable | null;
  /** Sum of low-mean genes' shares of nuclear UMIs. */
  readonly lowMass: number;
  /** MT genes, their shares within MT UMIs and dispersions. */
  readonly mt: Int32Array;
  readonly mtP: Float64Array;
  readonly mtPhi: Float64Array;
}

/** Builds the K profiles of one sample: baseline x program x lot batch x condition, normalised. */
function buildProfiles(plan: CohortPlan, batch: Float64Array, condition: SimCondition, typicalDepth: number): Profile[] {
  const G = plan.params.genes;
  const { baseShare, mtShare, dispersion, stressLog2Fold, genes } = plan;
  const isMt = new Uint8Array(G);
  for (const j of genes.mt) isMt[j] = 1;
  const w = new Float64Array(G);
  const mtP = new Float64Array(genes.mt.length);
  let mtSum = 0;
  for (let m = 0; m < genes.mt.length; m++) {
    mtP[m] = mtShare[genes.mt[m]] * batch[genes.mt[m]];
    mtSum += mtP[m];
  }
  for (let m = 0; m < mtP.length; m++) mtP[m] /= mtSum;
  const mtPhi = new Float64Array(genes.mt.length);
  for (let m = 0; m < genes.mt.length; m++) mtPhi[m] = dispersion[genes.mt[m]];
  const profiles: Profile[] = [];
  for (let k = 0; k < plan.programs.length; k++) {
    let sum = 0;
    for (let j = 0; j < G; j++) {
      let v = isMt[j] ? 0 : baseShare[j] * batch[j];
      if (condition === 'ischemia' && stressLog2Fold[j] !== 0) v *= 2 ** stressLog2Fold[j];
      w[j] = v;
    }
    const prog = plan.programs[k];
    for (let t = 0; t < prog.genes.length; t++) w[prog.genes[t]] *= 2 ** prog.log2Folds[t];
    for (let j = 0; j < G; j++) sum += w[j];
    let nHigh = 0;
    for (let j = 0; j < G; j++) {
      w[j] /= sum;
      if (!isMt[j] && w[j] * typicalDepth >= HIGH_MEAN) nHigh++;
    }
    const high = new Int32Array(nHigh);
    const highP = new Float64Array(nHigh);
    const highPhi = new Float64Array(nHigh);
    const nLow = G - genes.mt.length - nHigh;
    const lowGenes = new Int32Array(nLow);
    const lowW = new Float64Array(nLow);
    let h = 0;
    let l = 0;
    let lowMass = 0;
    for (let j = 0; j < G; j++) {
      if (isMt[j]) continue;
      if (w[j] * typicalDepth >= HIGH_MEAN) {
        high[h] = j; highP[h] = w[j]; highPhi[h] = dispersion[j]; h++;
      } else {
        lowGenes[l] = j; lowW[l] = w[j]; lowMass += w[j]; l++;
      }
    }
    const lowAlias = lowMass > 0 ? buildAliasTable(lowW) : null;
    profiles.push({ high, highP, highPhi, lowGenes, lowAlias, lowMass, mt: genes.mt, mtP, mtPhi });
  }
  return profiles;
}

/**
 * Adds one cell's counts to the dense row `counts`: nuclear UMIs `nuc` expected, MT UMIs `mito`
 * expected. Pure apart from `rng` and `counts`.
 */
function drawCell(rng: Rng, prof: Profile, nuc: number, mito: number, counts: Int32Array): void {
  const { high, highP, highPhi } = prof;
  for (let t = 0; t < high.length; t++) {
    const c = sampleNegBinomial(rng, nuc * highP[t], highPhi[t]);
    if (c > 0) counts[high[t]] += c;
  }
  if (prof.lowAlias !== null) {
    // Poisson splitting: a Poisson total over the low genes, each UMI placed by the alias table.
    const n = samplePoisson(rng, nuc * prof.lowMass);
    const { lowGenes, lowAlias } = prof;
    for (let u = 0; u < n; u++) counts[lowGenes[sampleAlias(rng, lowAlias)]]++;
  }
  const { mt, mtP, mtPhi } = prof;
  for (let m = 0; m < mt.length; m++) {
    const c = sampleNegBinomial(rng, mito * mtP[m], mtPhi[m]);
    if (c > 0) counts[mt[m]] += c;
  }
}

/** Murmur3's 32-bit finaliser: a bijection on 32-bit words, so distinct pool slots stay distinct. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const BASES = 'ACGT';

/** 16-mer for a 32-bit word, 2 bits per base from the top (so numeric order = text order), plus `-1`. */
function barcodeOf(v: number): string {
  let s = '';
  for (let shift = 30; shift >= 0; shift -= 2) s += BASES[(v >>> shift) & 3];
  return s + '-1';
}

/**
 * Draws `n` distinct barcodes from the cohort's seeded pool of `poolSize` 16-mers, sorted as
 * CellRanger lists them. Lots share the pool, so barcodes repeat across lots as in real runs.
 */
function drawBarcodes(rng: Rng, n: number, poolSize: number, seedKey: number): Uint32Array {
  const slots = new Int32Array(poolSize);
  for (let t = 0; t < poolSize; t++) slots[t] = t;
  const out = new Uint32Array(n);
  for (let t = 0; t < n; t++) {
    // Partial Fisher-Yates: slot t gets a uniform pick of the remaining slots.
    const u = t + rng.int(poolSize - t);
    const s = slots[u];
    slots[u] = slots[t];
    slots[t] = s;
    out[t] = fmix32((s ^ seedKey) >>> 0);
  }
  return out.sort();
}

/** Plain-text sink with back-pressure for the truth table of cells. */
class TextFile {
  private readonly stream: WriteStream;
  private parts: string[] = [];
  private size = 0;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }
  async line(s: string): Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const ok = this.stream.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
    if (!ok) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'close');
  }
  destroy(): void {
    this.stream.destroy();
  }
}

const FORMAT_CYCLE: readonly SimFormat[] = ['mtx', 'h5', 'h5ad'];

/** Formats a number for TSV/CSV: integers as is, others to 6 significant digits. */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/**
 * Simulates a cohort into `outDir` (replaced only on success: everything is written into a
 * temporary sibling that is renamed at the end). Same parameters -> byte-identical files.
 *
 * @example
 * const r = await simulateCohort('fixtures/lots', { lots: 11, cellsMin: 300, cellsMax: 300, seed: 0 });
 * r.potencySubpop; // 'SP3'
 */
export async function simulateCohort(outDir: string, partial: Partial<SimulateParams> = {}, options: SimulateOptions = {}): Promise<SimulateResult> {
  const t0 = performance.now();
  const p = resolveSimulateParams(partial);
  const log = options.log ?? silentLogger;
  const plan = planCohort(p);
  const G = p.genes;
  const K = p.subpops;
  const parent = dirname(outDir);
  try {
    if (!existsSync(parent)) mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot create output directory ${parent}: ${(e as Error).message}`, { cause: e });
  }
  const tmp = tempPathFor(outDir);
  try {
    mkdirSync(join(tmp, 'truth'), { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot create output directory ${outDir}: ${(e as Error).message}`, { cause: e });
  }
  const features: Features10x = { ids: plan.genes.ids, symbols: plan.genes.symbols };
  const cellsFile = new TextFile(join(tmp, 'truth', 'cells.tsv'));
  const samples: SimulatedSample[] = [];
  const observed = new Float64Array(p.lots * K);
  const observedN = new Float64Array(p.lots);
  let sink: CellSink | null = null;
  try {
    await cellsFile.line('lot\tbarcode\tsubpopulation\tlow_quality\tdoublet\tcondition\n');
    const root = createRng(p.seed);
    const seedKey = fmix32((p.seed ^ 0x9e3779b9) >>> 0);
    const poolSize = Math.max(1000, 3 * p.cellsMax);
    const counts = new Int32Array(G);
    const outGenes = new Int32Array(G);
    const outCounts = new Int32Array(G);
    const C = MODEL_CONSTANTS;
    const libMu = -0.5 * C.librarySd * C.librarySd;
    let sampleIndex = 0;
    for (let l = 0; l < p.lots; l++) {
      const lot: LotPlan = plan.lots[l];
      // Lot batch factors: one stream per lot, shared by its conditions (same donor cells).
      const batchStream = root.fork(`batch:${lot.name}`);
      const batch = new Float64Array(G);
      for (let j = 0; j < G; j++) batch[j] = Math.exp(p.batchSd * batchStream.normal());
      const cum = new Float64Array(K);
      let acc = 0;
      for (let k = 0; k < K; k++) { acc += lot.fractions[k]; cum[k] = acc; }
      for (const condition of p.conditions) {
        const sampleName = p.conditions.length > 1 ? `${lot.name}_${condition}` : lot.name;
        const format = p.mixedFormats ? FORMAT_CYCLE[sampleIndex % 3] : p.format;
        sampleIndex++;
        const typicalDepth = p.depth * lot.depthFactor;
        const profiles = buildProfiles(plan, batch, condition, typicalDepth);
        const rng = fastRngFrom(root.fork(`cells:${sampleName}`));
        const barcodes = drawBarcodes(root.fork(`barcodes:${sampleName}`), lot.nCells, poolSize, seedKey);
        const rel = format === 'mtx' ? sampleName : `${sampleName}.${format}`;
        const target = join(tmp, rel);
        const out: CellSink = format === 'mtx'
          ? new Mtx10xStreamWriter(target, { nGenes: G, gzipLevel: p.gzipLevel })
          : format === 'h5'
            ? await H5StreamWriter.create(target, { nGenes: G })
            : new H5adBufferSink(target, G, { lot: lot.name, condition });
        sink = out;
        let nnz = 0;
        for (let i = 0; i < lot.nCells; i++) {
          // Subpopulation by inversion over the lot's cumulative fractions.
          const u = rng.next();
          let k = 0;
          while (k < K - 1 && u >= cum[k]) k++;
          const r = rng.next();
          const lowQuality = r < p.lowQualityRate;
          const doublet = !lowQuality && r < p.lowQualityRate + p.doubletRate;
          let L = typicalDepth * Math.exp(libMu + C.librarySd * rng.normal());
          let m: number;
          if (lowQuality) {
            L *= C.lowQualityDepthFactor;
            m = C.lowQualityMtMin + (C.lowQualityMtMax - C.lowQualityMtMin) * rng.next();
          } else {
            m = Math.min(0.5, C.mtShare * Math.exp(C.mtShareSd * rng.normal() - 0.5 * C.mtShareSd * C.mtShareSd));
          }
          drawCell(rng, profiles[k], L * (1 - m), L * m, counts);
          if (doublet) {
            // Second cell of the droplet: its own subpopulation, library size and MT share.
            const u2 = rng.next();
            let k2 = 0;
            while (k2 < K - 1 && u2 >= cum[k2]) k2++;
            const L2 = typicalDepth * Math.exp(libMu + C.librarySd * rng.normal());
            const m2 = Math.min(0.5, C.mtShare * Math.exp(C.mtShareSd * rng.normal() - 0.5 * C.mtShareSd * C.mtShareSd));
            drawCell(rng, profiles[k2], L2 * (1 - m2), L2 * m2, counts);
          }
          // Dense scan: entries in gene order, and the row is zeroed for the next cell.
          let n = 0;
          for (let j = 0; j < G; j++) {
            const c = counts[j];
            if (c !== 0) {
              outGenes[n] = j;
              outCounts[n] = c;
              n++;
              counts[j] = 0;
            }
          }
          nnz += n;
          const barcode = barcodeOf(barcodes[i]);
          out.addCell(barcode, outGenes, outCounts, n);
          if (out.needsDrain) await out.drain();
          observed[l * K + k]++;
          observedN[l]++;
          await cellsFile.line(`${lot.name}\t${barcode}\t${plan.subpopNames[k]}\t${lowQuality ? 1 : 0}\t${doublet ? 1 : 0}\t${condition}\n`);
        }
        sink = null;
        await out.finish(features);
        samples.push({ lot: lot.name, condition, path: rel, format, nCells: lot.nCells, nnz });
        log.info({ sample: sampleName, format, nCells: lot.nCells, nnz }, 'sample written');
      }
    }
    await cellsFile.close();
    await writeTruth(tmp, plan, samples, observed, observedN);
    replaceDir(tmp, outDir);
  } catch (e) {
    if (sink) await sink.abort();
    cellsFile.destroy();
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof Error && 'code' in e && typeof (e as NodeJS.ErrnoException).code === 'string') {
      throw new OutputError(`cannot write ${outDir}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  const nCells = samples.reduce((s, x) => s + x.nCells, 0);
  const nnz = samples.reduce((s, x) => s + x.nnz, 0);
  return { outDir, params: p, samples, nCells, nnz, potencySubpop: plan.subpopNames[plan.potency], ms: performance.now() - t0 };
}

/** Writes samples.csv and truth/{markers,lots}.tsv and truth/params.json. */
async function writeTruth(dir: string, plan: CohortPlan, samples: SimulatedSample[], observed: Float64Array, observedN: Float64Array): Promise<void> {
  const p = plan.params;
  const K = p.subpops;
  const byLot = new Map(plan.lots.map((l) => [l.name, l]));
  let sheet = 'lot,path,condition,source,vegf_hypoxia,hgf_hypoxia\n';
  for (const s of samples) {
    const lot = byLot.get(s.lot)!;
    sheet += `${s.lot},${s.path},${s.condition},bone_marrow,${num(lot.vegfHypoxia)},${num(lot.hgfHypoxia)}\n`;
  }
  await writeFileAtomic(join(dir, 'samples.csv'), sheet);

  let markers = 'subpopulation\tgene_id\tsymbol\tlog2_fold\tpotency\tmarker\n';
  plan.programs.forEach((prog, k) => {
    for (let t = 0; t < prog.genes.length; t++) {
      const j = prog.genes[t];
      const isMarker = k === plan.potency && j === plan.genes.marker;
      markers += `${plan.subpopNames[k]}\t${plan.genes.ids[j]}\t${plan.genes.symbols[j]}\t${num(prog.log2Folds[t])}\t${k === plan.potency ? 1 : 0}\t${isMarker ? 1 : 0}\n`;
    }
  });
  await writeFileAtomic(join(dir, 'truth', 'markers.tsv'), markers);

  const names = plan.subpopNames;
  let lots = `lot\tn_cells\t${names.map((s) => `fraction_${s}`).join('\t')}\t${names.map((s) => `observed_${s}`).join('\t')}\tpotency_fraction\tvegf_hypoxia\thgf_hypoxia\n`;
  plan.lots.forEach((lot, l) => {
    const design = Array.from(lot.fractions, (f) => num(f)).join('\t');
    const obs = Array.from({ length: K }, (_, k) => num(observed[l * K + k] / observedN[l])).join('\t');
    lots += `${lot.name}\t${observedN[l]}\t${design}\t${obs}\t${num(lot.fractions[plan.potency])}\t${num(lot.vegfHypoxia)}\t${num(lot.hgfHypoxia)}\n`;
  });
  await writeFileAtomic(join(dir, 'truth', 'lots.tsv'), lots);

  const stress: Record<string, number> = {};
  for (const [g, f] of Object.entries(STRESS_LOG2_FOLDS)) stress[g] = f;
  const params = {
    generator: `cqamine simulate ${VERSION}`,
    seed: p.seed,
    params: p,
    potency_subpop_index: plan.potency,
    potency_subpop: names[plan.potency],
    marker: p.marker,
    subpopulations: names,
    readouts: {
      vegf_hypoxia: `vegf_hypoxia = ${p.intercept} + ${p.effect} * fraction(${names[plan.potency]}) + Normal(0, ${p.noiseSd}^2)`,
      hgf_hypoxia: `hgf_hypoxia = ${MODEL_CONSTANTS.hgfMean} + Normal(0, ${MODEL_CONSTANTS.hgfSd}^2), independent of composition`,
      intercept: p.intercept,
      effect: p.effect,
      noise_sd: p.noiseSd,
    },
    ischemia_stress_log2_folds: stress,
    model_constants: { ...MODEL_CONSTANTS, highMeanThreshold: HIGH_MEAN },
    samples,
  };
  await writeFileAtomic(join(dir, 'truth', 'params.json'), JSON.stringify(params, null, 2) + '\n');
}
