/**
 * `cqamine reduce IN -o OUT`: highly variable genes (select_hvgs), scaling (scale_data) and PCA
 * (pca) in one go, since the scaled matrix is large and only PCA needs it.
 */
import { Option, type Command } from 'commander';
import { selectHvgs } from '../../reduce/selectHvgs.js';
import { scaleData } from '../../reduce/scaleData.js';
import { runPca } from '../../reduce/runPca.js';
import { defaultConfig } from '../../pipeline/pipelineConfig.js';
import { toInt, toNumber } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface ReduceFlags {
  nTopGenes?: number;
  batchKey?: string;
  flavor?: 'vst' | 'dispersion';
  maxValue?: number;
  nComps?: number;
  pcaMethod?: 'auto' | 'randomized' | 'exact';
}

/** Registers `reduce` on the program. */
export function registerReduce(program: Command): Command {
  return registerStepCommand<ReduceFlags>(program, {
    name: 'reduce',
    description: 'Select highly variable genes (per batch), scale them and run PCA (obsm X_pca, varm PCs)',
    flags: (cmd) => cmd
      .option('--n-top-genes <n>', 'highly variable genes kept', toInt)
      .option('--batch-key <col>', "obs column of batches ranked separately, or 'none' (default 'lot' when obs has it)")
      .addOption(new Option('--flavor <f>', 'HVG method').choices(['vst', 'dispersion']))
      .option('--max-value <x>', 'clip scaled values at this value', toNumber)
      .option('--n-comps <n>', 'principal components', toInt)
      .addOption(new Option('--pca-method <m>', 'SVD method').choices(['auto', 'randomized', 'exact'])),
    example: '  cqamine reduce norm.h5ad --n-top-genes 2000 --batch-key lot --n-comps 50 -o pca.h5ad',
    run: async (adata, config, f, rc) => {
      const hv = { ...config.select_hvgs };
      if (f.nTopGenes !== undefined) hv.nTopGenes = f.nTopGenes;
      if (f.flavor !== undefined) hv.flavor = f.flavor;
      if (f.batchKey !== undefined) hv.batchKey = f.batchKey === 'none' ? null : f.batchKey;
      // The default batch key 'lot' only applies to data that has lots (a single converted sample has none).
      else if (hv.batchKey === defaultConfig().select_hvgs.batchKey && hv.batchKey !== null && !adata.obs.has(hv.batchKey)) hv.batchKey = null;
      const sc = { ...config.scale_data };
      if (f.maxValue !== undefined) sc.maxValue = f.maxValue;
      const pca = { ...config.pca };
      if (f.nComps !== undefined) pca.nComps = f.nComps;
      if (f.pcaMethod !== undefined) pca.method = f.pcaMethod;
      const withHvgs = await selectHvgs(adata, hv, rc);
      return runPca(await scaleData(withHvgs, sc, rc), pca, rc);
    },
  });
}
