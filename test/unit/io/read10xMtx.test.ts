import { describe, expect, it } from 'vitest';
import { read10xMtx, readMtxTransposed } from '../../../src/io/read10xMtx.js';
import { InputError } from '../../../src/core/errors.js';
import { checkCompressed, toDenseArray } from '../../../src/core/sparse.js';
import { columnStrings } from '../../../src/core/frame.js';
import { fixture, tempDir } from '../../helpers/paths.js';
import { createRng, shuffleInPlace } from '../../../src/core/rng.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('read10xMtx on tiny fixtures', () => {
  it('groups entries in any order by cell, sorts genes and sums a duplicate coordinate', async () => {
    const a = await read10xMtx(fixture('tiny', 'mtx_unsorted'));
    // genes x cells [[1,0,2],[3,0,0],[0,5,0],[1+3,0,6]] transposed to cells x genes
    expect(a.nObs).toBe(3);
    expect(a.nVars).toBe(4);
    expect([...toDenseArray(a.X)]).toEqual([1, 3, 0, 4, 0, 0, 5, 0, 2, 0, 0, 6]);
    expect(checkCompressed(a.X)).toBeNull();
    expect([...a.X.indptr]).toEqual([0, 3, 4, 6]);
    expect(a.layers.counts).toBe(a.X);
    expect(a.obsNames).toEqual(['c1', 'c2', 'c3']);
    // G1 appears twice: anndata's var_names_make_unique gives G1, G1-1
    expect(a.varNames).toEqual(['G1', 'G2', 'G3', 'G1-1']);
    expect(columnStrings(a.var.require('gene_ids'))).toEqual(['ID1', 'ID2', 'ID3', 'ID4']);
    expect(a.var.has('feature_types')).toBe(false);
  });

  it('uses gene IDs as var names on request and keeps symbols as a column', async () => {
    const a = await read10xMtx(fixture('tiny', 'mtx_unsorted'), { varNames: 'gene_ids' });
    expect(a.varNames).toEqual(['ID1', 'ID2', 'ID3', 'ID4']);
    expect(columnStrings(a.var.require('gene_symbols'))).toEqual(['G1', 'G2', 'G3', 'G1']);
  });

  it('reads real values, CRLF line ends and a last line without newline', async () => {
    const a = await read10xMtx(fixture('tiny', 'mtx_real'));
    // [[1.5, 0], [0.2, 0.25]] genes x cells -> cells x genes [[1.5, 0.2], [0, 0.25]]
    expect([...toDenseArray(a.X)].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1.5, 0.2, 0, 0.25]);
  });

  it('accepts tabs, repeated and trailing spaces, blank lines and leading zeros', async () => {
    const a = await read10xMtx(fixture('tiny', 'mtx_spacing'));
    // genes x cells [[3, 0], [1, 12]] -> cells x genes [[3, 1], [0, 12]]
    expect([...toDenseArray(a.X)]).toEqual([3, 1, 0, 12]);
  });

  it('reads the gzipped v3 fixture with feature types and MT- genes', async () => {
    const a = await read10xMtx(fixture('tiny', 'v3_mtx'));
    expect(a.nObs).toBe(40);
    expect(a.nVars).toBe(50);
    expect(a.varNames.slice(0, 2)).toEqual(['MT-CO1', 'MT-ND1']);
    expect(a.varNames[8]).toBe('DUPGENE-1');
    const ft = a.var.require('feature_types');
    expect(ft.kind).toBe('categorical');
    expect(new Set(columnStrings(ft))).toEqual(new Set(['Gene Expression']));
    expect(checkCompressed(a.X)).toBeNull();
  });
});

const bad = (name: string) => fixture('tiny', 'bad_mtx', name);

describe('read10xMtx rejects malformed input with a one-line InputError naming file and line', () => {
  it.each([
    ['empty', /matrix\.mtx: expected content, got an empty file/],
    ['no_header', /matrix\.mtx line 1: expected the header '%%MatrixMarket/],
    ['array_format', /line 1: expected format 'coordinate' \(sparse\), got 'array'/],
    ['complex_field', /line 1: expected field 'integer' or 'real', got 'complex'/],
    ['pattern_field', /line 1: expected field 'integer' or 'real', got 'pattern'/],
    ['symmetric', /line 1: expected symmetry 'general', got 'symmetric'/],
    ['fewer_entries', /expected 4 entries as declared on the size line, got 3/],
    ['more_entries', /matrix\.mtx line 5: expected 2 entries as declared on the size line, got more/],
    ['index_zero', /matrix\.mtx line 4: field 1 \(gene index\): expected an index in 1\.\.3, got 0/],
    ['index_past', /matrix\.mtx line 5: field 2 \(cell index\): expected an index in 1\.\.2, got 3/],
    ['index_text', /line 4: field 1 \(gene index\): expected a positive integer index, got 'x3'/],
    ['value_text', /line 4: field 3 \(value\): expected a non-negative number, got 'abc'/],
    ['value_negative', /line 4: field 3 \(value\): expected a non-negative count, got -2/],
    ['value_nan', /line 4: field 3 \(value\): expected a non-negative number, got NaN/],
    ['two_fields', /line 4: expected 3 fields \(gene cell value\), got 2/],
    ['missing_size', /expected the size line/],
    ['genes_rows', /genes\.tsv: expected 3 rows \(the rows of matrix\.mtx\), got 2/],
    ['barcodes_rows', /barcodes\.tsv: expected 2 rows \(the columns of matrix\.mtx\), got 3/],
    ['truncated_gzip', /matrix\.mtx\.gz: expected valid gzip data, got corrupt or truncated gzip/],
    ['corrupt_gzip', /matrix\.mtx\.gz: expected valid gzip data, got corrupt or truncated gzip/],
  ])('%s', async (name, pattern) => {
    const err = await read10xMtx(bad(name)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain('\n');
  });

  it('names what is missing in a folder without 10x files', async () => {
    await expect(read10xMtx(fixture('tiny'))).rejects.toThrow(/missing matrix\.mtx\(\.gz\), features\.tsv\(\.gz\) or genes\.tsv\(\.gz\), barcodes\.tsv\(\.gz\)/);
  });
});

describe('readMtxTransposed edge cases', () => {
  it('reads a matrix with no entries whose size line has no newline', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.mtx'), '%%MatrixMarket matrix coordinate integer general\n3 2 0');
    const { csr } = await readMtxTransposed(join(dir, 'm.mtx'));
    expect([csr.nRows, csr.nCols, csr.indptr[2]]).toEqual([2, 3, 0]);
  });

  it('names the size line when the file stops after the banner', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.mtx'), '%%MatrixMarket matrix coordinate integer general');
    await expect(readMtxTransposed(join(dir, 'm.mtx'))).rejects.toThrow(/m\.mtx line 2: expected the size line/);
  });
});

describe('readMtxTransposed chunk boundaries', () => {
  it('gives the same matrix for every chunk size from 1 to 40 bytes (plain text, CRLF, reals, irregular spacing)', async () => {
    for (const name of ['mtx_unsorted', 'mtx_real', 'mtx_spacing']) {
      const path = fixture('tiny', name, 'matrix.mtx');
      const whole = await readMtxTransposed(path);
      for (let size = 1; size <= 40; size++) {
        const part = await readMtxTransposed(path, size);
        expect([...toDenseArray(part.csr)], `${name} at chunk size ${size}`).toEqual([...toDenseArray(whole.csr)]);
      }
    }
  });

  it('reports the right line for an error after the fast path, with any chunk size', async () => {
    for (const size of [1, 5, 17, 1 << 20]) {
      await expect(readMtxTransposed(fixture('tiny', 'bad_mtx', 'value_text', 'matrix.mtx'), size)).rejects.toThrow(/line 4: field 3 \(value\)/);
    }
  });

  it('reads the gzipped v3 fixture identically with 64-byte chunks', async () => {
    const path = fixture('tiny', 'v3_mtx', 'matrix.mtx.gz');
    const a = await readMtxTransposed(path);
    const b = await readMtxTransposed(path, 64);
    expect(b.csr.indices).toEqual(a.csr.indices);
    expect(b.csr.data).toEqual(a.csr.data);
  });
});

describe('read10xMtx on shuffled entries', () => {
  it('matches a dense oracle for 300 genes x 7 cells written in a seeded random order (long rows sorted by key)', async () => {
    const rng = createRng(7);
    const nGenes = 300;
    const nCells = 7;
    const dense = new Float64Array(nCells * nGenes); // cells x genes oracle
    const lines: string[] = [];
    for (let i = 0; i < nCells; i++) {
      for (let j = 0; j < nGenes; j++) {
        // cell 0 is dense (300 > the insertion-sort cutoff), the others ~30% filled
        if (i === 0 || rng.next() < 0.3) {
          const v = 1 + rng.int(50);
          dense[i * nGenes + j] = v;
          lines.push(`${j + 1} ${i + 1} ${v}`);
        }
      }
    }
    const order = new Int32Array(lines.length).map((_, t) => t);
    shuffleInPlace(order, rng);
    const dir = tempDir();
    writeFileSync(join(dir, 'matrix.mtx'), `%%MatrixMarket matrix coordinate integer general\n${nGenes} ${nCells} ${lines.length}\n${Array.from(order, (t) => lines[t]).join('\n')}\n`);
    writeFileSync(join(dir, 'genes.tsv'), Array.from({ length: nGenes }, (_, j) => `ID${j}\tG${j}\n`).join(''));
    writeFileSync(join(dir, 'barcodes.tsv'), Array.from({ length: nCells }, (_, i) => `c${i}\n`).join(''));
    const a = await read10xMtx(dir);
    expect(checkCompressed(a.X)).toBeNull();
    expect([...toDenseArray(a.X)]).toEqual([...dense]);
  });
});
