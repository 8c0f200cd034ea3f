/**
 * Multi-lot loading at realistic sizes: the simulated 11-lot cohort in fixtures/lots and a
 * 120,000-cell stack of 12 copies of mouse_brain_10k_subset (linear-time merge check by size).
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLots } from '../../src/io/loadLots.js';
import { readSampleSheet } from '../../src/io/readSampleSheet.js';
import { readMatrix } from '../../src/io/readMatrix.js';
import { checkCompressed } from '../../src/core/sparse.js';
import { columnStrings } from '../../src/core/frame.js';
import { fixture, sharedData, tempDir } from '../helpers/paths.js';

describe('loadLots on the simulated cohort (fixtures/lots)', () => {
  it('stacks every lot with lot-prefixed cell IDs and per-lot readouts', async () => {
    const sheet = await readSampleSheet(fixture('lots', 'samples.csv'));
    const { adata, lots, matchedBy } = await loadLots(sheet, { join: 'union' });
    expect(lots.length).toBe(sheet.lots.length);
    expect(matchedBy).toBe('gene_ids');
    expect(adata.nObs).toBe(lots.reduce((s, l) => s + l.nObs, 0));
    expect(checkCompressed(adata.X)).toBeNull();
    // Every lot's cells keep their counts: compare the first lot's total with a direct read.
    const first = (await readMatrix(sheet.lots[0].path)).adata;
    const direct = first.layers.counts ?? first.X;
    let a = 0;
    let b = 0;
    for (let k = 0; k < direct.data.length; k++) a += direct.data[k];
    for (let k = 0; k < adata.X.indptr[first.nObs]; k++) b += adata.X.data[k];
    expect(b).toBe(a);
    const lot = columnStrings(adata.obs.require('lot'));
    expect(lot[0]).toBe(sheet.lots[0].lot);
    expect(adata.obsNames[0]).toBe(`${sheet.lots[0].lot}:${first.obsNames[0]}`);
    expect(sheet.readoutNames.length).toBeGreaterThan(0);
    const readout = adata.obs.require(sheet.readoutNames[0]);
    expect(readout.kind === 'numeric' && readout.values[0]).toBe(sheet.lots[0].readouts[sheet.readoutNames[0]]);
  });
});

describe('loadLots at 120,000 cells', () => {
  it('merges 12 lots of 10,000 cells (nnz 8,302,968) with every gene shared', async () => {
    const dir = tempDir();
    const rows = ['lot,path,potency'];
    for (let l = 1; l <= 12; l++) rows.push(`L${l},${sharedData('mouse_brain_10k_subset')},${l / 10}`);
    writeFileSync(join(dir, 'sheet.csv'), rows.join('\n') + '\n');
    const sheet = await readSampleSheet(join(dir, 'sheet.csv'));
    const { adata, genesNotShared } = await loadLots(sheet, { join: 'intersection' });
    expect([adata.nObs, adata.nVars]).toEqual([120000, 1000]);
    expect(adata.X.indptr[adata.nObs]).toBe(12 * 691914);
    expect(genesNotShared).toBe(0);
    expect(adata.obsNames[119999].startsWith('L12:')).toBe(true);
    const pot = adata.obs.require('potency');
    expect(pot.kind === 'numeric' && pot.values[119999]).toBeCloseTo(1.2, 12);
  });
});

describe('loadLots with h5ad lots', () => {
  it('keeps the cell-level obs columns the files carry (kang2018 condition: ctrl 1000 / stim 1000 per copy)', async () => {
    const dir = tempDir();
    const kang = sharedData('kang2018_ifnb_2000cells', 'kang2018_ifnb_2000cells.h5ad');
    writeFileSync(join(dir, 'sheet.tsv'), `lot\tpath\tpotency\nK1\t${kang}\t1\nK2\t${kang}\t2\n`);
    const { adata, lots } = await loadLots(await readSampleSheet(join(dir, 'sheet.tsv')));
    expect(lots.map((l) => l.countsSource)).toEqual(['X', 'X']);
    expect([adata.nObs, adata.nVars]).toEqual([4000, 9015]);
    const cond = columnStrings(adata.obs.require('condition'));
    expect(cond.filter((c) => c === 'ctrl').length).toBe(2000);
    expect(cond.filter((c) => c === 'stim').length).toBe(2000);
    let sum = 0;
    for (let k = 0; k < adata.X.data.length; k++) sum += adata.X.data[k];
    expect(sum).toBe(2 * (1475025 + 1606802));
  });
});
