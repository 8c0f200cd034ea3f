/** `cqamine normalize IN -o OUT`: log-normalization; X becomes log1p(counts / s * targetSum), layers.counts keeps the counts. */
import { Option, type Command } from 'commander';
import { logNormalize } from '../../normalize/logNormalize.js';
import { toNumber } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface NormalizeFlags {
  targetSum?: number;
  method?: 'total' | 'scran';
}

/** Registers `normalize` on the program. */
export function registerNormalize(program: Command): Command {
  return registerStepCommand<NormalizeFlags>(program, {
    name: 'normalize',
    description: 'Log-normalize the counts (library size or scran pooled size factors); raw counts stay in layers.counts',
    flags: (cmd) => cmd
      .option('--target-sum <n>', 'counts per cell after scaling', toNumber)
      .addOption(new Option('--method <m>', 'size factors').choices(['total', 'scran'])),
    example: '  cqamine normalize qc.h5ad --target-sum 1e4 --method total -o norm.h5ad',
    run: async (adata, config, f, rc) => {
      const p = { ...config.log_normalize };
      if (f.targetSum !== undefined) p.targetSum = f.targetSum;
      if (f.method !== undefined) p.method = f.method;
      return logNormalize(adata, p, rc);
    },
  });
}
