/**
 * `cqamine markers IN -o OUT`: marker genes of each cluster (one-vs-rest) or of one group against
 * another; uns.markers, and with `--table FILE` the top markers table (markers.tsv columns).
 */
import { Option, type Command } from 'commander';
import type { Json } from '../../core/adata.js';
import { findMarkers } from '../../markers/findMarkers.js';
import { writeTable, type TableColumn } from '../../io/writeTable.js';
import { toInt, toNumber } from '../parse.js';
import { registerStepCommand } from '../stepCommand.js';

interface MarkersFlags {
  test?: 'wilcoxon' | 'welch';
  nTop?: number;
  minPct?: number;
  logfcThreshold?: number;
  groupby?: string;
  groupA?: string;
  groupB?: string;
  table?: string;
}

/** Columns of the markers table (the markers.tsv contract of `cqamine run`). */
const MARKER_COLUMNS = ['cluster', 'rank', 'gene', 'gene_id', 'log2fc', 'auc', 'pct_in', 'pct_out', 'pval', 'padj'] as const;

/** Registers `markers` on the program. */
export function registerMarkers(program: Command): Command {
  return registerStepCommand<MarkersFlags>(program, {
    name: 'markers',
    description: 'Rank marker genes of each cluster against the rest (or --group-a against --group-b) on the log-normalized X',
    flags: (cmd) => cmd
      .addOption(new Option('--test <t>', 'differential test').choices(['wilcoxon', 'welch']))
      .option('--n-top <int>', 'markers kept per group', toInt)
      .option('--min-pct <x>', 'minimum fraction expressing in either group', toNumber)
      .option('--logfc-threshold <x>', 'minimum |log2 fold change|', toNumber)
      .option('--groupby <col>', "categorical obs column of the groups (default 'cluster')")
      .option('--group-a <label>', 'compare this group ...')
      .option('--group-b <label>', '... against this one (default: all other cells)')
      .option('--table <file>', 'also write the top markers table (.tsv, .csv, .json or .arrow)'),
    example: '  cqamine markers umap.h5ad --test wilcoxon --n-top 20 --table markers.tsv -o markers.h5ad\n  cqamine markers umap.h5ad --group-a 3 --group-b 5 -o m.h5ad',
    run: async (adata, config, f, rc) => {
      const p = { ...config.find_markers, groupby: f.groupby ?? 'cluster', groupA: f.groupA ?? null, groupB: f.groupB ?? null };
      if (f.test !== undefined) p.test = f.test;
      if (f.nTop !== undefined) p.nTop = f.nTop;
      if (f.minPct !== undefined) p.minPct = f.minPct;
      if (f.logfcThreshold !== undefined) p.logfcThreshold = f.logfcThreshold;
      return findMarkers(adata, p, rc);
    },
    after: async (adata, f) => {
      if (f.table === undefined) return;
      const t = (adata.uns.markers as { table: Record<string, Json> }).table;
      await writeTable(f.table, { columns: MARKER_COLUMNS.map((name) => ({ name, values: t[name] as TableColumn['values'] })) });
    },
  });
}
