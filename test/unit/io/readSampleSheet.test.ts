import { describe, expect, it } from 'vitest';
import { readSampleSheet } from '../../../src/io/readSampleSheet.js';
import { InputError } from '../../../src/core/errors.js';
import { fixture } from '../../helpers/paths.js';

describe('readSampleSheet', () => {
  it('reads lots with absolute paths, condition, source, numeric readouts (empty = null) and text extras', async () => {
    const s = await readSampleSheet(fixture('tiny', 'lots', 'samples.csv'));
    expect(s.lots.map((l) => l.lot)).toEqual(['A', 'B']);
    expect(s.lots[0].path).toBe(fixture('tiny', 'lots', 'lotA'));
    expect(s.lots[1].condition).toBe('stim');
    expect(s.lots[0].source).toBe('donor1');
    expect(s.readoutNames).toEqual(['potency', 'viability']);
    expect(s.lots[0].readouts).toEqual({ potency: 0.5, viability: 90 });
    expect(s.lots[1].readouts).toEqual({ potency: null, viability: 85 });
    expect(s.lots[0].extra).toEqual({ notes: 'first, lot' });
    expect(s.extraNames).toEqual(['notes']);
  });

  it('sniffs TSV and treats NA as a missing readout', async () => {
    const s = await readSampleSheet(fixture('tiny', 'lots', 'samples_symbols.tsv'));
    expect(s.lots.map((l) => [l.lot, l.readouts.potency])).toEqual([['A', 1.5], ['C', null]]);
    expect(s.lots[0].condition).toBeUndefined();
  });

  it('reads a spreadsheet export with a byte-order mark and CRLF line ends', async () => {
    const s = await readSampleSheet(fixture('tiny', 'lots', 'samples_excel.csv'));
    expect(s.lots.map((l) => [l.lot, l.readouts.potency])).toEqual([['A', 0.5], ['B', 0.25]]);
  });

  it.each([
    ['dup_lots.csv', /dup_lots\.csv line 3, column 'lot': expected unique lot IDs, got 'A' again \(first on line 2\)/],
    ['missing_path.csv', /missing_path\.csv line 3, column 'path': expected an existing file or folder for lot 'B', got 'nowhere'/],
    ['nonnumeric_readout.csv', /nonnumeric_readout\.csv line 3, column 'potency': expected a number or an empty cell \(readout\), got 'high'/],
    ['no_path_column.csv', /no_path_column\.csv line 1: expected columns 'lot' and 'path', missing 'path'/],
    ['ragged.csv', /ragged\.csv line 2: expected 3 fields as in the header, got 2/],
  ])('rejects %s naming file, line and column', async (name, pattern) => {
    const err = await readSampleSheet(fixture('tiny', 'lots', name)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(pattern);
  });
});
