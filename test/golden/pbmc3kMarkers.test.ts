/**
 * pbmc3k marker genes against Seurat 4.3 `FindAllMarkers(only.pos = TRUE, test.use = "wilcox",
 * logfc.threshold = 0.25, min.pct = 0.1)` (../shared/reference/pbmc3k-seurat/markers.csv).
 * Same input as Seurat: Seurat's 2,638 cells with Seurat's own cluster labels, the 13,714 genes
 * detected in >= 3 of all 2,700 cells, LogNormalize with scale 1e4 (our kernel, Float32 storage).
 * Genes are matched by Seurat's names (R make.unique of the symbols: 'UQCR11.1').
 * Measured on this data: max relative p deviation 5.6e-12 over all 4,618 rows (p down to 1e-300),
 * max |log2FC| deviation 2.6e-7; pct.1/pct.2 equal after R's round(, 3); the gene set and order
 * per cluster equal Seurat's exactly.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData, sharedReference } from '../helpers/paths.js';
import { read10xMtx } from '../../src/io/read10xMtx.js';
import { subsetCols, subsetRows, type CsrMatrix } from '../../src/core/sparse.js';
import { logNormalizeKernel, totalSizeFactors } from '../../src/normalize/logNormalize.js';
import { computeMarkerStats, findMarkers, type MarkerStats } from '../../src/markers/findMarkers.js';
import { roundPct3, topMarkers } from '../../src/markers/topMarkers.js';
import { AnnDataLite } from '../../src/core/adata.js';
import { Frame, categoricalFrom } from '../../src/core/frame.js';

interface SeuratRow { cluster: number; gene: string; p: number; fc: number; pct1: number; pct2: number; padj: number }

/** R's make.unique(names): later duplicates get '.1', '.2', ... (skipping names already taken). */
function makeUniqueR(names: readonly string[]): string[] {
  const seen = new Set(names);
  const count = new Map<string, number>();
  const used = new Set<string>();
  return names.map((n) => {
    if (!used.has(n)) {
      used.add(n);
      return n;
    }
    let k = count.get(n) ?? 0;
    let cand: string;
    do cand = `${n}.${++k}`; while (seen.has(cand) || used.has(cand));
    count.set(n, k);
    used.add(cand);
    return cand;
  });
}

function readSeuratMarkers(): SeuratRow[] {
  const lines = readFileSync(sharedReference('pbmc3k-seurat', 'markers.csv'), 'utf8').trim().split('\n');
  return lines.slice(1).map((l) => {
    const f = l.split(',').map((s) => s.replace(/"/g, ''));
    return { cluster: Number(f[0]), gene: f[1], p: Number(f[2]), fc: Number(f[3]), pct1: Number(f[4]), pct2: Number(f[5]), padj: Number(f[6]) };
  });
}

let X: CsrMatrix;
let codes: Int32Array;
let genes: string[];
let geneIds: string[];
let stats: MarkerStats;
let seurat: SeuratRow[];
const geneIndex = new Map<string, number>();

beforeAll(async () => {
  const ad = await read10xMtx(sharedData('pbmc3k'));
  const lines = readFileSync(sharedReference('pbmc3k-seurat', 'cells.csv'), 'utf8').trim().split('\n').slice(1);
  const pos = new Map(ad.obs.index.map((b, i) => [b, i]));
  const rows = Int32Array.from(lines.map((l) => pos.get(l.split(',')[0])!));
  codes = Int32Array.from(lines.map((l) => Number(l.split(',')[1])));
  // Genes detected in >= 3 of all 2,700 cells (CreateSeuratObject(min.cells = 3), before cell QC).
  const nCells = new Int32Array(ad.nVars);
  for (let k = 0; k < ad.X.indptr[ad.nObs]; k++) nCells[ad.X.indices[k]]++;
  const keep: number[] = [];
  for (let j = 0; j < ad.nVars; j++) if (nCells[j] >= 3) keep.push(j);
  const counts = subsetCols(subsetRows(ad.X, rows), keep);
  X = logNormalizeKernel(counts, totalSizeFactors(counts, 1e4));
  // Seurat's names: R make.unique over all 32,738 symbols, then the kept genes.
  const feats = gunzipSync(readFileSync(sharedData('pbmc3k', 'genes.tsv.gz'))).toString('utf8').trim().split('\n').map((l) => l.split('\t'));
  const rNames = makeUniqueR(feats.map((f) => f[1]));
  genes = keep.map((j) => rNames[j]);
  geneIds = keep.map((j) => feats[j][0]);
  genes.forEach((g, j) => geneIndex.set(g, j));
  stats = await computeMarkerStats(X, codes, 9);
  seurat = readSeuratMarkers();
}, 120_000);

describe('pbmc3k markers vs Seurat FindAllMarkers (wilcox)', () => {
  it('uses the same cells and genes as Seurat', () => {
    expect(X.nRows).toBe(2638);
    expect(X.nCols).toBe(13714);
    expect(seurat.length).toBe(4618);
    for (const r of seurat) expect(geneIndex.has(r.gene)).toBe(true);
  });

  it('matches p_val (1e-6 relative), avg_log2FC (1e-4), pct.1/pct.2 and p_val_adj for every reported gene', () => {
    let worstP = 0;
    let worstFc = 0;
    let worstAdj = 0;
    let pctMismatch = 0;
    let zeroP = 0;
    for (const r of seurat) {
      const o = r.cluster * stats.nGenes + geneIndex.get(r.gene)!;
      const p = stats.pval[o];
      if (r.p === 0) {
        // R's pnorm underflows to exactly 0 beyond z = 37.5193; so must we.
        expect(p).toBe(0);
        zeroP++;
      } else {
        worstP = Math.max(worstP, Math.abs(p / r.p - 1));
        worstAdj = Math.max(worstAdj, Math.abs(Math.min(1, p * stats.nGenes) / r.padj - 1));
      }
      worstFc = Math.max(worstFc, Math.abs(stats.log2fc[o] - r.fc));
      if (roundPct3(stats.pctIn[o]) !== r.pct1 || roundPct3(stats.pctOut[o]) !== r.pct2) pctMismatch++;
    }
    expect(worstP).toBeLessThan(1e-6);
    expect(worstAdj).toBeLessThan(1e-6);
    expect(worstFc).toBeLessThan(1e-4);
    // What we actually reach (see header): far inside the required tolerances.
    expect(worstP).toBeLessThan(1e-10);
    expect(worstFc).toBeLessThan(1e-6);
    expect(pctMismatch).toBe(0);
    expect(zeroP).toBeGreaterThan(0); // the data do exercise the underflow case
  });

  it('selects exactly Seurat\'s genes per cluster, in Seurat\'s order (p, then -log2FC)', () => {
    const table = topMarkers(stats, {
      groups: ['0', '1', '2', '3', '4', '5', '6', '7', '8'],
      genes,
      geneIds,
      nTop: Infinity,
      minPct: 0.1,
      logfcThreshold: 0.25,
      onlyPos: true,
      maxPval: 0.01,
    });
    expect(table.gene.length).toBe(seurat.length);
    let orderMismatch = 0;
    for (let r = 0; r < seurat.length; r++) {
      expect(table.cluster[r]).toBe(String(seurat[r].cluster));
      if (table.gene[r] !== seurat[r].gene) orderMismatch++;
    }
    // Same set per cluster regardless of order ...
    for (let c = 0; c < 9; c++) {
      const ours = table.gene.filter((_, r) => table.cluster[r] === String(c)).sort();
      const theirs = seurat.filter((r) => r.cluster === c).map((r) => r.gene).sort();
      expect(ours).toEqual(theirs);
    }
    // ... and the same order.
    expect(orderMismatch).toBe(0);
  });

  it('find_markers step: top-20 table equals Seurat\'s top 20 per cluster, identical for 1 and 2 threads', async () => {
    const obs = new Frame(Array.from({ length: X.nRows }, (_, i) => `c${i}`), [
      ['cluster', categoricalFrom(Array.from(codes, String), ['0', '1', '2', '3', '4', '5', '6', '7', '8'])],
    ]);
    const vars = new Frame(genes, [['gene_ids', { kind: 'string', values: geneIds }]]);
    const adata = new AnnDataLite({ X, obs, var: vars });
    const params = { onlyPos: true, nTop: 20 };
    const one = await findMarkers(adata, params, { threads: 1 });
    const two = await findMarkers(adata, params, { threads: 2 });
    const t1 = (one.uns.markers as unknown as { table: { cluster: string[]; gene: string[]; pval: Float64Array; auc: Float64Array } }).table;
    const t2 = (two.uns.markers as unknown as { table: { cluster: string[]; gene: string[]; pval: Float64Array; auc: Float64Array } }).table;
    expect(t2.gene).toEqual(t1.gene);
    expect(Array.from(t2.pval)).toEqual(Array.from(t1.pval));
    expect(Array.from(t2.auc)).toEqual(Array.from(t1.auc));
    const expected: string[] = [];
    for (let c = 0; c < 9; c++) expected.push(...seurat.filter((r) => r.cluster === c).slice(0, 20).map((r) => r.gene));
    expect(t1.gene).toEqual(expected);
  });
});
