import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { simulateCohort, type SimulateResult } from '../../../src/simulate/simulateCohort.js';
import { planCohort } from '../../../src/simulate/planCohort.js';
import { resolveSimulateParams } from '../../../src/simulate/simulateParams.js';
import { read10xMtx } from '../../../src/io/read10xMtx.js';
import { read10xH5 } from '../../../src/io/read10xH5.js';
import { readH5ad } from '../../../src/io/readH5ad.js';
import { OutputError, UsageError } from '../../../src/core/errors.js';
import type { AnnDataLite } from '../../../src/core/adata.js';
import { tempDir } from '../../helpers/paths.js';
import { digestTree } from '../../helpers/digestTree.js';

/** Rows of a TSV file as records. */
function readTsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const cols = head.split('\t');
  return lines.map((l) => {
    const f = l.split('\t');
    return Object.fromEntries(cols.map((c, t) => [c, f[t]]));
  });
}

/** Average ranks (ties share the mean rank). */
function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, t) => t).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && x[idx[e + 1]] === x[idx[s]]) e++;
    for (let t = s; t <= e; t++) r[idx[t]] = (s + e) / 2;
    s = e + 1;
  }
  return r;
}

/** Spearman's rho = Pearson correlation of ranks. */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let t = 0; t < n; t++) {
    sab += (ra[t] - ma) * (rb[t] - mb);
    saa += (ra[t] - ma) ** 2;
    sbb += (rb[t] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Per-cell totals and the totals over columns `cols`. */
function rowSums(a: AnnDataLite, cols?: Set<number>): Float64Array {
  const { indptr, indices, data } = a.X;
  const out = new Float64Array(a.nObs);
  for (let i = 0; i < a.nObs; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) if (!cols || cols.has(indices[k])) out[i] += data[k];
  }
  return out;
}

function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}


describe('simulateCohort: default-like cohort (11 lots x 200 cells x 1000 genes)', () => {
  let dir: string;
  let result: SimulateResult;
  let cells: Record<string, string>[];
  let lots: Record<string, string>[];
  let samples: AnnDataLite[];

  beforeAll(async () => {
    dir = join(tempDir(), 'cohort');
    result = await simulateCohort(dir, { cellsMin: 200, cellsMax: 200, genes: 1000 });
    cells = readTsv(join(dir, 'truth', 'cells.tsv'));
    lots = readTsv(join(dir, 'truth', 'lots.tsv'));
    samples = [];
    for (const s of result.samples) samples.push(await read10xMtx(join(dir, s.path)));
  });

  it('writes the 10x v3 layout, a sample sheet and the truth files', () => {
    expect(result.samples).toHaveLength(11);
    for (const f of ['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz']) expect(existsSync(join(dir, 'BM01', f))).toBe(true);
    const sheet = readFileSync(join(dir, 'samples.csv'), 'utf8').trimEnd().split('\n');
    expect(sheet[0]).toBe('lot,path,condition,source,vegf_hypoxia,hgf_hypoxia');
    expect(sheet[1]).toMatch(/^BM01,BM01,normoxia,bone_marrow,[\d.]+,[\d.]+$/);
    expect(sheet).toHaveLength(12);
    const features = gunzipSync(readFileSync(join(dir, 'BM01', 'features.tsv.gz'))).toString().split('\n');
    expect(features[0]).toMatch(/^ENSG\d{11}\t[A-Z0-9-]+\tGene Expression$/);
    const params = JSON.parse(readFileSync(join(dir, 'truth', 'params.json'), 'utf8'));
    expect(params.potency_subpop).toBe('SP3');
    expect(params.potency_subpop_index).toBe(2);
    expect(params.seed).toBe(0);
    expect(params.readouts.vegf_hypoxia).toContain('2000 * fraction(SP3)');
    expect(cells).toHaveLength(2200);
    // The MatrixMarket header (its own gzip member) names the true entry count.
    const head = gunzipSync(readFileSync(join(dir, 'BM01', 'matrix.mtx.gz'))).toString().split('\n', 3);
    expect(head[0]).toBe('%%MatrixMarket matrix coordinate integer general');
    expect(head[2]).toBe(`1000 200 ${result.samples[0].nnz}`);
  });

  it('reads back through read10xMtx with the written barcodes, genes and entry counts', () => {
    for (let s = 0; s < samples.length; s++) {
      const a = samples[s];
      expect(a.nObs).toBe(200);
      expect(a.nVars).toBe(1000);
      expect(a.X.indptr[a.nObs]).toBe(result.samples[s].nnz);
      const truth = cells.filter((c) => c.lot === result.samples[s].lot).map((c) => c.barcode);
      expect(a.obsNames).toEqual(truth);
      expect(new Set(a.obsNames).size).toBe(200);
    }
    expect(samples[0].varNames).toContain('LRRC75A');
    expect(samples[0].varNames).toContain('VEGFA');
    expect(samples[0].varNames.filter((g) => g.startsWith('MT-'))).toHaveLength(13);
  });

  it('repeats barcodes across lots, as separate 10x runs do', () => {
    const a = new Set(samples[0].obsNames);
    let shared = 0;
    for (const b of samples[1].obsNames) if (a.has(b)) shared++;
    // Pool of 3 x 300... = 1000 slots (the minimum pool), 200 drawn per lot: about 40 shared.
    expect(shared).toBeGreaterThan(10);
    for (const b of samples[0].obsNames) expect(b).toMatch(/^[ACGT]{16}-1$/);
  });

  it('writes per-lot observed fractions equal to the cell labels, and design fractions they sample from', () => {
    for (const lot of lots) {
      const mine = cells.filter((c) => c.lot === lot.lot);
      expect(Number(lot.n_cells)).toBe(mine.length);
      for (const sp of ['SP1', 'SP2', 'SP3', 'SP4', 'SP5', 'SP6']) {
        const frac = mine.filter((c) => c.subpopulation === sp).length / mine.length;
        expect(Number(lot[`observed_${sp}`])).toBeCloseTo(frac, 5);
        const p = Number(lot[`fraction_${sp}`]);
        // Multinomial sampling: within 4.5 standard errors.
        expect(Math.abs(frac - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / mine.length) + 1e-9);
      }
      const sum = ['SP1', 'SP2', 'SP3', 'SP4', 'SP5', 'SP6'].reduce((s, sp) => s + Number(lot[`fraction_${sp}`]), 0);
      expect(sum).toBeCloseTo(1, 4);
    }
    const pot = lots.map((l) => Number(l.potency_fraction));
    // Stratified log-uniform in [0.02, 0.2]: the lots span most of the range.
    expect(Math.min(...pot)).toBeLessThan(0.035);
    expect(Math.max(...pot)).toBeGreaterThan(0.13);
    expect(lots.map((l) => l.fraction_SP3)).toEqual(lots.map((l) => l.potency_fraction));
  });

  it('gives normal cells 1-10% MT counts and low-quality cells far more MT and fewer counts', () => {
    const mt = new Set<number>();
    samples[0].varNames.forEach((g, j) => { if (g.startsWith('MT-')) mt.add(j); });
    const normalMt: number[] = [];
    const lqMt: number[] = [];
    const normalTot: number[] = [];
    const lqTot: number[] = [];
    let c = 0;
    for (const a of samples) {
      const tot = rowSums(a);
      const mtc = rowSums(a, mt);
      for (let i = 0; i < a.nObs; i++, c++) {
        if (cells[c].low_quality === '1') { lqMt.push(mtc[i] / tot[i]); lqTot.push(tot[i]); }
        else { normalMt.push(mtc[i] / tot[i]); normalTot.push(tot[i]); }
      }
    }
    // About 5% low quality: 110 of 2200 expected, binomial SD ~10.
    expect(lqMt.length).toBeGreaterThan(70);
    expect(lqMt.length).toBeLessThan(150);
    const inRange = normalMt.filter((f) => f >= 0.01 && f <= 0.1).length / normalMt.length;
    expect(inRange).toBeGreaterThan(0.9);
    expect(median(normalMt)).toBeGreaterThan(0.025);
    expect(median(normalMt)).toBeLessThan(0.05);
    expect(Math.min(...lqMt)).toBeGreaterThan(0.15);
    expect(median(lqMt)).toBeGreaterThan(0.3);
    expect(median(lqTot)).toBeLessThan(0.35 * median(normalTot));
    // Library sizes: mean of healthy cells = depth (5000) within lot depth noise.
    const mean = normalTot.reduce((s, v) => s + v, 0) / normalTot.length;
    expect(mean).toBeGreaterThan(4250);
    expect(mean).toBeLessThan(5750);
  });

  it('plants the marker 2^4-fold higher in the potency subpopulation (per 10k UMIs)', () => {
    const j = samples[0].varNames.indexOf('LRRC75A');
    let sumPot = 0, nPot = 0, sumOther = 0, nOther = 0;
    let c = 0;
    for (const a of samples) {
      const tot = rowSums(a);
      for (let i = 0; i < a.nObs; i++, c++) {
        if (cells[c].low_quality === '1') continue;
        let v = 0;
        for (let k = a.X.indptr[i]; k < a.X.indptr[i + 1]; k++) if (a.X.indices[k] === j) v = a.X.data[k];
        const norm = (v / tot[i]) * 1e4;
        if (cells[c].subpopulation === 'SP3') { sumPot += norm; nPot++; } else { sumOther += norm; nOther++; }
      }
    }
    const ratio = sumPot / nPot / (sumOther / nOther);
    // Planted log2 fold 4 = 16x; program up-regulation renormalises the profile by a few percent.
    expect(ratio).toBeGreaterThan(16 / 1.3);
    expect(ratio).toBeLessThan(16 * 1.3);
    const markers = readTsv(join(dir, 'truth', 'markers.tsv'));
    const head = markers.find((m) => m.marker === '1');
    expect(head).toMatchObject({ subpopulation: 'SP3', symbol: 'LRRC75A', log2_fold: '4', potency: '1' });
    for (const sp of ['SP1', 'SP2', 'SP3', 'SP4', 'SP5', 'SP6']) {
      const prog = markers.filter((m) => m.subpopulation === sp);
      expect(prog.length).toBeGreaterThanOrEqual(20);
      expect(prog.length).toBeLessThanOrEqual(51);
    }
  });

  it('links vegf_hypoxia to the potency fraction (Spearman > 0.8) and not hgf_hypoxia', () => {
    const pot = lots.map((l) => Number(l.potency_fraction));
    expect(spearman(pot, lots.map((l) => Number(l.vegf_hypoxia)))).toBeGreaterThan(0.8);
    expect(Math.abs(spearman(pot, lots.map((l) => Number(l.hgf_hypoxia))))).toBeLessThan(0.8);
  });
});

describe('simulateCohort: lot-level model over seeds', () => {
  const rhos = (effect: number) =>
    Array.from({ length: 20 }, (_, seed) => {
      const plan = planCohort(resolveSimulateParams({ seed, effect, genes: 200 }));
      return spearman(plan.lots.map((l) => l.fractions[plan.potency]), plan.lots.map((l) => l.vegfHypoxia));
    });

  it('with the default effect, rho(potency fraction, vegf) > 0.8 for every seed', () => {
    const r = rhos(2000);
    expect(Math.min(...r)).toBeGreaterThan(0.8);
  });

  it('with --effect 0, rho is centred on zero (null cohort)', () => {
    const r = rhos(0);
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const meanAbs = r.reduce((s, v) => s + Math.abs(v), 0) / r.length;
    // Under the null, rho over 11 lots has SD ~ 1/sqrt(10) = 0.32: mean of 20 has SE 0.07,
    // and E|rho| ~ 0.25.
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(meanAbs).toBeLessThan(0.35);
  });
});

describe('simulateCohort: formats, conditions, doublets, determinism', () => {
  const params = { lots: 3, cellsMin: 100, cellsMax: 160, genes: 400, conditions: ['normoxia', 'ischemia'] as ('normoxia' | 'ischemia')[], mixedFormats: true, doubletRate: 0.1 };
  let dir: string;
  let result: SimulateResult;

  beforeAll(async () => {
    dir = join(tempDir(), 'mixed');
    result = await simulateCohort(dir, params);
  });

  it('cycles mtx, h5, h5ad and writes each lot in both conditions', async () => {
    expect(result.samples.map((s) => s.path)).toEqual([
      'BM01_normoxia', 'BM01_ischemia.h5', 'BM02_normoxia.h5ad', 'BM02_ischemia', 'BM03_normoxia.h5', 'BM03_ischemia.h5ad',
    ]);
    const sheet = readFileSync(join(dir, 'samples.csv'), 'utf8').trimEnd().split('\n');
    expect(sheet[2]).toMatch(/^BM01,BM01_ischemia\.h5,ischemia,bone_marrow,/);
    // Both conditions of a lot share its readouts and its cell count.
    expect(sheet[1].split(',').slice(4)).toEqual(sheet[2].split(',').slice(4));
    expect(result.samples[0].nCells).toBe(result.samples[1].nCells);
    for (const s of result.samples) {
      expect(s.nCells).toBeGreaterThanOrEqual(100);
      expect(s.nCells).toBeLessThanOrEqual(160);
    }
  });

  it('writes H5 and h5ad samples that read back with the entry counts written', async () => {
    const cells = readTsv(join(dir, 'truth', 'cells.tsv'));
    for (const s of result.samples) {
      const path = join(dir, s.path);
      const a = s.format === 'mtx' ? await read10xMtx(path) : s.format === 'h5' ? await read10xH5(path) : (await readH5ad(path)).adata;
      expect(a.nObs).toBe(s.nCells);
      expect(a.nVars).toBe(400);
      expect(a.X.indptr[a.nObs]).toBe(s.nnz);
      const truth = cells.filter((c) => c.lot === s.lot && c.condition === s.condition).map((c) => c.barcode);
      expect(a.obsNames).toEqual(truth);
    }
  });

  it('writes the same counts whatever the format (formats do not touch the random streams)', async () => {
    const base = { lots: 2, cellsMin: 60, cellsMax: 60, genes: 300, seed: 3 };
    const read = async (format: 'mtx' | 'h5' | 'h5ad') => {
      const d = join(tempDir(), format);
      await simulateCohort(d, { ...base, format });
      const path = join(d, format === 'mtx' ? 'BM02' : `BM02.${format}`);
      return format === 'mtx' ? read10xMtx(path) : format === 'h5' ? read10xH5(path) : (await readH5ad(path)).adata;
    };
    const [m, h, a] = [await read('mtx'), await read('h5'), await read('h5ad')];
    for (const other of [h, a]) {
      expect(other.obsNames).toEqual(m.obsNames);
      expect(other.varNames).toEqual(m.varNames);
      expect(Array.from(other.X.indptr)).toEqual(Array.from(m.X.indptr));
      expect(Array.from(other.X.indices)).toEqual(Array.from(m.X.indices));
      expect(Array.from(other.X.data)).toEqual(Array.from(m.X.data));
    }
    let total = 0;
    for (const v of m.X.data) total += v;
    // 60 cells at about 5,000 UMIs (5% at a fifth of that).
    expect(total / 60).toBeGreaterThan(3500);
  });

  it('up-shifts the stress program (VEGFA, CA9) under ischemia', async () => {
    const norm = await read10xMtx(join(dir, 'BM01_normoxia'));
    const isch = await read10xH5(join(dir, 'BM01_ischemia.h5'));
    const meanOf = (a: AnnDataLite, gene: string) => {
      const j = a.varNames.indexOf(gene);
      const tot = rowSums(a);
      let s = 0;
      for (let i = 0; i < a.nObs; i++) for (let k = a.X.indptr[i]; k < a.X.indptr[i + 1]; k++) if (a.X.indices[k] === j) s += (a.X.data[k] / tot[i]) * 1e4;
      return s / a.nObs;
    };
    // Planted log2 folds: VEGFA 1.5 (2.8x), CA9 3 (8x).
    expect(meanOf(isch, 'VEGFA') / meanOf(norm, 'VEGFA')).toBeGreaterThan(2);
    expect(meanOf(isch, 'CA9') / meanOf(norm, 'CA9')).toBeGreaterThan(4);
  });

  it('labels about 10% doublets, which carry about twice the counts', async () => {
    const cells = readTsv(join(dir, 'truth', 'cells.tsv'));
    const a = await read10xMtx(join(dir, 'BM01_normoxia'));
    const tot = rowSums(a);
    const mine = cells.filter((c) => c.lot === 'BM01' && c.condition === 'normoxia');
    const dbl: number[] = [];
    const single: number[] = [];
    mine.forEach((c, i) => {
      if (c.doublet === '1') dbl.push(tot[i]);
      else if (c.low_quality === '0') single.push(tot[i]);
    });
    const rate = cells.filter((c) => c.doublet === '1').length / cells.length;
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.16);
    expect(median(dbl) / median(single)).toBeGreaterThan(1.6);
    expect(cells.every((c) => !(c.doublet === '1' && c.low_quality === '1'))).toBe(true);
  });

  it('same seed gives byte-identical files; another seed differs', async () => {
    const again = join(tempDir(), 'mixed');
    await simulateCohort(again, params);
    const a = digestTree(dir);
    // 2 MTX folders x 3 files, 2 .h5, 2 .h5ad, samples.csv, 4 truth files.
    expect(Object.keys(a)).toHaveLength(15);
    expect(digestTree(again)).toEqual(a);
    const other = join(tempDir(), 'mixed');
    await simulateCohort(other, { ...params, seed: 1 });
    const b = digestTree(other);
    for (const f of ['BM01_normoxia/matrix.mtx.gz', 'BM01_ischemia.h5', 'BM02_normoxia.h5ad', 'truth/cells.tsv', 'samples.csv']) expect(b[f]).not.toBe(a[f]);
  });
});

describe('simulateCohort: validation and atomic output', () => {
  it.each([
    [{ lots: 0 }, /lots must be/],
    [{ cellsMin: 400, cellsMax: 200 }, /cells per lot range/],
    [{ genes: 50 }, /genes must be/],
    [{ subpops: 1 }, /subpops must be/],
    [{ lowQualityRate: 1.2 }, /low-quality-rate/],
    [{ doubletRate: -0.1 }, /doublet-rate/],
    [{ depth: 0 }, /depth must be/],
    [{ noiseSd: -1 }, /noise-sd/],
    [{ conditions: ['hypoxia' as 'ischemia'] }, /conditions must be/],
    [{ marker: 'bad marker' }, /marker must be/],
    [{ unknownKey: 1 } as object, /unknown simulate parameter/],
  ])('rejects %o with a UsageError', async (p, msg) => {
    const dir = join(tempDir(), 'x');
    await expect(simulateCohort(dir, p)).rejects.toThrow(UsageError);
    await expect(simulateCohort(dir, p)).rejects.toThrow(msg);
    expect(existsSync(dir)).toBe(false);
  });

  it('replaces an existing output folder only as a whole, and leaves no temporary files', async () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stale.txt'), 'old');
    await simulateCohort(dir, { lots: 2, cellsMin: 20, cellsMax: 20, genes: 300 });
    expect(existsSync(join(dir, 'stale.txt'))).toBe(false);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('fails with an OutputError and writes nothing when the output cannot be created', async () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'file'), 'x');
    await expect(simulateCohort(join(parent, 'file', 'out'), { lots: 1, cellsMin: 20, cellsMax: 20, genes: 300 })).rejects.toThrow(OutputError);
    expect(readdirSync(parent)).toEqual(['file']);
  });
});
