/** `cqamine cluster IN -o OUT`: Leiden/Louvain on the SNN graph or k-means on the PCs; obs `cluster`. */
import { Option, type Command } from 'commander';
import { clusterGraph } from '../../cluster/clusterGraph.js';
import { clusterKmeans } from '../../cluster/clusterKmeans.js';
import { toInt, toNumber } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface ClusterFlags {
  method?: 'leiden' | 'louvain' | 'kmeans';
  resolution?: number;
  nClusters?: number;
}

/** Registers `cluster` on the program. */
export function registerCluster(program: Command): Command {
  return registerStepCommand<ClusterFlags>(program, {
    name: 'cluster',
    description: 'Cluster cells: Leiden or Louvain on the SNN graph (run neighbors first), or k-means on the PCs',
    flags: (cmd) => cmd
      .addOption(new Option('--method <m>', 'clustering method (default run.cluster of the config: leiden)').choices(['leiden', 'louvain', 'kmeans']))
      .option('--resolution <r>', 'graph clustering resolution', toNumber)
      .option('--n-clusters <int>', 'clusters for --method kmeans', toInt),
    example: '  cqamine cluster graph.h5ad --method leiden --resolution 0.8 -o clusters.h5ad\n  cqamine cluster pca.h5ad --method kmeans --n-clusters 10 -o clusters.h5ad',
    run: async (adata, config, f, rc) => {
      const method = f.method ?? config.run.cluster;
      if (method === 'kmeans') {
        const p = { ...config.kmeans };
        if (f.nClusters !== undefined) p.k = f.nClusters;
        return clusterKmeans(adata, p, rc);
      }
      const p = { ...config.cluster, method };
      if (f.resolution !== undefined) p.resolution = f.resolution;
      return clusterGraph(adata, p, rc);
    },
  });
}
