import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadLots } from '../../../src/io/loadLots.js';
import { readSampleSheet } from '../../../src/io/readSampleSheet.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMatrix } from '../../../src/io/readMatrix.js';
import { makeNamesUnique } from '../../../src/io/makeNamesUnique.js';
import { writeH5ad } from '../../../src/io/writeH5ad.js';
import { writeDelimitedMatrix } from '../../../src/io/writeDelimitedMatrix.js';
import { checkCompressed, nnzOf, toDenseArray, type CsrMatrix } from '../../../src/core/sparse.js';
import { columnStrings, type Column } from '../../../src/core/frame.js';
import { fixture, sharedData, tempDir } from '../../helpers/paths.js';
import { inputError } from '../../helpers/expectInputError.js';

/** A pino logger that collects records in memory. */
function memoryLogger(): { log: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, records };
}

const numeric = (c: Column | undefined): number[] => (c && c.kind === 'numeric' ? [...c.values] : []);

describe('loadLots', () => {
  it('unions genes by feature ID across lots and prefixes cell IDs with the lot', async () => {
    const sheet = await readSampleSheet(fixture('tiny', 'lots', 'samples.csv'));
    const { log, records } = memoryLogger();
    const { adata, matchedBy, genesNotShared, lots } = await loadLots(sheet, { join: 'union' }, log);
    expect(matchedBy).toBe('gene_ids');
    expect(genesNotShared).toBe(3); // ID1, ID4 only in A; ID5 only in B
    expect(lots.map((l) => [l.lot, l.nObs, l.nVars])).toEqual([['A', 2, 4], ['B', 3, 3]]);
    expect(adata.varNames).toEqual(['G1', 'G2', 'G3', 'G4', 'G5']);
    expect(columnStrings(adata.var.require('gene_ids'))).toEqual(['ID1', 'ID2', 'ID3', 'ID4', 'ID5']);
    expect(adata.obsNames).toEqual(['A:a1', 'A:a2', 'B:b1', 'B:b2', 'B:b3']);
    // A: a1 = ID1 1, ID2 2, ID4 5; a2 = ID2 3, ID3 4. B: b1 = ID2 1, ID5 7; b2 = ID3 2, ID2 1; b3 = ID5 1
    expect([...toDenseArray(adata.X)]).toEqual([
      1, 2, 0, 5, 0,
      0, 3, 4, 0, 0,
      0, 1, 0, 0, 7,
      0, 1, 2, 0, 0,
      0, 0, 0, 0, 1,
    ]);
    expect(checkCompressed(adata.X)).toBeNull();
    expect(adata.layers.counts).toBe(adata.X);
    const lot = adata.obs.require('lot');
    expect(lot.kind === 'categorical' && lot.categories).toEqual(['A', 'B']);
    expect(columnStrings(lot)).toEqual(['A', 'A', 'B', 'B', 'B']);
    expect(columnStrings(adata.obs.require('barcode'))).toEqual(['a1', 'a2', 'b1', 'b2', 'b3']);
    expect(columnStrings(adata.obs.require('condition'))).toEqual(['ctrl', 'ctrl', 'stim', 'stim', 'stim']);
    expect(adata.obs.require('source').kind).toBe('categorical');
    expect(numeric(adata.obs.get('potency'))).toEqual([0.5, 0.5, NaN, NaN, NaN]);
    expect(numeric(adata.obs.get('viability'))).toEqual([90, 90, 85, 85, 85]);
    expect(columnStrings(adata.obs.require('notes'))).toEqual(['first, lot', 'first, lot', 'second', 'second', 'second']);
    const warn = records.find((r) => r.level === 40);
    expect(warn?.genesNotShared).toBe(3);
  });

  it('keeps only shared genes on intersection, in the first lot order, re-sorting the other lot', async () => {
    const sheet = await readSampleSheet(fixture('tiny', 'lots', 'samples.csv'));
    const { adata } = await loadLots(sheet, { join: 'intersection' });
    expect(adata.varNames).toEqual(['G2', 'G3']);
    expect([...toDenseArray(adata.X)]).toEqual([2, 0, 3, 4, 1, 0, 1, 2, 0, 0]);
    expect(checkCompressed(adata.X)).toBeNull();
  });

  it('falls back to symbols when a lot has no feature IDs', async () => {
    const sheet = await readSampleSheet(fixture('tiny', 'lots', 'samples_symbols.tsv'));
    const union = await loadLots(sheet, { join: 'union' });
    expect(union.matchedBy).toBe('var_names');
    expect(union.adata.varNames).toEqual(['G1', 'G2', 'G3', 'G4', 'G6']);
    expect(union.genesNotShared).toBe(4);
    const inter = await loadLots(sheet, { join: 'intersection' });
    expect(inter.adata.varNames).toEqual(['G2']);
    // G2 counts: a1 2, a2 3, x1 3, x2 0
    expect([...toDenseArray(inter.adata.X)]).toEqual([2, 3, 3, 0]);
    expect(inter.adata.obsNames).toEqual(['A:a1', 'A:a2', 'C:x1', 'C:x2']);
  });
});

/**
 * The straightforward merge, as loadLots did it before merging in place: read every lot, match
 * genes by ID (all lots have IDs) or symbol, first-seen order, and stack the rows with each row's
 * entries sorted by merged column. Independent of the in-place code it checks.
 */
async function referenceMerge(paths: readonly string[], join: 'union' | 'intersection'): Promise<{ X: CsrMatrix; genes: string[] }> {
  const lots = [];
  for (const p of paths) lots.push((await readMatrix(p)).adata);
  const byId = lots.every((a) => a.var.get('gene_ids') !== undefined);
  const keys = lots.map((a) => (byId ? makeNamesUnique(columnStrings(a.var.require('gene_ids'))) : [...a.varNames]));
  const order: string[] = [];
  const seen = new Map<string, number>();
  for (const kk of keys) {
    for (const k of kk) {
      const c = seen.get(k);
      if (c === undefined) order.push(k);
      seen.set(k, (c ?? 0) + 1);
    }
  }
  const kept = order.filter((k) => join === 'union' || seen.get(k) === lots.length);
  const column = new Map(kept.map((k, j) => [k, j]));
  const indptr: number[] = [0];
  const indices: number[] = [];
  const data: number[] = [];
  lots.forEach((a, l) => {
    const m = a.layers.counts ?? a.X;
    for (let i = 0; i < m.nRows; i++) {
      const row: [number, number][] = [];
      for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
        const j = column.get(keys[l][m.indices[k]]);
        if (j !== undefined) row.push([j, m.data[k]]);
      }
      row.sort((x, y) => x[0] - y[0]);
      for (const [j, v] of row) {
        indices.push(j);
        data.push(v);
      }
      indptr.push(indices.length);
    }
  });
  const X: CsrMatrix = { format: 'csr', nRows: indptr.length - 1, nCols: kept.length, indptr: Uint32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
  return { X, genes: kept };
}

/** Writes a sample sheet naming `paths` as lots L1, L2, ... and returns it read back. */
async function sheetOf(dir: string, name: string, paths: readonly string[]): ReturnType<typeof readSampleSheet> {
  const file = join(dir, name);
  writeFileSync(file, ['lot,path', ...paths.map((p, l) => `L${l + 1},${p}`)].join('\n') + '\n');
  return readSampleSheet(file);
}

/** First position where two arrays differ (-1 when equal; the shorter length when one is a prefix). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let t = 0; t < n; t++) if (a[t] !== b[t]) return t;
  return a.length === b.length ? -1 : n;
}

/** Asserts that `X` has exactly the arrays of the reference merge (a plain loop: millions of entries). */
function expectSameCsr(X: CsrMatrix, ref: CsrMatrix, where: string): void {
  expect(checkCompressed(X), where).toBeNull();
  expect([X.nRows, X.nCols, X.indices.length], where).toEqual([ref.nRows, ref.nCols, ref.indices.length]);
  expect(firstDiff(X.indptr, ref.indptr), `${where} indptr`).toBe(-1);
  expect(firstDiff(X.indices, ref.indices), `${where} indices`).toBe(-1);
  expect(firstDiff(X.data, ref.data), `${where} data`).toBe(-1);
}

describe('loadLots merges in place exactly as reading, remapping and stacking each lot', () => {
  const v3Mtx = sharedData('10x_formats', 'v3_mtx');
  const v2Mtx = sharedData('10x_formats', 'v2_mtx');
  const v3H5 = sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5');
  const v2H5 = sharedData('10x_formats', 'v2_h5', 'filtered_gene_bc_matrices_h5.h5');

  it('gives the reference matrix on the 11-lot fixture cohort, filling the preallocated arrays exactly', async () => {
    const sheet = await readSampleSheet(fixture('lots', 'samples.csv'));
    const { adata } = await loadLots(sheet);
    const ref = await referenceMerge(sheet.lots.map((l) => l.path), 'union');
    expectSameCsr(adata.X, ref.X, 'fixtures/lots');
    expect(adata.varNames.length).toBe(ref.genes.length);
    // Header counts were exact: the merged arrays are the ones allocated up front, not views or trims.
    expect(adata.X.indices.buffer.byteLength).toBe(nnzOf(adata.X) * 4);
    expect(adata.X.data.buffer.byteLength).toBe(nnzOf(adata.X) * 4);
  });

  it('matches the reference for mixed formats, a gene-permuted h5ad lot (rows re-sorted) and a dense CSV lot (buffer growth)', async () => {
    const dir = tempDir();
    // v3 data with genes in reverse order, as h5ad: its columns map decreasingly, so every row is re-sorted.
    const v3 = (await readMatrix(v3Mtx)).adata;
    const reversed = Int32Array.from({ length: v3.nVars }, (_, j) => v3.nVars - 1 - j);
    const h5adPath = join(dir, 'reversed.h5ad');
    await writeH5ad(h5adPath, v3.subsetObs(Int32Array.from({ length: 200 }, (_, i) => i * 5)).subsetVars(reversed));
    // 40 cells as a dense table: no header count, so the merged arrays must grow to take it.
    const csvPath = join(dir, 'dense.csv');
    await writeDelimitedMatrix(csvPath, v3.subsetObs(Int32Array.from({ length: 40 }, (_, i) => 3 * i + 1)));
    // v2 (hg19, symbols as IDs) shares no feature ID with v3, so by ID only the union is possible.
    const cases = [
      { name: 'by_id.csv', paths: [v3Mtx, v2Mtx, h5adPath, v3H5, v2H5], joins: ['union'], matchedBy: 'gene_ids' },
      { name: 'by_id_shared.csv', paths: [v3Mtx, h5adPath, v3H5], joins: ['union', 'intersection'], matchedBy: 'gene_ids' },
      { name: 'by_symbol.csv', paths: [v2Mtx, csvPath, v3Mtx, h5adPath], joins: ['union', 'intersection'], matchedBy: 'var_names' },
    ] as const;
    for (const { name, paths, joins, matchedBy: expectedMatch } of cases) {
      const sheet = await sheetOf(dir, name, paths);
      for (const join of joins) {
        const { adata, matchedBy } = await loadLots(sheet, { join });
        expect(matchedBy).toBe(expectedMatch);
        const ref = await referenceMerge(paths, join);
        const where = `${name} ${join}`;
        expectSameCsr(adata.X, ref.X, where);
        const ids = adata.var.get('gene_ids');
        expect(ids ? columnStrings(ids) : [...adata.varNames], where).toEqual(ref.genes);
      }
    }
  });

  it('an intersection that drops most entries trims the merged arrays to the kept ones', async () => {
    const dir = tempDir();
    // A dense lot with only 20 of the 507 genes: the intersection keeps those 20 genes of the MTX lot.
    const v3 = (await readMatrix(v3Mtx)).adata;
    const csvPath = join(dir, 'few_genes.csv');
    const few = Int32Array.from({ length: 20 }, (_, j) => 10 * j);
    await writeDelimitedMatrix(csvPath, v3.subsetObs(Int32Array.from({ length: 30 }, (_, i) => i)).subsetVars(few));
    const paths = [v3Mtx, csvPath];
    const { adata } = await loadLots(await sheetOf(dir, 'few.csv', paths), { join: 'intersection' });
    const ref = await referenceMerge(paths, 'intersection');
    expect(ref.genes.length).toBe(20);
    expect(nnzOf(adata.X) * 8).toBeLessThan(nnzOf(v3.X));
    expectSameCsr(adata.X, ref.X, 'intersection');
    // Most entries were dropped: the result owns right-sized arrays rather than views of the big ones.
    expect(adata.X.data.buffer.byteLength).toBe(nnzOf(adata.X) * 4);
    expect(adata.X.indices.buffer.byteLength).toBe(nnzOf(adata.X) * 4);
  });
});

describe('loadLots with threads: lots read in worker threads, written into the merged arrays', () => {
  const v3Mtx = sharedData('10x_formats', 'v3_mtx');
  const v3H5 = sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5');

  it('gives the same matrix, tables and lot summaries as reading the lots in turn (11-lot fixture cohort)', async () => {
    const sheet = await readSampleSheet(fixture('lots', 'samples.csv'));
    const one = await loadLots(sheet);
    const two = await loadLots(sheet, { threads: 2 });
    expectSameCsr(two.adata.X, one.adata.X, 'threads 2');
    expect(two.adata.X.indices.buffer.byteLength).toBe(nnzOf(two.adata.X) * 4);
    expect(two.adata.obsNames).toEqual(one.adata.obsNames);
    expect(two.adata.varNames).toEqual(one.adata.varNames);
    expect(two.adata.obs.columnNames).toEqual(one.adata.obs.columnNames);
    expect(columnStrings(two.adata.var.require('gene_ids'))).toEqual(columnStrings(one.adata.var.require('gene_ids')));
    expect(two.lots).toEqual(one.lots);
    expect(two.adata.obs.require('vegf_hypoxia')).toEqual(one.adata.obs.require('vegf_hypoxia'));
  });

  it('matches the reference merge for MTX, a gene-permuted h5ad and 10x HDF5 lots, union and intersection', async () => {
    const dir = tempDir();
    const v3 = (await readMatrix(v3Mtx)).adata;
    const reversed = Int32Array.from({ length: v3.nVars }, (_, j) => v3.nVars - 1 - j);
    const h5adPath = join(dir, 'reversed.h5ad');
    await writeH5ad(h5adPath, v3.subsetObs(Int32Array.from({ length: 200 }, (_, i) => i * 5)).subsetVars(reversed));
    const paths = [v3Mtx, h5adPath, v3H5, v3Mtx];
    const sheet = await sheetOf(dir, 'mixed.csv', paths);
    for (const join of ['union', 'intersection'] as const) {
      const { adata } = await loadLots(sheet, { join, threads: 2 });
      const ref = await referenceMerge(paths, join);
      expectSameCsr(adata.X, ref.X, `threads 2 ${join}`);
      expect(columnStrings(adata.var.require('gene_ids'))).toEqual(ref.genes);
    }
  });

  it("replays the readers' warnings from the workers and reports a bad lot by name as an InputError", async () => {
    const dir = tempDir();
    const mixed = fixture('tiny', 'h5', 'tenx_v3_mixed_features.h5');
    const { log, records } = memoryLogger();
    const { adata } = await loadLots(await sheetOf(dir, 'warn.csv', [mixed, mixed]), { threads: 2 }, log);
    // The header count includes the dropped feature's entries: lot 2 moves down over the gap.
    expectSameCsr(adata.X, (await referenceMerge([mixed, mixed], 'union')).X, 'mixed features');
    expect(nnzOf(adata.X)).toBe(4);
    const warnings = records.filter((r) => r.level === 40).map((r) => r.msg);
    expect(warnings).toEqual(["dropped 1 features that are not 'Gene Expression'", "dropped 1 features that are not 'Gene Expression'"]);
    const bad = fixture('tiny', 'bad_mtx', 'value_negative');
    const badSheet = await sheetOf(dir, 'bad.csv', [v3Mtx, bad]);
    const e = await inputError(() => loadLots(badSheet, { threads: 2 }));
    expect(e.message).toMatch(/^lot 'L2': .*matrix\.mtx(\.gz)? line \d+: field 3 \(value\): expected a non-negative count, got -\d+$/);
  });
});
