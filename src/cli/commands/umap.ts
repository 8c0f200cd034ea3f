/** `cqamine umap IN -o OUT`: UMAP layout from the kNN graph of `neighbors`; obsm X_umap. */
import type { Command } from 'commander';
import { runUmap } from '../../reduce/runUmap.js';
import { toInt, toNumber } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface UmapFlags {
  minDist?: number;
  spread?: number;
  nEpochs?: number;
  blocks?: number;
}

/** Registers `umap` on the program. */
export function registerUmap(program: Command): Command {
  return registerStepCommand<UmapFlags>(program, {
    name: 'umap',
    description: 'Lay cells out in 2-D with UMAP on the kNN graph (run neighbors first)',
    flags: (cmd) => cmd
      .option('--min-dist <x>', 'minimum distance between embedded points', toNumber)
      .option('--spread <x>', 'scale of embedded points', toNumber)
      .option('--n-epochs <int>', 'optimisation epochs (default: by data size)', toInt)
      .option('--blocks <int>', 'cell blocks of the layout, run on separate threads (default 4; 1 = umap-learn\'s sequential order; the result never depends on --threads)', toInt),
    example: '  cqamine umap clusters.h5ad --min-dist 0.3 -o umap.h5ad',
    run: async (adata, config, f, rc) => {
      const p = { ...config.umap };
      if (f.minDist !== undefined) p.minDist = f.minDist;
      if (f.spread !== undefined) p.spread = f.spread;
      if (f.nEpochs !== undefined) p.nEpochs = f.nEpochs;
      if (f.blocks !== undefined) p.blocks = f.blocks;
      return runUmap(adata, p, rc);
    },
  });
}
