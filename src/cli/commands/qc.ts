/**
 * `cqamine qc IN -o OUT`: per-cell QC metrics (qc_metrics) and verdicts (filter_cells: fixed
 * thresholds and per-lot MAD outliers). Keeps obs `passed_qc`/`qc_reason` and uns `qc_filter`;
 * subsets to passing cells unless `--keep-all`.
 */
import type { Command } from 'commander';
import { computeQcMetrics } from '../../qc/computeQcMetrics.js';
import { filterCells } from '../../qc/filterCells.js';
import { toNumber } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface QcFlags {
  minGenes?: number;
  maxGenes?: number;
  minCounts?: number;
  maxCounts?: number;
  maxPctMito?: number;
  nmads?: number;
  /** False with --no-mads. */
  mads: boolean;
  lotKey?: string;
  keepAll: boolean;
}

/** Registers `qc` on the program. */
export function registerQc(program: Command): Command {
  return registerStepCommand<QcFlags>(program, {
    name: 'qc',
    description: 'Compute QC metrics, mark cells failing the thresholds or the per-lot MAD outlier rule, and keep the passing cells',
    flags: (cmd) => cmd
      .option('--min-genes <n>', 'minimum detected genes per cell', toNumber)
      .option('--max-genes <n>', 'maximum detected genes per cell', toNumber)
      .option('--min-counts <n>', 'minimum total counts per cell', toNumber)
      .option('--max-counts <n>', 'maximum total counts per cell', toNumber)
      .option('--max-pct-mito <pct>', 'maximum mitochondrial percentage', toNumber)
      .option('--nmads <n>', 'MADs from the lot median for the outlier rule', toNumber)
      .option('--no-mads', 'disable the MAD outlier rule')
      .option('--lot-key <col>', "obs column defining lots for the MAD rule (default 'lot'; one lot when absent)")
      .option('--keep-all', 'only mark cells (obs passed_qc), keep every cell', false),
    example: '  cqamine qc lot.h5ad --min-genes 200 --max-pct-mito 5 --nmads 3 -o qc.h5ad',
    run: async (adata, config, f, rc) => {
      const fc = { ...config.filter_cells, lotKey: f.lotKey ?? 'lot', subset: !f.keepAll };
      if (f.minGenes !== undefined) fc.minGenes = f.minGenes;
      if (f.maxGenes !== undefined) fc.maxGenes = f.maxGenes;
      if (f.minCounts !== undefined) fc.minCounts = f.minCounts;
      if (f.maxCounts !== undefined) fc.maxCounts = f.maxCounts;
      if (f.maxPctMito !== undefined) fc.maxPctMito = f.maxPctMito;
      if (f.nmads !== undefined) fc.nmads = f.nmads;
      if (!f.mads) fc.nmads = null;
      const withMetrics = await computeQcMetrics(adata, config.qc_metrics, rc);
      return filterCells(withMetrics, fc, rc);
    },
  });
}
