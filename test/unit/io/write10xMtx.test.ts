import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame } from '../../../src/core/frame.js';
import { csrFromDense, toDenseArray } from '../../../src/core/sparse.js';
import { write10xMtx, Mtx10xStreamWriter } from '../../../src/io/write10xMtx.js';
import { read10xMtx } from '../../../src/io/read10xMtx.js';
import { sharedData, tempDir } from '../../helpers/paths.js';

/** 3 cells x 4 genes; cell 1 is empty, gene 2 is never expressed. */
function tiny(): AnnDataLite {
  const X = csrFromDense(3, 4, [
    5, 0, 0, 1,
    0, 0, 0, 0,
    2, 12345, 0, 7,
  ]);
  return new AnnDataLite({
    X,
    obs: new Frame(['AAAC-1', 'AAAG-1', 'TTTT-1']),
    var: new Frame(['GA', 'GB', 'GC', 'GD'], [['gene_ids', { kind: 'string', values: ['E1', 'E2', 'E3', 'E4'] }]]),
  });
}

describe('write10xMtx', () => {
  it('writes genes x cells MatrixMarket, 1-based, grouped by cell, with features and barcodes', async () => {
    const dir = join(tempDir(), 'tiny');
    await write10xMtx(dir, tiny());
    const text = gunzipSync(readFileSync(join(dir, 'matrix.mtx.gz'))).toString();
    // Entries (gene, cell, value): cell 1 -> genes 1 and 4; cell 3 -> genes 1, 2, 4.
    expect(text).toBe(
      '%%MatrixMarket matrix coordinate integer general\n' +
        '%metadata_json: {"software_version": "cqamine", "format_version": 2}\n' +
        '4 3 5\n1 1 5\n4 1 1\n1 3 2\n2 3 12345\n4 3 7\n',
    );
    expect(gunzipSync(readFileSync(join(dir, 'features.tsv.gz'))).toString()).toBe(
      'E1\tGA\tGene Expression\nE2\tGB\tGene Expression\nE3\tGC\tGene Expression\nE4\tGD\tGene Expression\n',
    );
    expect(gunzipSync(readFileSync(join(dir, 'barcodes.tsv.gz'))).toString()).toBe('AAAC-1\nAAAG-1\nTTTT-1\n');
    expect(readdirSync(dir).sort()).toEqual(['barcodes.tsv.gz', 'features.tsv.gz', 'matrix.mtx.gz']);
  });

  it('round-trips through read10xMtx', async () => {
    const dir = join(tempDir(), 'rt');
    const a = tiny();
    await write10xMtx(dir, a);
    const b = await read10xMtx(dir);
    expect(b.obsNames).toEqual(a.obsNames);
    expect(b.varNames).toEqual(a.varNames);
    expect(Array.from(toDenseArray(b.X))).toEqual(Array.from(toDenseArray(a.X)));
  });

  it('round-trips a real CellRanger v3 folder (scanpy test data, 507 genes x 1,107 cells) count for count', async () => {
    const a = await read10xMtx(sharedData('10x_formats', 'v3_mtx'));
    expect(a.X.indptr[a.nObs]).toBe(23_866);
    const dir = join(tempDir(), 'real');
    await write10xMtx(dir, a);
    const b = await read10xMtx(dir);
    expect(b.nObs).toBe(a.nObs);
    expect(Array.from(b.X.indptr)).toEqual(Array.from(a.X.indptr));
    expect(Array.from(b.X.indices)).toEqual(Array.from(a.X.indices));
    expect(Array.from(b.X.data)).toEqual(Array.from(a.X.data));
    expect(b.varNames).toEqual(a.varNames);
  });

  it('writes non-integer values with the real field', async () => {
    const a = tiny();
    const X = csrFromDense(3, 4, [0.5, 0, 0, 1, 0, 0, 0, 0, 2, 3, 0, 7]);
    const dir = join(tempDir(), 'real');
    await write10xMtx(dir, a.with({ X }));
    const text = gunzipSync(readFileSync(join(dir, 'matrix.mtx.gz'))).toString();
    expect(text.split('\n')[0]).toBe('%%MatrixMarket matrix coordinate real general');
    expect(text).toContain('1 1 0.5\n');
  });

  it('replaces an existing folder atomically and leaves no temporary siblings', async () => {
    const parent = tempDir();
    const dir = join(parent, 'out');
    await write10xMtx(dir, tiny());
    await write10xMtx(dir, tiny().subsetObs([0]));
    expect(readdirSync(parent)).toEqual(['out']);
    expect(gunzipSync(readFileSync(join(dir, 'barcodes.tsv.gz'))).toString()).toBe('AAAC-1\n');
  });

  it('streams many cells in bounded memory; the two-member gzip decompresses for zlib and Python', async () => {
    const dir = join(tempDir(), 'stream');
    const w = new Mtx10xStreamWriter(dir, { nGenes: 1000, gzipLevel: 1 });
    const genes = Int32Array.from({ length: 200 }, (_, t) => t * 5);
    const counts = Int32Array.from({ length: 200 }, (_, t) => 1 + (t % 7));
    for (let i = 0; i < 5000; i++) {
      w.addCell(`C${i}-1`, genes, counts, 200);
      if (w.needsDrain) await w.drain();
    }
    await w.finish({ ids: Array.from({ length: 1000 }, (_, j) => `E${j}`), symbols: Array.from({ length: 1000 }, (_, j) => `G${j}`) });
    expect(w.nnz).toBe(1_000_000);
    const text = gunzipSync(readFileSync(join(dir, 'matrix.mtx.gz'))).toString();
    const lines = text.split('\n');
    expect(lines[2]).toBe('1000 5000 1000000');
    expect(lines.length).toBe(3 + 1_000_000 + 1);
    // Last entry: gene index 199 * 5 = 995 (1-based 996), count 1 + 199 % 7 = 4.
    expect(lines[3 + 999_999]).toBe('996 5000 4');
    const b = await read10xMtx(dir);
    expect(b.nObs).toBe(5000);
    expect(b.X.indptr[5000]).toBe(1_000_000);
    try {
      const out = execFileSync('/usr/bin/python3', ['-c', `import gzip,sys; t=gzip.open(sys.argv[1]).read().decode().split('\\n'); print(t[2], len(t))`, join(dir, 'matrix.mtx.gz')]).toString().trim();
      expect(out).toBe('1000 5000 1000000 1000004');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      console.warn('python3 not installed; skipped the Python gzip check');
    }
  });
});
