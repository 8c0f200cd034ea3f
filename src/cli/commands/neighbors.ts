/** `cqamine neighbors IN -o OUT`: kNN on the PCs; obsp distances, connectivities (UMAP) and snn (clustering). */
import { Option, type Command } from 'commander';
import { findNeighbors } from '../../neighbors/findNeighbors.js';
import { toInt } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface NeighborsFlags {
  k?: number;
  nPcs?: number;
  method?: 'auto' | 'exact' | 'hnsw';
}

/** Registers `neighbors` on the program. */
export function registerNeighbors(program: Command): Command {
  return registerStepCommand<NeighborsFlags>(program, {
    name: 'neighbors',
    description: 'Find the k nearest neighbours of each cell in PC space and build the UMAP and SNN graphs',
    flags: (cmd) => cmd
      .option('--k <int>', 'neighbours per cell', toInt)
      .option('--n-pcs <int>', 'leading PCs used', toInt)
      .addOption(new Option('--method <m>', 'kNN search').choices(['auto', 'exact', 'hnsw'])),
    example: '  cqamine neighbors pca.h5ad --k 20 --n-pcs 30 -o graph.h5ad',
    run: async (adata, config, f, rc) => {
      const p = { ...config.neighbors };
      if (f.k !== undefined) p.nNeighbors = f.k;
      if (f.nPcs !== undefined) p.nPcs = f.nPcs;
      if (f.method !== undefined) p.method = f.method;
      return findNeighbors(adata, p, rc);
    },
  });
}
