/**
 * `cqamine convert IN OUT`: rewrites a count matrix in another format. The input format is
 * detected (see readMatrix); the output format comes from `--to` or OUT's name: `.h5ad`, `.h5`
 * (10x HDF5), `.csv`/`.tsv` (optionally `.gz`; dense, genes x cells unless `--cells-as-rows`),
 * anything without an extension (or an existing folder) is a 10x v3 MTX folder.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { readMatrix, type MatrixFormat } from '../../io/readMatrix.js';
import { writeH5ad } from '../../io/writeH5ad.js';
import { write10xMtx } from '../../io/write10xMtx.js';
import { write10xH5 } from '../../io/write10xH5.js';
import { writeDelimitedMatrix } from '../../io/writeDelimitedMatrix.js';
import { loggerFor } from '../context.js';
import { writeJsonResult, writeResult } from '../output.js';

const OUTPUT_FORMATS = ['h5ad', '10x-mtx', '10x-h5', 'csv', 'tsv'] as const;

/** The output format OUT's name implies; a UsageError for an extension we do not write. */
function outputFormatFor(out: string): MatrixFormat {
  const lower = out.toLowerCase().replace(/\.gz$/, '');
  const ext = extname(lower);
  if (ext === '.h5ad') return 'h5ad';
  if (ext === '.h5' || ext === '.hdf5') return '10x-h5';
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.txt') return 'tsv';
  if (ext === '' || out.endsWith('/') || (existsSync(out) && statSync(out).isDirectory())) return '10x-mtx';
  throw new UsageError(`cannot tell the output format from '${out}': expected .h5ad, .h5, .csv, .tsv (optionally .gz) or a folder name; or pass --to`);
}

interface ConvertFlags {
  to?: MatrixFormat;
  cellsAsRows: boolean;
  writeCellsAsRows: boolean;
  varNames: 'gene_symbols' | 'gene_ids';
  json: boolean;
}

/** Registers `convert` on the program. */
export function registerConvert(program: Command): Command {
  return program
    .command('convert')
    .description('Convert a count matrix between formats: 10x MTX folder, 10x HDF5 (.h5), h5ad, dense CSV/TSV')
    .argument('<in>', 'input: 10x MTX folder or file, .h5, .h5ad, .csv/.tsv(.gz)')
    .argument('<out>', 'output: .h5ad, .h5, .csv/.tsv(.gz), or a folder for 10x MTX')
    .addOption(new Option('--to <format>', 'output format (default: from the output name)').choices([...OUTPUT_FORMATS]))
    .option('--cells-as-rows', 'dense CSV/TSV input has cells as rows (default: genes as rows)', false)
    .option('--write-cells-as-rows', 'dense CSV/TSV output gets cells as rows (default: genes as rows, as R writes)', false)
    .addOption(new Option('--var-names <kind>', '10x MTX input: var names from symbols or IDs').choices(['gene_symbols', 'gene_ids']).default('gene_symbols'))
    .option('--json', 'print a JSON summary on stdout', false)
    .action(async (input: string, out: string, flags: ConvertFlags, cmd: Command) => {
      const log = loggerFor(cmd).child({ command: 'convert' });
      if (resolve(input) === resolve(out)) throw new UsageError(`expected an output different from the input, got '${out}' for both`);
      const to = flags.to ?? outputFormatFor(out);
      const t0 = performance.now();
      const { adata, format } = await readMatrix(input, { cellsAsRows: flags.cellsAsRows, varNames: flags.varNames, log });
      log.info({ in: input, format, nObs: adata.nObs, nVars: adata.nVars, ms: Math.round(performance.now() - t0) }, 'read');
      const t1 = performance.now();
      switch (to) {
        case 'h5ad':
          await writeH5ad(out, adata);
          break;
        case '10x-mtx':
          await write10xMtx(out, adata);
          break;
        case '10x-h5':
          await write10xH5(out, adata);
          break;
        case 'csv':
        case 'tsv':
          await writeDelimitedMatrix(out, adata, { cellsAsRows: flags.writeCellsAsRows, delimiter: to === 'csv' ? ',' : '\t' });
          break;
      }
      const ms = Math.round(performance.now() - t1);
      log.info({ out, format: to, ms }, 'written');
      const summary = { in: input, from: format, out, to, n_cells: adata.nObs, n_genes: adata.nVars, nnz: (adata.layers.counts ?? adata.X).indptr[adata.nObs] };
      if (flags.json) writeJsonResult(summary);
      else writeResult(`converted ${input} (${format}) to ${out} (${to}): ${adata.nObs} cells x ${adata.nVars} genes`);
    });
}
