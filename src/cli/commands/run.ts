/**
 * `cqamine run`: the whole analysis from a sample sheet to tables, an h5ad and an HTML report.
 * Precedence: defaults < --config file < command-line flags.
 */
import { Command, Option } from 'commander';
import { resolve, join } from 'node:path';
import { loadConfig } from '../../pipeline/loadConfig.js';
import { runPipeline, type PipelineResult } from '../../pipeline/runPipeline.js';
import { writeRunOutputs } from '../../pipeline/writeRunOutputs.js';
import { OutputStage } from '../../pipeline/outputStage.js';
import { digestPath, type FileDigest } from '../../pipeline/manifest.js';
import type { PipelineConfig } from '../../pipeline/pipelineConfig.js';
import { UsageError } from '../../core/errors.js';
import { globalOptions, loggerFor } from '../context.js';
import { createProgress } from '../progress.js';
import { writeJsonResult, writeResult } from '../output.js';
import { collect, toInt, toIntOrKeyword, toNumber } from '../parse.js';

interface RunFlags {
  samples?: string;
  readout?: string[];
  out?: string;
  config?: string;
  seed?: number;
  cellsPerLot?: number | 'min' | 'all';
  condition?: string;
  cluster?: 'leiden' | 'louvain' | 'kmeans';
  resolution?: number;
  k?: number;
  nClusters?: number;
  threads?: number;
  format?: 'tsv' | 'csv' | 'arrow';
  h5ad: boolean;
  report: boolean;
  json: boolean;
}

/** Applies command-line flags over a config. */
export function applyRunFlags(config: PipelineConfig, f: RunFlags): PipelineConfig {
  const c = structuredClone(config);
  if (f.samples !== undefined) c.run.samples = f.samples;
  if (f.readout !== undefined) c.run.readouts = f.readout;
  if (f.out !== undefined) c.run.out = f.out;
  if (f.seed !== undefined) c.run.seed = f.seed;
  if (f.threads !== undefined) c.run.threads = f.threads;
  if (f.condition !== undefined) c.run.condition = f.condition;
  if (f.cluster !== undefined) c.run.cluster = f.cluster;
  if (f.format !== undefined) c.run.format = f.format;
  if (f.h5ad === false) c.run.h5ad = false;
  if (f.report === false) c.run.report = false;
  if (f.cellsPerLot !== undefined) c.balance_lots.cellsPerLot = f.cellsPerLot;
  if (f.resolution !== undefined) c.cluster.resolution = f.resolution;
  if (f.k !== undefined) c.neighbors.nNeighbors = f.k;
  if (f.nClusters !== undefined) c.kmeans.k = f.nClusters;
  return c;
}

/** The run summary printed on stdout. */
export function runSummary(r: PipelineResult, outDir: string, files: readonly string[]) {
  const topClusters = r.readouts.map((ro) => {
    const a = r.association!.clusters;
    let best = -1;
    for (let t = 0; t < a.readout.length; t++) {
      if (a.readout[t] !== ro.name || Number.isNaN(a.pval[t])) continue;
      if (best < 0 || a.pval[t] < a.pval[best] || (a.pval[t] === a.pval[best] && Math.abs(a.rho[t]) > Math.abs(a.rho[best]))) best = t;
    }
    const c = r.association!.candidates;
    const genes: string[] = [];
    for (let t = 0; t < c.gene.length && genes.length < 5; t++) if (c.readout[t] === ro.name) genes.push(c.gene[t]);
    return best < 0
      ? { readout: ro.name, cluster: null, rho: null, pval: null, padj: null, topCandidates: genes }
      : { readout: ro.name, cluster: a.cluster[best], rho: a.rho[best], pval: a.pval[best], padj: a.padj[best], topCandidates: genes };
  });
  let passed = 0;
  const pq = r.allCells.obs.require('passed_qc');
  if (pq.kind === 'bool') for (const v of pq.values) passed += v;
  return {
    out: outDir,
    report: r.config.run.report ? join(outDir, 'report.html') : null,
    samples: r.lots.length,
    lots: new Set(r.lots.map((l) => l.lot)).size,
    cells: r.allCells.nObs,
    cellsPassedQc: passed,
    cellsPooled: r.pool.nObs,
    genes: r.pool.nVars,
    clusters: r.clusterNames.length,
    associations: topClusters,
    notes: r.notes,
    files: files.map((f) => join(outDir, f)),
  };
}

function formatSummary(s: ReturnType<typeof runSummary>): string {
  const lines = [
    `lots ${s.lots}${s.samples !== s.lots ? ` (${s.samples} samples)` : ''}, cells ${s.cells} (passed QC ${s.cellsPassedQc}, pooled ${s.cellsPooled}), genes ${s.genes}, clusters ${s.clusters}`,
  ];
  for (const a of s.associations) {
    lines.push(a.cluster === null
      ? `${a.readout}: no cluster could be tested`
      : `${a.readout}: top cluster ${a.cluster} (Spearman rho ${a.rho!.toFixed(3)}, p ${a.pval!.toPrecision(3)}, FDR ${a.padj!.toPrecision(3)}); top CQA candidates: ${a.topCandidates.join(', ') || 'none'}`);
  }
  for (const n of s.notes) lines.push(`note: ${n}`);
  lines.push(`results in ${s.out}`);
  if (s.report) lines.push(`report: ${s.report}`);
  return lines.join('\n');
}

export function registerRun(program: Command): Command {
  return program
    .command('run')
    .description('Run the whole analysis: QC, balanced pooling, clustering, markers and potency association, from a sample sheet to tables, an h5ad and an HTML report.')
    .option('--samples <file>', 'sample sheet (CSV/TSV): lot, path, [condition, source], readout columns')
    .option('--readout <name>', 'readout column to associate (repeatable; default: every numeric column)', collect)
    .option('--out <dir>', 'output directory (written only when the run succeeds)')
    .option('--config <file>', 'JSON config (see `cqamine defaults`); flags override it')
    .option('--seed <int>', 'seed of every random step', toInt)
    .option('--cells-per-lot <n|min|all>', 'cells pooled from each lot', toIntOrKeyword(['min', 'all']))
    .option('--condition <name>', 'analyse only this condition; others are mapped onto its clusters')
    .addOption(new Option('--cluster <method>', 'clustering method').choices(['leiden', 'louvain', 'kmeans']))
    .option('--resolution <r>', 'graph clustering resolution', toNumber)
    .option('--k <int>', 'neighbours per cell for the graph and UMAP', toInt)
    .option('--n-clusters <int>', 'clusters for --cluster kmeans', toInt)
    .option('--threads <int>', "worker threads (default: the machine's cores, at most 8; results do not depend on it)", toInt)
    .addOption(new Option('--format <fmt>', 'table format').choices(['tsv', 'csv', 'arrow']))
    .option('--no-h5ad', 'do not write analysis.h5ad')
    .option('--no-report', 'do not write report.html')
    .option('--json', 'print the run summary as JSON', false)
    .addHelpText('after', `
Outputs in --out: cells, qc, composition, markers, cluster_association, gene_association and
cqa_candidates tables (.tsv by default), analysis.h5ad, report.html and manifest.json.

Example:
  cqamine run --samples fixtures/lots/samples.csv --readout vegf_hypoxia --out results/`)
    .action(async (flags: RunFlags, cmd: Command) => {
      const log = loggerFor(cmd);
      const config = applyRunFlags(loadConfig(flags.config ?? null), flags);
      if (!config.run.samples) throw new UsageError('run needs --samples FILE (or run.samples in the config)');
      if (!config.run.out) throw new UsageError('run needs --out DIR (or run.out in the config)');
      const outDir = resolve(config.run.out);
      const stage = new OutputStage(outDir);
      try {
        const progress = createProgress(log, globalOptions(cmd).quiet);
        const result = await runPipeline(config, log, progress);
        const inputs: FileDigest[] = await digestPath(result.sheet.path, 'samples');
        for (const l of result.lots) inputs.push(...(await digestPath(l.path, l.lot)));
        const files = await writeRunOutputs(result, stage, inputs);
        stage.commit();
        const summary = runSummary(result, outDir, [...files, 'manifest.json']);
        if (flags.json) writeJsonResult(summary);
        else writeResult(formatSummary(summary));
      } catch (e) {
        stage.abort();
        throw e;
      }
    });
}
