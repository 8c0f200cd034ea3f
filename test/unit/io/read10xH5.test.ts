import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { read10xH5 } from '../../../src/io/read10xH5.js';
import { read10xMtx } from '../../../src/io/read10xMtx.js';
import { checkCompressed, nnzOf, toDenseArray } from '../../../src/core/sparse.js';
import { columnStrings } from '../../../src/core/frame.js';
import { fixture, sharedData } from '../../helpers/paths.js';
import { inputError } from '../../helpers/expectInputError.js';

const V3 = sharedData('10x_formats', 'v3_h5', 'filtered_feature_bc_matrix.h5');
const V2 = sharedData('10x_formats', 'v2_h5', 'filtered_gene_bc_matrices_h5.h5');
const tiny = (name: string): string => fixture('tiny', 'h5', name);

/** A pino logger that collects records in memory. */
function memoryLogger(): { log: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, records };
}

function total(data: Float32Array): number {
  let s = 0;
  for (let k = 0; k < data.length; k++) s += data[k];
  return s;
}


describe('read10xH5', () => {
  it('reads the CellRanger v3 file as 1,107 cells x 507 genes, nnz 23,866, total 41,549', async () => {
    const a = await read10xH5(V3);
    expect([a.nObs, a.nVars, nnzOf(a.X)]).toEqual([1107, 507, 23866]);
    expect(total(a.X.data)).toBe(41549);
    expect(checkCompressed(a.X)).toBeNull();
    expect(a.layers.counts).toBe(a.X);
    expect(a.obsNames[0]).toBe('AAACCCAAGGAGAGTA-1');
    expect(a.varNames.slice(0, 2)).toEqual(['CH507-9B2.2', 'CH507-9B2.1']);
    expect(columnStrings(a.var.require('gene_ids')).slice(0, 1)).toEqual(['ENSG00000279493']);
    const ft = a.var.require('feature_types');
    expect(ft.kind === 'categorical' && ft.categories).toEqual(['Gene Expression']);
    expect(new Set(a.varNames).size).toBe(507);
  });

  it('gives exactly the matrix, barcodes and genes of the same data read from 10x MTX', async () => {
    const h5 = await read10xH5(V3);
    const mtx = await read10xMtx(sharedData('10x_formats', 'v3_mtx'));
    expect(h5.obsNames).toEqual(mtx.obsNames);
    expect(h5.varNames).toEqual(mtx.varNames);
    expect(columnStrings(h5.var.require('gene_ids'))).toEqual(columnStrings(mtx.var.require('gene_ids')));
    expect([...h5.X.indptr]).toEqual([...mtx.X.indptr]);
    expect(h5.X.indices).toEqual(mtx.X.indices);
    expect(h5.X.data).toEqual(mtx.X.data);
  });

  it('reads the CellRanger v2 (per-genome group) file as 12 cells x 343 genes, nnz 12', async () => {
    const a = await read10xH5(V2);
    expect([a.nObs, a.nVars, nnzOf(a.X)]).toEqual([12, 343, 12]);
    expect(checkCompressed(a.X)).toBeNull();
    expect(a.obsNames[0]).toBe('AACACGTGTACGCTGC-1');
    expect(a.varNames.slice(0, 3)).toEqual(['DSCAM', 'MIR99AHG', 'APP']);
    expect(a.var.columnNames).toEqual(['gene_ids', 'feature_types']);
  });

  it('keeps only Gene Expression features, logs how many were dropped and makes symbols unique', async () => {
    const { log, records } = memoryLogger();
    const a = await read10xH5(tiny('tenx_v3_mixed_features.h5'), log);
    // features G0, G1, G0 (duplicate symbol), CD3 (antibody, dropped)
    expect(a.varNames).toEqual(['G0', 'G1', 'G0-1']);
    expect(columnStrings(a.var.require('gene_ids'))).toEqual(['E0', 'E1', 'E2']);
    // cells: c0 = {G1: 1, CD3: 2}, c1 = {G0: 5}, c2 = {} -> CD3 column removed
    expect([...toDenseArray(a.X)]).toEqual([0, 1, 0, 5, 0, 0, 0, 0, 0]);
    const warn = records.find((r) => r.level === 40);
    expect(warn?.msg).toBe("dropped 1 features that are not 'Gene Expression'");
    expect(warn?.dropped).toEqual({ 'Antibody Capture': 1 });
  });

  it('names the missing dataset of a 10x v3 layout', async () => {
    const e = await inputError(() => read10xH5(tiny('tenx_v3_no_indptr.h5')));
    expect(e.message).toMatch(/^expected dataset 'matrix\/indptr' in .*tenx_v3_no_indptr\.h5 \(10x HDF5 v3\), not found$/);
  });

  it('names the first 10x dataset missing from an HDF5 file without a matrix', async () => {
    const e = await inputError(() => read10xH5(tiny('empty.h5')));
    expect(e.message).toMatch(/^expected dataset 'matrix\/data' in .*empty\.h5 \(10x HDF5 v3\), not found$/);
  });

  it('rejects int64 indices that do not fit in 32 bits', async () => {
    const e = await inputError(() => read10xH5(tiny('tenx_v3_int64_overflow.h5')));
    expect(e.message).toMatch(/^expected 32-bit integers in 'matrix\/indices' in .*\.h5, got 8589934592 at position 1$/);
  });

  it('rejects a file that is not HDF5 and a missing file', async () => {
    const e = await inputError(() => read10xH5(tiny('not_hdf5.h5')));
    expect(e.message).toMatch(/^expected an HDF5 file \(10x HDF5\) at .*not_hdf5\.h5, got a file without the HDF5 signature$/);
    const m = await inputError(() => read10xH5(tiny('does_not_exist.h5')));
    expect(m.message).toMatch(/^cannot read 10x HDF5 file .*does_not_exist\.h5: no such file$/);
  });
});
