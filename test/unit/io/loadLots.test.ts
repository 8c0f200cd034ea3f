import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadLots } from '../../../src/io/loadLots.js';
import { readSampleSheet } from '../../../src/io/readSampleSheet.js';
import { checkCompressed, toDenseArray } from '../../../src/core/sparse.js';
import { columnStrings, type Column } from '../../../src/core/frame.js';
import { fixture } from '../../helpers/paths.js';

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
