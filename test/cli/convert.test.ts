import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { main } from '../../src/cli/main.js';
import { captureCliOutput } from '../helpers/cliOutput.js';
import { readMatrix } from '../../src/io/readMatrix.js';
import { toDenseArray } from '../../src/core/sparse.js';
import { fixture, tempDir } from '../helpers/paths.js';

const io = captureCliOutput();

const SRC = fixture('tiny', 'v3_mtx');

describe('cqamine convert', () => {
  it.each([
    ['counts.h5ad', 'h5ad'],
    ['counts.h5', '10x-h5'],
    ['mtx_out', '10x-mtx'],
    ['counts.csv.gz', 'csv'],
    ['counts.tsv', 'tsv'],
  ])('writes %s (%s) that reads back with the same counts, barcodes and genes', async (name, format) => {
    const dest = join(tempDir(), name);
    const code = await main(['--quiet', 'convert', SRC, dest, '--json']);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(io.out) as { to: string; n_cells: number; n_genes: number };
    expect(summary).toMatchObject({ to: format, n_cells: 40, n_genes: 50 });
    const a = (await readMatrix(SRC)).adata;
    const b = await readMatrix(dest);
    expect(b.format).toBe(format);
    expect(b.adata.obsNames).toEqual(a.obsNames);
    expect(b.adata.varNames).toEqual(a.varNames);
    const bx = b.adata.layers.counts ?? b.adata.X;
    expect([...toDenseArray(bx)]).toEqual([...toDenseArray(a.X)]);
  });

  it('writes dense CSV genes x cells with an empty corner cell, gzipped by extension', async () => {
    const dest = join(tempDir(), 'small.csv.gz');
    expect(await main(['--quiet', 'convert', fixture('tiny', 'csv', 'genes_by_cells.csv'), dest])).toBe(0);
    const text = gunzipSync(readFileSync(dest)).toString('utf8');
    expect(text).toBe(',c1,c2,"c""3"\nG1,1,0,2\n"G,2",0,0,3\nG3,4,5,0\n');
    expect(io.out).toMatch(/^converted .* \(csv\) to .*small\.csv\.gz \(csv\): 3 cells x 3 genes/);
  });

  it('writes cells as rows with --write-cells-as-rows and --to tsv', async () => {
    const dest = join(tempDir(), 'cells.txt');
    expect(await main(['--quiet', 'convert', fixture('tiny', 'csv', 'genes_by_cells.csv'), dest, '--to', 'tsv', '--write-cells-as-rows'])).toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe('\tG1\tG,2\tG3\nc1\t1\t0\t4\nc2\t0\t0\t5\n"c""3"\t2\t3\t0\n');
  });

  it('exits 2 for an output name with an unknown extension and writes nothing', async () => {
    const dest = join(tempDir(), 'counts.xyz');
    expect(await main(['--quiet', 'convert', SRC, dest])).toBe(2);
    expect(io.err).toMatch(/cannot tell the output format from '.*counts\.xyz'/);
    expect(existsSync(dest)).toBe(false);
  });

  it('exits 3 for a malformed input and leaves no output behind', async () => {
    const dest = join(tempDir(), 'x.h5ad');
    expect(await main(['--quiet', 'convert', fixture('tiny', 'bad_mtx', 'value_negative'), dest])).toBe(3);
    expect(io.err).toMatch(/field 3 \(value\): expected a non-negative count, got -2/);
    expect(existsSync(dest)).toBe(false);
  });
});

it('reads cells-as-rows input with --cells-as-rows', async () => {
  const dest = join(tempDir(), 'back.csv');
  expect(await main(['--quiet', 'convert', fixture('tiny', 'csv', 'cells_by_genes.tsv'), dest, '--cells-as-rows'])).toBe(0);
  // cells c1 [1, 0, 2.5], c2 [0, 7, 0] over genes G1, G2, G1-1; written genes x cells
  expect(readFileSync(dest, 'utf8')).toBe(',c1,c2\nG1,1,0\nG2,0,7\nG1-1,2.5,0\n');
});
