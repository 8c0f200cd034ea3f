import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { formatTable, tableFormatFromPath, writeTable, type Table } from '../../../src/io/writeTable.js';
import { UsageError } from '../../../src/core/errors.js';
import { tempDir } from '../../helpers/paths.js';

const table: Table = {
  columns: [
    { name: 'gene', values: ['A', 'B,1', 'say "hi"'] },
    { name: 'score', values: Float64Array.of(0.1, NaN, -2.5e-12) },
    { name: 'f32', values: Float32Array.of(0.1, 1 / 3, 1e6) },
    { name: 'n', values: Int32Array.of(3, -1, 0) },
    { name: 'flag', values: Uint8Array.of(1, 0, 1) },
  ],
};

describe('formatTable', () => {
  it('writes CSV with RFC 4180 quoting, NA for NaN and shortest round-trip numbers', () => {
    // Float32 0.1 is 0.100000001490116..; its shortest float32 text is 0.1; 1/3 -> 0.33333334
    expect(formatTable(table, 'csv')).toBe(
      'gene,score,f32,n,flag\n' +
        'A,0.1,0.1,3,true\n' +
        '"B,1",NA,0.33333334,-1,false\n' +
        '"say ""hi""",-2.5e-12,1000000,0,true\n',
    );
  });

  it('writes TSV quoting only fields that need it', () => {
    expect(formatTable(table, 'tsv').split('\n')[2]).toBe('B,1\tNA\t0.33333334\t-1\tfalse');
  });

  it('writes JSON rows with null for NaN', () => {
    const rows = JSON.parse(formatTable(table, 'json')) as Record<string, unknown>[];
    expect(rows[1]).toEqual({ gene: 'B,1', score: null, f32: 0.33333334, n: -1, flag: false });
    expect(rows[0].score).toBe(0.1);
  });

  it('rejects columns of different lengths', () => {
    expect(() => formatTable({ columns: [{ name: 'a', values: ['x'] }, { name: 'b', values: Float64Array.of(1, 2) }] }, 'tsv')).toThrow(UsageError);
  });
});

describe('writeTable', () => {
  it('chooses the format from the extension', () => {
    expect(['x.tsv', 'x.csv', 'x.json', 'x.arrow', 'x.txt'].map(tableFormatFromPath)).toEqual(['tsv', 'csv', 'json', 'arrow', 'tsv']);
  });

  it('writes an Arrow IPC file that apache-arrow reads back with identical values and types', async () => {
    const path = join(tempDir(), 'table.arrow');
    await writeTable(path, table);
    const back = tableFromIPC(readFileSync(path));
    expect(back.numRows).toBe(3);
    expect(back.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['gene', 'Utf8'],
      ['score', 'Float64'],
      ['f32', 'Float64'],
      ['n', 'Int32'],
      ['flag', 'Bool'],
    ]);
    expect(back.getChild('gene')!.toArray()).toEqual(['A', 'B,1', 'say "hi"']);
    const score = back.getChild('score')!.toArray() as Float64Array;
    expect(score[0]).toBe(0.1);
    expect(Number.isNaN(score[1])).toBe(true);
    expect(score[2]).toBe(-2.5e-12);
    expect([...(back.getChild('f32')!.toArray() as Float64Array)]).toEqual([...Float32Array.of(0.1, 1 / 3, 1e6)]);
    expect([...(back.getChild('n')!.toArray() as Int32Array)]).toEqual([3, -1, 0]);
    expect([...back.getChild('flag')!]).toEqual([true, false, true]);
  });

  it('writes TSV atomically to a new folder', async () => {
    const path = join(tempDir(), 'sub', 't.tsv');
    await writeTable(path, { columns: [{ name: 'a', values: Float64Array.of(1.5) }] });
    expect(readFileSync(path, 'utf8')).toBe('a\n1.5\n');
  });
});
