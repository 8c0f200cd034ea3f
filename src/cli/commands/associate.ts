/**
 * `cqamine associate IN -o OUT`: lot composition, cluster-share and gene-pseudobulk association
 * with lot potency readouts (numeric obs columns constant within each lot, as loaded from a sample
 * sheet) and ranked CQA candidates; uns.cqa, and with `--table-dir DIR` the tables of `cqamine run`.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { Json } from '../../core/adata.js';
import { associatePotency, cqaTables, type PotencyAssociation } from '../../cqa/associatePotency.js';
import { writeTable } from '../../io/writeTable.js';
import { collect, toInt } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface AssociateFlags {
  readout?: string[];
  condition?: string;
  k?: number;
  tableDir?: string;
}

/** The file tables of uns.cqa, through cqaTables (its columns are the contract of the tables). */
function tablesOfUns(cqa: Record<string, Json>) {
  // cqaTables reads only these fields, as columnar objects keyed by column name.
  const view = {
    composition: { table: cqa.composition },
    clusters: cqa.cluster_association,
    genes: cqa.gene_association,
    candidates: cqa.candidates,
    condition: cqa.condition_composition ? { composition: cqa.condition_composition, shift: cqa.condition_shift } : null,
  };
  return cqaTables(view as unknown as PotencyAssociation);
}

/** Registers `associate` on the program. */
export function registerAssociate(program: Command): Command {
  return registerStepCommand<AssociateFlags>(program, {
    name: 'associate',
    description: 'Associate cluster fractions and gene pseudobulks with lot readouts (obs columns) and rank CQA candidates',
    flags: (cmd) => cmd
      .option('--readout <name>', 'readout obs column (repeatable; default: every numeric column constant within lots)', collect)
      .option('--condition <name>', 'analysed condition when obs condition has several')
      .option('--k <int>', 'neighbours in the kNN vote for unclustered cells', toInt)
      .option('--table-dir <dir>', 'also write composition, cluster_association, gene_association and cqa_candidates .tsv here'),
    example: '  cqamine associate markers.h5ad --readout vegf_hypoxia --table-dir tables/ -o cqa.h5ad',
    run: async (adata, config, f, rc) => {
      const readouts = f.readout ?? (config.run.readouts.length > 0 ? config.run.readouts : null);
      const p = { ...config.associate_potency, readouts, condition: f.condition ?? config.run.condition };
      if (f.k !== undefined) p.k = f.k;
      return associatePotency(adata, p, rc);
    },
    after: async (adata, f) => {
      if (f.tableDir === undefined) return;
      for (const [name, table] of Object.entries(tablesOfUns(adata.uns.cqa as Record<string, Json>))) await writeTable(join(f.tableDir, name), table);
    },
  });
}
