/**
 * `cqamine simulate`: writes a seeded multi-lot MSC cohort (10x samples, samples.csv, truth/).
 * Flags are only converted here; ranges are checked by resolveSimulateParams so the library
 * and the CLI agree.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { simulateCohort } from '../../simulate/simulateCohort.js';
import { SIMULATE_DEFAULTS, type SimulateParams, type SimCondition } from '../../simulate/simulateParams.js';
import { loggerFor } from '../context.js';
import { writeJsonResult, writeResult } from '../output.js';
import { toInt, toNumber } from '../parse.js';

/** Parses `N` or `MIN-MAX` cells per lot. */
function toRange(v: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected N or MIN-MAX (e.g. 300 or 200-400), got '${v}'`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return [a, b];
}

/** Parses a comma-separated condition list. */
function toConditions(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Flags: the simulator's parameters, with the cell range as one option and the output folder. */
type SimulateFlags = Omit<SimulateParams, 'cellsMin' | 'cellsMax' | 'potencyMin' | 'potencyMax' | 'conditions'> & {
  out: string;
  cellsPerLot: [number, number];
  conditions: string[];
  json: boolean;
};

/** Registers `simulate` on the program. */
export function registerSimulate(program: Command): Command {
  const d = SIMULATE_DEFAULTS;
  return program
    .command('simulate')
    .description('Write a seeded, simulated multi-lot MSC cohort: one 10x sample per lot, samples.csv and truth/ (labels, planted markers, lot fractions, readouts)')
    .requiredOption('--out <dir>', 'output folder (replaced only when the whole cohort is written)')
    .option('--lots <n>', 'number of lots (BM01, BM02, ...)', toInt, d.lots)
    .option('--cells-per-lot <n|min-max>', 'cells per lot, or a range for unequal lots', toRange, [d.cellsMin, d.cellsMax] as [number, number])
    .option('--genes <n>', 'number of genes (incl. 13 MT genes)', toInt, d.genes)
    .option('--seed <n>', 'random seed; same seed gives byte-identical files', toInt, d.seed)
    .option('--subpops <k>', 'number of subpopulations', toInt, d.subpops)
    .option('--marker <symbol>', 'symbol of the potency marker gene', d.marker)
    .option('--marker-log2-fold <x>', 'log2 fold of the marker in the potency subpopulation', toNumber, d.markerLog2Fold)
    .option('--effect <b>', 'slope of vegf_hypoxia on the potency fraction (0 = null cohort)', toNumber, d.effect)
    .option('--intercept <a>', 'intercept of vegf_hypoxia (pg/mL)', toNumber, d.intercept)
    .option('--noise-sd <sd>', 'SD of the vegf_hypoxia noise (pg/mL)', toNumber, d.noiseSd)
    .option('--concentration <c>', 'Dirichlet concentration of lot compositions', toNumber, d.concentration)
    .option('--batch-sd <sd>', 'SD of per-lot per-gene log batch factors', toNumber, d.batchSd)
    .option('--low-quality-rate <r>', 'fraction of low-quality cells per lot', toNumber, d.lowQualityRate)
    .option('--doublet-rate <r>', 'fraction of doublets per lot', toNumber, d.doubletRate)
    .option('--depth <umis>', 'mean UMIs per healthy cell', toNumber, d.depth)
    .addOption(new Option('--format <fmt>', 'sample layout').choices(['mtx', 'h5', 'h5ad']).default(d.format))
    .option('--mixed-formats', 'cycle mtx, h5, h5ad across samples', false)
    .option('--conditions <list>', 'comma-separated: normoxia and/or ischemia', toConditions, [...d.conditions])
    .option('--gzip-level <n>', 'gzip level of MTX files (1-9)', toInt, d.gzipLevel)
    .option('--json', 'print a JSON summary on stdout', false)
    .action(async (flags: SimulateFlags, cmd: Command) => {
      const log = loggerFor(cmd).child({ command: 'simulate' });
      const { out, cellsPerLot, conditions, json, ...rest } = flags;
      const params: Partial<SimulateParams> = { ...rest, cellsMin: cellsPerLot[0], cellsMax: cellsPerLot[1], conditions: conditions as SimCondition[] };
      const r = await simulateCohort(out, params, { log });
      log.info({ ms: Math.round(r.ms), nCells: r.nCells, nnz: r.nnz, samples: r.samples.length }, 'finished');
      if (json) {
        writeJsonResult({ out: r.outDir, samples: r.samples.length, n_cells: r.nCells, nnz: r.nnz, potency_subpop: r.potencySubpop, marker: r.params.marker, seconds: Math.round(r.ms) / 1000 });
      } else {
        writeResult(`wrote ${r.samples.length} samples (${r.nCells} cells) to ${r.outDir}; potency subpopulation ${r.potencySubpop}, marker ${r.params.marker}`);
      }
    });
}
