import { describe, expect, it } from 'vitest';
import { readDelimitedMatrix } from '../../../src/io/readDelimitedMatrix.js';
import { readRecords } from '../../../src/io/readRecords.js';
import { InputError } from '../../../src/core/errors.js';
import { checkCompressed, toDenseArray } from '../../../src/core/sparse.js';
import { fixture } from '../../helpers/paths.js';

describe('readDelimitedMatrix', () => {
  it.each(['genes_by_cells.csv', 'genes_by_cells.csv.gz'])('reads %s genes x cells with quoted names into cells x genes', async (name) => {
    const a = await readDelimitedMatrix(fixture('tiny', 'csv', name));
    // file rows G1 [1,0,2], "G,2" [0,0,3], G3 [4,5,0] -> cells c1 [1,0,4], c2 [0,0,5], c"3 [2,3,0]
    expect(a.obsNames).toEqual(['c1', 'c2', 'c"3']);
    expect(a.varNames).toEqual(['G1', 'G,2', 'G3']);
    expect([...toDenseArray(a.X)]).toEqual([1, 0, 4, 0, 0, 5, 2, 3, 0]);
    expect(checkCompressed(a.X)).toBeNull();
    expect(a.layers.counts).toBe(a.X);
  });

  it('reads cells as rows from a TSV without a corner cell and makes gene names unique', async () => {
    const a = await readDelimitedMatrix(fixture('tiny', 'csv', 'cells_by_genes.tsv'), { cellsAsRows: true });
    expect(a.obsNames).toEqual(['c1', 'c2']);
    expect(a.varNames).toEqual(['G1', 'G2', 'G1-1']);
    expect([...toDenseArray(a.X)]).toEqual([1, 0, 2.5, 0, 7, 0]);
  });

  it.each([
    ['bad_value.csv', /bad_value\.csv line 3, column 3 \('c2'\): expected a non-negative number, got 'x'/],
    ['negative_value.csv', /negative_value\.csv line 2, column 3 \('c2'\): expected a non-negative number, got '-1'/],
    ['ragged.csv', /ragged\.csv line 3: expected 3 fields like the first data row, got 2/],
    ['unclosed_quote.csv', /unclosed_quote\.csv line 2: expected a closing quote, got end of file/],
  ])('rejects %s with an InputError naming line and column', async (name, pattern) => {
    const err = await readDelimitedMatrix(fixture('tiny', 'csv', name)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(pattern);
  });
});

describe('readRecords', () => {
  it('joins a quoted field across lines and reports the starting line', async () => {
    const recs: { fields: string[]; line: number }[] = [];
    for await (const r of readRecords(fixture('tiny', 'lots', 'samples.csv'))) recs.push(r);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(recs[1].fields[6]).toBe('first, lot');
  });
});
