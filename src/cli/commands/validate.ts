/**
 * `cqamine validate`: tests CQA candidate genes from a previous run in a second cohort.
 *
 *   cqamine validate --candidates cqa_candidates.tsv --readout vegf_hypoxia
 *                    (--samples other_lots.csv | --bulk table.tsv) [--top N] --out DIR
 *
 * The cohort is either single-cell lots (a sample sheet; per-lot pseudobulk = mean
 * log-normalized expression, LogNormalize with scale 1e4, over the lot's cells with at least
 * `--min-genes` detected genes) or a bulk table (one row per lot: `lot`, optional `source`, the
 * readout column and one column per gene, e.g. expression or qPCR Ct; `--ct` negates Ct values so
 * that rho has the expression direction). Writes DIR/validation.tsv: gene, group ('all' or a
 * source), found, n_lots, rho, pval, padj.
 */
import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { InputError, UsageError } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { readRecords } from '../../io/readRecords.js';
import { readSampleSheet } from '../../io/readSampleSheet.js';
import { loadLots } from '../../io/loadLots.js';
import { writeTable } from '../../io/writeTable.js';
import { logNormalizeKernel, totalSizeFactors } from '../../normalize/logNormalize.js';
import { computePseudobulk } from '../../cqa/associateGenes.js';
import { validateCandidates, VALIDATE_DEFAULTS, type ValidationCohort } from '../../cqa/validateCandidates.js';
import { loggerFor } from '../context.js';
import { writeJsonResult } from '../output.js';

interface ValidateFlags {
  candidates: string;
  readout: string;
  candidateReadout?: string;
  samples?: string;
  bulk?: string;
  ct: boolean;
  top: number;
  minGenes: number;
  permutations: number;
  seed: number;
  out: string;
  json: boolean;
}

/** Parses a non-negative integer flag. */
function toCount(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return x;
}

const MISSING = new Set(['', 'na', 'nan', 'n/a']);

/** A numeric cell: NaN for missing, InputError naming file, line and column otherwise. */
function numeric(text: string, path: string, line: number, column: string): number {
  const t = text.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  const x = Number(t);
  if (!Number.isFinite(x)) throw new InputError(`${path} line ${line}, column '${column}': expected a number or NA, got '${text}'`);
  return x;
}

/** Candidate genes for `readout`, best first: rows of that readout (when there is a readout column), by rank, first `top`. */
async function readCandidates(path: string, readout: string, top: number): Promise<{ genes: string[]; ids: string[] }> {
  let header: string[] | null = null;
  const rows: { gene: string; id: string; rank: number; order: number }[] = [];
  const seenReadouts = new Set<string>();
  let gi = -1, ri = -1, ki = -1, ii = -1;
  for await (const rec of readRecords(path)) {
    if (header === null) {
      header = rec.fields.map((f) => f.trim());
      gi = header.indexOf('gene');
      ri = header.indexOf('readout');
      ki = header.indexOf('rank');
      ii = header.indexOf('gene_id');
      if (gi < 0) throw new InputError(`${path} line ${rec.line}: expected a 'gene' column, got columns ${header.join(', ')}`);
      continue;
    }
    if (rec.fields.length !== header.length) throw new InputError(`${path} line ${rec.line}: expected ${header.length} fields as in the header, got ${rec.fields.length}`);
    if (ri >= 0) {
      seenReadouts.add(rec.fields[ri]);
      if (rec.fields[ri] !== readout) continue;
    }
    const rank = ki >= 0 ? numeric(rec.fields[ki], path, rec.line, 'rank') : NaN;
    rows.push({ gene: rec.fields[gi].trim(), id: ii >= 0 ? rec.fields[ii].trim() : '', rank, order: rows.length });
  }
  if (header === null) throw new InputError(`${path}: expected a header line and candidate rows, got an empty file`);
  if (rows.length === 0) {
    throw new InputError(`${path}: expected candidate rows for readout '${readout}', got none (readouts in the file: ${[...seenReadouts].join(', ') || 'none'}); use --candidate-readout`);
  }
  rows.sort((a, b) => (Number.isNaN(a.rank) || Number.isNaN(b.rank) ? 0 : a.rank - b.rank) || a.order - b.order);
  const genes: string[] = [];
  const ids: string[] = [];
  for (const r of rows) {
    if (genes.includes(r.gene)) continue;
    if (top > 0 && genes.length >= top) break;
    genes.push(r.gene);
    ids.push(r.id);
  }
  return { genes, ids };
}

/** A bulk table: one row per lot with `lot`, optional `source`, the readout and gene columns. */
async function readBulk(path: string, readout: string, ct: boolean): Promise<ValidationCohort> {
  let header: string[] | null = null;
  const lotNames: string[] = [];
  const sources: (string | null)[] = [];
  const values: number[][] = [];
  const readoutValues: number[] = [];
  let li = -1, si = -1, ri = -1;
  let geneCols: number[] = [];
  for await (const rec of readRecords(path)) {
    if (header === null) {
      header = rec.fields.map((f) => f.trim());
      li = header.indexOf('lot');
      si = header.indexOf('source');
      ri = header.indexOf(readout);
      if (li < 0) throw new InputError(`${path} line ${rec.line}: expected a 'lot' column, got columns ${header.join(', ')}`);
      if (ri < 0) throw new InputError(`${path} line ${rec.line}: expected the readout column '${readout}', got columns ${header.join(', ')}`);
      const skip = new Set([li, si, ri, header.indexOf('condition')]);
      geneCols = header.map((_, c) => c).filter((c) => !skip.has(c));
      continue;
    }
    if (rec.fields.length !== header.length) throw new InputError(`${path} line ${rec.line}: expected ${header.length} fields as in the header, got ${rec.fields.length}`);
    const lot = rec.fields[li].trim();
    if (lot === '') throw new InputError(`${path} line ${rec.line}, column 'lot': expected a lot ID, got an empty field`);
    if (lotNames.includes(lot)) throw new InputError(`${path} line ${rec.line}, column 'lot': duplicate lot '${lot}'`);
    lotNames.push(lot);
    sources.push(si >= 0 && rec.fields[si].trim() !== '' ? rec.fields[si].trim() : null);
    readoutValues.push(numeric(rec.fields[ri], path, rec.line, readout));
    values.push(geneCols.map((c) => {
      const v = numeric(rec.fields[c], path, rec.line, header![c]);
      return ct ? -v : v;
    }));
  }
  if (header === null || lotNames.length === 0) throw new InputError(`${path}: expected a header line and one row per lot, got none`);
  const nGenes = geneCols.length;
  const expr = new Float64Array(lotNames.length * nGenes);
  values.forEach((row, l) => expr.set(row, l * nGenes));
  return {
    lotNames,
    genes: geneCols.map((c) => header![c]),
    expr,
    readout: Float64Array.from(readoutValues),
    source: si >= 0 ? sources : null,
  };
}

/** Single-cell lots from a sample sheet: per-lot mean log-normalized expression. */
async function readSingleCell(path: string, readout: string, minGenes: number, log: ReturnType<typeof loggerFor>): Promise<ValidationCohort> {
  const sheet = await readSampleSheet(path);
  if (!sheet.readoutNames.includes(readout)) {
    throw new InputError(`${path}: expected a readout column '${readout}', got readouts ${sheet.readoutNames.join(', ') || 'none'}`);
  }
  const { adata } = await loadLots(sheet, {}, log);
  const lotCol = adata.obs.require('lot');
  if (lotCol.kind !== 'categorical') throw new Error('loadLots returned a non-categorical lot column');
  const counts = adata.X;
  // Cells with fewer than minGenes detected genes are left out (empty droplets, debris).
  const lotCodes = Int32Array.from(lotCol.codes);
  let dropped = 0;
  for (let i = 0; i < counts.nRows; i++) {
    if (counts.indptr[i + 1] - counts.indptr[i] < minGenes) {
      lotCodes[i] = -1;
      dropped++;
    }
  }
  const x = logNormalizeKernel(counts, totalSizeFactors(counts, 1e4));
  const pb = computePseudobulk(x, lotCodes, lotCol.categories.length);
  log.info({ nCells: counts.nRows, dropped, nLots: lotCol.categories.length }, 'validation cohort pseudobulk');
  // Sheet order = category order of the lot column.
  const byLot = new Map(sheet.lots.map((l) => [l.lot, l]));
  const lotNames = [...lotCol.categories];
  return {
    lotNames,
    genes: adata.varNames,
    expr: pb.lotMeans,
    readout: Float64Array.from(lotNames, (l) => byLot.get(l)?.readouts[readout] ?? NaN),
    source: sheet.lots.some((l) => l.source !== undefined) ? lotNames.map((l) => byLot.get(l)?.source ?? null) : null,
  };
}

/** Registers `validate` on the program. */
export function registerValidate(program: Command): Command {
  return program
    .command('validate')
    .description('Test CQA candidate genes against a readout in a second cohort (single-cell lots or a bulk table), overall and per source')
    .requiredOption('--candidates <file>', 'candidate table from a previous run (cqa_candidates.tsv: gene, optional readout, rank, gene_id)')
    .requiredOption('--readout <name>', 'readout column of the validation cohort, e.g. vegf_hypoxia')
    .option('--candidate-readout <name>', 'readout whose candidates to take (default: --readout)')
    .option('--samples <sheet>', 'sample sheet of single-cell lots (lot, path, source, readouts)')
    .option('--bulk <table>', 'bulk table: one row per lot with lot, optional source, the readout and gene columns')
    .option('--ct', 'bulk values are qPCR Ct (lower = more expression); negate them', false)
    .option('--top <n>', 'candidates to test (0 = all)', toCount, 20)
    .option('--min-genes <n>', 'single-cell lots: leave out cells with fewer detected genes', toCount, 200)
    .option('--permutations <n>', 'Monte Carlo permutations when lots > 8', toCount, VALIDATE_DEFAULTS.nPermutations)
    .option('--seed <n>', 'random seed for the permutations', toCount, 0)
    .requiredOption('--out <dir>', 'output folder (validation.tsv)')
    .option('--json', 'print a JSON summary on stdout', false)
    .action(async (flags: ValidateFlags, cmd: Command) => {
      const log = loggerFor(cmd);
      if ((flags.samples === undefined) === (flags.bulk === undefined)) throw new UsageError('give exactly one of --samples (single-cell lots) or --bulk (a lots x genes table)');
      if (flags.ct && !flags.bulk) throw new UsageError('--ct applies to --bulk tables only');
      const cand = await readCandidates(flags.candidates, flags.candidateReadout ?? flags.readout, flags.top);
      const cohort = flags.bulk ? await readBulk(flags.bulk, flags.readout, flags.ct) : await readSingleCell(flags.samples!, flags.readout, flags.minGenes, log);
      // A candidate absent by symbol may still be present under its gene id (bulk tables keyed by Ensembl id).
      const have = new Set(cohort.genes);
      const names = cand.genes.map((g, t) => (!have.has(g) && cand.ids[t] && have.has(cand.ids[t]) ? cand.ids[t] : g));
      const table = validateCandidates(names, cohort, { ...VALIDATE_DEFAULTS, nPermutations: Math.max(100, flags.permutations) }, createRng(flags.seed).fork('validate'));
      const path = join(flags.out, 'validation.tsv');
      await writeTable(path, {
        columns: [
          { name: 'gene', values: table.gene },
          { name: 'group', values: table.group },
          { name: 'found', values: table.found },
          { name: 'n_lots', values: table.n_lots },
          { name: 'rho', values: table.rho },
          { name: 'pval', values: table.pval },
          { name: 'padj', values: table.padj },
        ],
      });
      const missing = table.gene.filter((_, t) => table.group[t] === 'all' && table.found[t] === 0);
      log.info({ candidates: names.length, lots: cohort.lotNames.length, missing: missing.length, out: path }, 'validation written');
      if (flags.json) {
        writeJsonResult({
          out: path, readout: flags.readout, lots: cohort.lotNames.length, candidates: names, missing,
          rows: table.gene.map((g, t) => ({ gene: g, group: table.group[t], n_lots: table.n_lots[t], rho: table.rho[t], pval: table.pval[t], padj: table.padj[t] })),
        });
      }
    });
}
