/**
 * The shared body of the single-step subcommands (`qc`, `normalize`, `reduce`, `neighbors`,
 * `cluster`, `umap`, `markers`, `associate`, `report`): read an h5ad (or stdin `-`), merge the
 * step parameters (defaults < `--config FILE` < flags), run, and write an h5ad (or stdout `-`)
 * atomically. Each command file only declares its flags and maps them onto config sections.
 *
 * Matrices across a chain: `X` stays the current matrix (log-normalized after `normalize`) and
 * `layers.counts` the raw counts. The counts may sit in `layers/counts` or (scanpy style) in
 * `raw/X`, so the file is read for its counts first, then for X as stored, and the two are joined.
 */
import type { Command } from 'commander';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AnnDataLite } from '../core/adata.js';
import type { Logger } from '../core/log.js';
import { createRng } from '../core/rng.js';
import { startWorkers } from '../core/parallel.js';
import type { CsrMatrix } from '../core/sparse.js';
import type { RunContext } from '../core/step.js';
import { readH5ad } from '../io/readH5ad.js';
import { writeH5ad } from '../io/writeH5ad.js';
import { loadConfig } from '../pipeline/loadConfig.js';
import { validateRunSettings, type PipelineConfig } from '../pipeline/pipelineConfig.js';
import { loggerFor } from './context.js';
import { toInt } from './parse.js';

/** Flags every step command has. */
export interface StepFlags {
  /** Output path, `-` for stdout. */
  out: string;
  /** JSON config with step sections (same shape as `cqamine defaults`). */
  config?: string;
  /** Root seed (each step forks its own stream by name). */
  seed?: number;
  /** Worker threads. */
  threads?: number;
}

/** What a step command declares. */
export interface StepCommandSpec<F extends object> {
  /** Subcommand name. */
  readonly name: string;
  /** One-line description for `--help`. */
  readonly description: string;
  /** Help text of `--out` (default: the output h5ad). */
  readonly outHelp?: string;
  /** Whether `--config`, `--seed` and `--threads` apply. @default true */
  readonly configurable?: boolean;
  /** Adds the command's own flags to `cmd`. */
  readonly flags: (cmd: Command) => Command;
  /** Usage examples shown after the flags in `--help`. */
  readonly example: string;
  /**
   * Runs the step(s) on `adata`: `config` holds the defaults merged with `--config`; the command
   * applies its flags over the relevant sections.
   */
  readonly run: (adata: AnnDataLite, config: PipelineConfig, flags: F & StepFlags, rc: RunContext) => Promise<AnnDataLite>;
  /**
   * Writes the result to `path` (a file path; stdout output goes through a temporary file);
   * `input` is the input path as given ('-' for stdin).
   * @default writeH5ad
   */
  readonly write?: (path: string, adata: AnnDataLite, flags: F & StepFlags, input: string) => Promise<void>;
  /** Extra outputs (tables) written after the main output, e.g. `markers --table`. */
  readonly after?: (adata: AnnDataLite, flags: F & StepFlags, log: Logger) => Promise<void>;
}

/** True when two CSR matrices hold the same structure and values. */
function sameMatrix(a: CsrMatrix, b: CsrMatrix): boolean {
  if (a === b) return true;
  if (a.nRows !== b.nRows || a.nCols !== b.nCols || a.indptr[a.nRows] !== b.indptr[b.nRows]) return false;
  for (let i = 0; i <= a.nRows; i++) if (a.indptr[i] !== b.indptr[i]) return false;
  const nnz = a.indptr[a.nRows];
  for (let k = 0; k < nnz; k++) if (a.indices[k] !== b.indices[k] || a.data[k] !== b.data[k]) return false;
  return true;
}

/** Reads an h5ad with X as stored and the raw counts in layers.counts (one object when equal). */
async function readCurrent(path: string): Promise<AnnDataLite> {
  const counts = await readH5ad(path, { prefer: 'counts' });
  if (counts.countsSource === 'X') return counts.adata;
  const current = (await readH5ad(path, { prefer: 'X' })).adata;
  // raw/X with another gene set than var cannot sit beside X: analyse the counts (counts-first).
  if (current.nVars !== counts.adata.nVars) return counts.adata;
  const rawCounts = sameMatrix(current.X, counts.adata.X) ? current.X : counts.adata.X;
  return current.with({ layers: { ...current.layers, counts: rawCounts } });
}

/** Stores counts once when a step kept X equal to the counts (e.g. qc subsetting both). */
function shareCounts(adata: AnnDataLite): AnnDataLite {
  const counts = adata.layers.counts;
  if (!counts || counts === adata.X || !sameMatrix(counts, adata.X)) return adata;
  return adata.with({ layers: { ...adata.layers, counts: adata.X } });
}

/** Buffers stdin into a temporary file: HDF5 needs random access. */
async function stdinToFile(dir: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const path = join(dir, 'stdin.h5ad');
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

/** Copies a file to stdout, honouring back-pressure; stdout is left open (it is not ours to end). */
async function copyToStdout(path: string): Promise<void> {
  const stdout = process.stdout;
  for await (const chunk of createReadStream(path)) {
    if (!stdout.write(chunk as Buffer)) await once(stdout, 'drain');
  }
}

/**
 * Registers a step command: `<name> IN -o OUT [--config FILE] [--seed N] [--threads N] ...flags`.
 *
 * @param program the root program
 * @param spec the command's flags and how they map onto the step parameters
 * @returns the registered subcommand
 */
export function registerStepCommand<F extends object>(program: Command, spec: StepCommandSpec<F>): Command {
  const configurable = spec.configurable ?? true;
  let cmd = program
    .command(spec.name)
    .description(spec.description)
    .argument('<in>', "input .h5ad ('-' reads stdin)")
    .requiredOption('-o, --out <file>', spec.outHelp ?? "output .h5ad, written atomically ('-' writes stdout)");
  if (configurable) {
    cmd = cmd
      .option('--config <file>', 'JSON config with step sections (see `cqamine defaults`); flags override it')
      .option('--seed <int>', 'seed of the random steps', toInt)
      .option('--threads <int>', "worker threads (default: the machine's cores, at most 8; results do not depend on it)", toInt);
  }
  cmd = spec.flags(cmd).addHelpText('after', `\nExamples:\n${spec.example}`);
  return cmd.action(async (input: string, flags: F & StepFlags, self: Command) => {
    const log = loggerFor(self).child({ command: spec.name });
    // Config errors (exit 2) come before reading the input.
    const config = loadConfig(flags.config ?? null);
    if (flags.seed !== undefined) config.run.seed = flags.seed;
    if (flags.threads !== undefined) config.run.threads = flags.threads;
    validateRunSettings(config.run);
    startWorkers(config.run.threads);
    const scratch = input === '-' || flags.out === '-' ? mkdtempSync(join(tmpdir(), 'cqamine-')) : null;
    try {
      const inPath = input === '-' ? await stdinToFile(scratch!) : input;
      const adata = await readCurrent(inPath);
      const rc: RunContext = { log, rng: createRng(config.run.seed), threads: config.run.threads };
      const result = shareCounts(await spec.run(adata, config, flags, rc));
      const write = spec.write ?? ((path: string, a: AnnDataLite) => writeH5ad(path, a));
      if (flags.out === '-') {
        const tmp = join(scratch!, 'out');
        await write(tmp, result, flags, input);
        await copyToStdout(tmp);
      } else {
        await write(flags.out, result, flags, input);
      }
      await spec.after?.(result, flags, log);
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  });
}
