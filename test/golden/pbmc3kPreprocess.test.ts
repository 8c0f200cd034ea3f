/**
 * pbmc3k through QC, normalization, HVGs, scaling and PCA with the Seurat tutorial settings,
 * compared with Seurat 4.3.0's outputs in ../shared/reference/pbmc3k-seurat.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnnDataLite } from '../../src/core/adata.js';
import { read10xMtx } from '../../src/io/read10xMtx.js';
import { computeQcMetrics } from '../../src/qc/computeQcMetrics.js';
import { filterCells } from '../../src/qc/filterCells.js';
import { filterGenes } from '../../src/qc/filterGenes.js';
import { logNormalize } from '../../src/normalize/logNormalize.js';
import { selectHvgs } from '../../src/reduce/selectHvgs.js';
import { scaleData } from '../../src/reduce/scaleData.js';
import { runPca } from '../../src/reduce/runPca.js';
import { createRng } from '../../src/core/rng.js';
import { denseColumn } from '../../src/core/dense.js';
import { pearson } from '../helpers/compare.js';
import { sharedData, sharedReference } from '../helpers/paths.js';

const ref = (f: string): string => readFileSync(sharedReference('pbmc3k-seurat', f), 'utf8');

/**
 * Seurat's make.unique gives 'A.1' where anndata's gives 'A-1', and Seurat replaces '_' by '-' in
 * feature names ('Y_RNA' -> 'Y-RNA'). Map ours to Seurat's spelling.
 */
function toSeuratName(name: string, original: Set<string>): string {
  const m = /^(.*)-(\d+)$/.exec(name);
  const base = m && original.has(m[1]) ? `${m[1]}.${m[2]}` : name;
  return base.replace(/_/g, '-');
}

describe('pbmc3k preprocessing vs Seurat 4.3', () => {
  let qc: AnnDataLite;
  let hvg: AnnDataLite;
  let pca: AnnDataLite;
  const refCells = ref('cells.csv').trim().split('\n').slice(1).map((l) => l.split(','));

  beforeAll(async () => {
    const raw = await read10xMtx(sharedData('pbmc3k'));
    // CreateSeuratObject(min.features = 200): n_genes >= 200 on all genes, i.e. > 199.
    let a = await computeQcMetrics(raw, { mitoPrefixes: ['MT-'] });
    a = await filterCells(a, { minGenes: 199, nmads: null });
    // min.cells = 3, then the tutorial's subset on metrics recomputed over the kept genes.
    a = await filterGenes(a, { minCells: 3 });
    a = await computeQcMetrics(a, { mitoPrefixes: ['MT-'] });
    qc = await filterCells(a, { minGenes: 200, maxGenes: 2500, maxPctMito: 5, nmads: null });
    const norm = await logNormalize(qc, {});
    hvg = await selectHvgs(norm, { flavor: 'vst', nTopGenes: 2000 });
    pca = await runPca(await scaleData(hvg, {}), { nComps: 50, method: 'randomized' }, { rng: createRng(42) });
  }, 600_000);

  it('keeps exactly Seurat\'s 2,638 cells and 13,714 genes', () => {
    expect(qc.nObs).toBe(2638);
    expect(qc.nVars).toBe(13714);
    expect([...qc.obsNames]).toEqual(refCells.map((r) => r[0]));
  });

  it('selects vst HVGs overlapping Seurat\'s 2,000 by at least 98%', () => {
    const original = new Set(hvg.varNames);
    const hv = hvg.var.require('highly_variable');
    if (hv.kind !== 'bool') throw new Error('highly_variable is not bool');
    const ours = new Set<string>();
    hvg.varNames.forEach((n, j) => { if (hv.values[j]) ours.add(toSeuratName(n, original)); });
    const theirs = ref('hvg.txt').trim().split('\n');
    let shared = 0;
    for (const g of theirs) if (ours.has(g)) shared++;
    console.log(`HVG overlap with Seurat: ${shared} / ${theirs.length}`);
    expect(ours.size).toBe(2000);
    // Measured: 1,999 / 2,000 with R's interpolating loess surface (1,998 with exact evaluation); the
    // one difference is a four-way tie of scores equal to 15 digits at ranks 1,998-2,001, which R
    // breaks by last-bit rounding.
    expect(shared / 2000).toBeGreaterThanOrEqual(0.98);
    // Rank order too: Seurat's list is in rank order.
    const rank = hvg.var.require('highly_variable_rank');
    if (rank.kind !== 'numeric') throw new Error('rank is not numeric');
    const ourRank = new Map<string, number>();
    hvg.varNames.forEach((n, j) => { if (!Number.isNaN(rank.values[j])) ourRank.set(toSeuratName(n, original), rank.values[j]); });
    let samePos = 0;
    theirs.forEach((g, t) => { if (ourRank.get(g) === t) samePos++; });
    console.log(`HVGs at the same rank as Seurat: ${samePos} / 2000`);
  });

  it('gives PC1-PC10 cell scores with |r| >= 0.99 vs Seurat for PC1-PC5', () => {
    const rs: number[] = [];
    for (let c = 0; c < 10; c++) {
      const ours = denseColumn(pca.obsm.X_pca, c);
      const theirs = refCells.map((r) => Number(r[4 + c]));
      rs.push(Math.abs(pearson(ours, theirs)));
    }
    console.log(`|r| PC1-PC10 vs Seurat: ${rs.map((r) => r.toFixed(4)).join(' ')}`);
    for (let c = 0; c < 5; c++) expect(rs[c]).toBeGreaterThanOrEqual(0.99);
  });

  it('has PC standard deviations close to Seurat\'s pca_sdev', () => {
    const sdev = ref('pca_sdev.txt').trim().split('\n').map(Number);
    const variance = (pca.uns.pca as { variance: Float64Array }).variance;
    const rel = Array.from({ length: 10 }, (_, c) => Math.abs(Math.sqrt(variance[c]) - sdev[c]) / sdev[c]);
    const rel50 = Array.from({ length: 50 }, (_, c) => Math.abs(Math.sqrt(variance[c]) - sdev[c]) / sdev[c]);
    console.log(`sdev rel. diff PC1-10: ${rel.map((r) => r.toExponential(2)).join(' ')}; max over 50: ${Math.max(...rel50).toExponential(2)}`);
    expect(Math.max(...rel.slice(0, 5))).toBeLessThan(0.01);
    expect(Math.max(...rel50)).toBeLessThan(0.05);
    expect(pca.obsm.X_pca.nCols).toBe(50);
    expect(pca.varm.PCs.nRows).toBe(13714);
  });
});
