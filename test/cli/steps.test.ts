import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { captureCliOutput } from '../helpers/cliOutput.js';
import type { AnnDataLite } from '../../src/core/adata.js';
import { createRng } from '../../src/core/rng.js';
import { readH5ad } from '../../src/io/readH5ad.js';
import { writeH5ad } from '../../src/io/writeH5ad.js';
import { loadLots } from '../../src/io/loadLots.js';
import { readSampleSheet } from '../../src/io/readSampleSheet.js';
import { defaultConfig } from '../../src/pipeline/pipelineConfig.js';
import { computeQcMetrics } from '../../src/qc/computeQcMetrics.js';
import { filterCells } from '../../src/qc/filterCells.js';
import { logNormalize } from '../../src/normalize/logNormalize.js';
import { selectHvgs } from '../../src/reduce/selectHvgs.js';
import { scaleData } from '../../src/reduce/scaleData.js';
import { runPca } from '../../src/reduce/runPca.js';
import { findNeighbors } from '../../src/neighbors/findNeighbors.js';
import { clusterGraph } from '../../src/cluster/clusterGraph.js';
import { fixture, tempDir } from '../helpers/paths.js';

const io = captureCliOutput();

const SEED = 7;
let dir = '';
/** Four fixture lots (1,200 cells x 2,000 genes) with the readout columns of the sheet in obs. */
let lotsH5ad = '';

const path = (name: string) => join(dir, name);
const read = async (name: string): Promise<AnnDataLite> => (await readH5ad(path(name), { prefer: 'X' })).adata;
const run = (...argv: string[]) => main(['--quiet', ...argv]);

function categories(a: AnnDataLite, key: string): { codes: Int32Array; names: readonly string[] } {
  const c = a.obs.require(key);
  if (c.kind !== 'categorical') throw new Error(`${key} is ${c.kind}`);
  return { codes: c.codes, names: c.categories };
}

/** Byte equality of two typed arrays (vitest's toEqual walks large typed arrays element by element, slowly). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

beforeAll(async () => {
  dir = tempDir('cqamine-steps-');
  const sheet = await readSampleSheet(fixture('lots', 'samples.csv'));
  const { adata } = await loadLots({ ...sheet, lots: sheet.lots.slice(0, 4) });
  lotsH5ad = path('lots.h5ad');
  await writeH5ad(lotsH5ad, adata);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cqamine step subcommands', () => {
  it('chain qc -> normalize -> reduce -> neighbors -> cluster -> umap -> markers gives the library clusters', async () => {
    expect(await run('qc', lotsH5ad, '--min-genes', '200', '--nmads', '3', '-o', path('qc.h5ad'))).toBe(0);
    expect(await run('normalize', path('qc.h5ad'), '--target-sum', '1e4', '-o', path('norm.h5ad'))).toBe(0);
    expect(await run('reduce', path('norm.h5ad'), '--n-top-genes', '500', '--batch-key', 'lot', '--n-comps', '20', '--seed', String(SEED), '-o', path('pca.h5ad'))).toBe(0);
    expect(await run('neighbors', path('pca.h5ad'), '--k', '15', '--n-pcs', '15', '-o', path('graph.h5ad'))).toBe(0);
    expect(await run('cluster', path('graph.h5ad'), '--method', 'leiden', '--resolution', '0.8', '--seed', String(SEED), '-o', path('clusters.h5ad'))).toBe(0);
    expect(await run('umap', path('clusters.h5ad'), '--n-epochs', '50', '--seed', String(SEED), '-o', path('umap.h5ad'))).toBe(0);
    expect(await run('markers', path('umap.h5ad'), '--test', 'wilcoxon', '--n-top', '10', '--table', path('markers.tsv'), '-o', path('markers.h5ad'))).toBe(0);
    expect(io.err).toBe('');

    // qc: verdicts kept, failing cells removed, X still the counts.
    const qc = await read('qc.h5ad');
    const passed = qc.obs.require('passed_qc');
    expect(passed.kind).toBe('bool');
    expect(qc.nObs).toBeLessThan(1200);
    expect(qc.nObs).toBeGreaterThan(900);
    if (passed.kind === 'bool') expect(passed.values.every((v) => v === 1)).toBe(true);
    expect(Number.isInteger(qc.X.data[0]) && Number.isInteger(qc.X.data[17])).toBe(true);
    expect(Object.keys(qc.uns)).toContain('qc_filter');

    // normalize: X log-normalized (row sums of expm1 = 1e4), layers.counts still the qc counts.
    const norm = await readH5ad(path('norm.h5ad'), { prefer: 'X' });
    const normCounts = await readH5ad(path('norm.h5ad'));
    expect(normCounts.countsSource).toBe('layers/counts');
    expect(sameBytes(normCounts.adata.X.data, qc.X.data)).toBe(true);
    let rowSum = 0;
    for (let k = norm.adata.X.indptr[0]; k < norm.adata.X.indptr[1]; k++) rowSum += Math.expm1(norm.adata.X.data[k]);
    expect(rowSum).toBeCloseTo(1e4, 0);

    // Library steps on the same input, same parameters and seed.
    const c = defaultConfig();
    const lib = async () => {
      const rc = { rng: createRng(SEED) };
      let a = (await readH5ad(lotsH5ad)).adata;
      a = await filterCells(await computeQcMetrics(a, c.qc_metrics, rc), { ...c.filter_cells, minGenes: 200, nmads: 3 }, rc);
      a = await logNormalize(a, { ...c.log_normalize, targetSum: 1e4 }, rc);
      a = await selectHvgs(a, { ...c.select_hvgs, nTopGenes: 500, batchKey: 'lot' }, rc);
      a = await runPca(await scaleData(a, c.scale_data, rc), { ...c.pca, nComps: 20 }, rc);
      a = await findNeighbors(a, { ...c.neighbors, nNeighbors: 15, nPcs: 15 }, rc);
      return clusterGraph(a, { ...c.cluster, method: 'leiden', resolution: 0.8 }, rc);
    };
    const direct = await lib();
    const fromCli = await read('markers.h5ad');
    expect(fromCli.nObs).toBe(direct.nObs);
    const cliClusters = categories(fromCli, 'cluster');
    const libClusters = categories(direct, 'cluster');
    expect(cliClusters.names).toEqual(libClusters.names);
    expect(cliClusters.names.length).toBeGreaterThanOrEqual(2);
    expect(Array.from(cliClusters.codes)).toEqual(Array.from(libClusters.codes));
    const pcCli = fromCli.obsm.X_pca.data;
    const pcLib = direct.obsm.X_pca.data;
    let maxDiff = 0;
    for (let t = 0; t < pcLib.length; t++) maxDiff = Math.max(maxDiff, Math.abs(pcCli[t] - pcLib[t]));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(fromCli.obsm.X_pca.nCols).toBe(20);

    // The last file carries every step's output, the counts and the history.
    expect(fromCli.obsm.X_umap.nCols).toBe(2);
    expect(Object.keys(fromCli.obsp)).toEqual(expect.arrayContaining(['distances', 'connectivities', 'snn']));
    expect(fromCli.history.map((h) => h.step)).toEqual(['qc_metrics', 'filter_cells', 'log_normalize', 'select_hvgs', 'scale_data', 'pca', 'neighbors', 'cluster', 'umap', 'find_markers']);
    const markers = fromCli.uns.markers as { table: { cluster: string[]; rank: ArrayLike<number> } };
    const lines = readFileSync(path('markers.tsv'), 'utf8').trimEnd().split('\n');
    expect(lines[0].split('\t')).toEqual(['cluster', 'rank', 'gene', 'gene_id', 'log2fc', 'auc', 'pct_in', 'pct_out', 'pval', 'padj']);
    expect(lines.length - 1).toBe(markers.table.cluster.length);
    expect(lines[1].split('\t').slice(0, 2)).toEqual([markers.table.cluster[0], '1']);
    expect(lines[1].split('\t')[3]).toMatch(/^ENSG/);
  });

  it('associate writes uns.cqa and the tables; report renders the analysed file', async () => {
    expect(await run('associate', path('markers.h5ad'), '--readout', 'vegf_hypoxia', '--table-dir', path('tables'), '--seed', String(SEED), '-o', path('cqa.h5ad'))).toBe(0);
    const cqa = (await read('cqa.h5ad')).uns.cqa as Record<string, Record<string, ArrayLike<unknown>>>;
    expect(Object.keys(cqa)).toEqual(expect.arrayContaining(['composition', 'cluster_association', 'gene_association', 'candidates']));
    const nClusters = categories(await read('markers.h5ad'), 'cluster').names.length;
    // One association row per cluster for the one readout; composition rows lots x clusters.
    expect(cqa.cluster_association.readout.length).toBe(nClusters);
    expect(cqa.composition.lot.length).toBe(4 * nClusters);
    expect(readdirSync(path('tables')).sort()).toEqual(['cluster_association.tsv', 'composition.tsv', 'cqa_candidates.tsv', 'gene_association.tsv']);
    const header = (f: string) => readFileSync(join(path('tables'), f), 'utf8').split('\n')[0].split('\t');
    expect(header('composition.tsv')).toEqual(['lot', 'cluster', 'n_cells', 'fraction']);
    expect(header('cqa_candidates.tsv').slice(0, 5)).toEqual(['readout', 'rank', 'gene', 'gene_id', 'cluster']);

    expect(await run('report', path('cqa.h5ad'), '--title', 'Four lots', '-o', path('report.html'))).toBe(0);
    const html = readFileSync(path('report.html'), 'utf8');
    expect(html).toContain('Four lots');
    expect(html).toContain('fig-umap-cluster');
    expect(html).toContain('fig-association');
    expect(html).toContain('vegf_hypoxia');
    expect(html).not.toContain('no uns.cqa');

    // Without associate: the report says what is missing.
    expect(await run('report', path('umap.h5ad'), '-o', path('report2.html'))).toBe(0);
    const html2 = readFileSync(path('report2.html'), 'utf8');
    expect(html2).toContain('no uns.cqa in the input');
    expect(html2).toContain('no uns.markers in the input');
    expect(html2).toContain('fig-dotplot');
  });

  it('qc --keep-all only marks; cluster --method kmeans gives the asked number of clusters', async () => {
    expect(await run('qc', lotsH5ad, '--keep-all', '--max-pct-mito', '5', '-o', path('marked.h5ad'))).toBe(0);
    const marked = await read('marked.h5ad');
    expect(marked.nObs).toBe(1200);
    const passed = marked.obs.require('passed_qc');
    let n = 0;
    if (passed.kind === 'bool') for (const v of passed.values) n += v;
    expect(n).toBeLessThan(1200);
    expect(n).toBeGreaterThan(0);

    expect(await run('cluster', path('pca.h5ad'), '--method', 'kmeans', '--n-clusters', '3', '-o', path('km.h5ad'))).toBe(0);
    expect(categories(await read('km.h5ad'), 'cluster').names).toHaveLength(3);
  });

  it("reads stdin and writes stdout with '-' (qc - -o -)", async () => {
    const input = readFileSync(lotsH5ad);
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { chunks.push(chunk); done(); } });
    const stdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
    const stdout = Object.getOwnPropertyDescriptor(process, 'stdout')!;
    // Half-megabyte pieces, as a pipe delivers them.
    const pieces: Buffer[] = [];
    for (let o = 0; o < input.length; o += 1 << 19) pieces.push(input.subarray(o, o + (1 << 19)));
    Object.defineProperty(process, 'stdin', { value: Readable.from(pieces), configurable: true });
    Object.defineProperty(process, 'stdout', { value: sink, configurable: true });
    let code: number;
    try {
      code = await run('qc', '-', '-o', '-');
    } finally {
      Object.defineProperty(process, 'stdin', stdin);
      Object.defineProperty(process, 'stdout', stdout);
    }
    expect(code).toBe(0);
    writeFileSync(path('piped.h5ad'), Buffer.concat(chunks));
    const piped = await read('piped.h5ad');
    expect(await run('qc', lotsH5ad, '-o', path('qc-file.h5ad'))).toBe(0);
    const byFile = await read('qc-file.h5ad');
    expect(piped.nObs).toBe(byFile.nObs);
    expect(piped.nObs).toBeLessThan(1200);
    expect(piped.obsNames).toEqual(byFile.obsNames);
    expect(sameBytes(piped.X.data, byFile.X.data)).toBe(true);
    expect(sameBytes(piped.X.indices, byFile.X.indices)).toBe(true);
  });

  it('runs on a single converted sample (no lot column): HVGs without batches, --no-mads', async () => {
    expect(await run('convert', fixture('lots', 'BM01'), path('bm01.h5ad'))).toBe(0);
    expect(await run('qc', path('bm01.h5ad'), '--no-mads', '--min-genes', '200', '-o', path('bm01-qc.h5ad'))).toBe(0);
    expect(await run('normalize', path('bm01-qc.h5ad'), '-o', path('bm01-norm.h5ad'))).toBe(0);
    expect(await run('reduce', path('bm01-norm.h5ad'), '--n-top-genes', '300', '--n-comps', '10', '-o', path('bm01-pca.h5ad'))).toBe(0);
    const a = await read('bm01-pca.h5ad');
    const steps = Object.fromEntries(a.history.map((h) => [h.step, h.params as Record<string, unknown>]));
    expect(steps.filter_cells).toMatchObject({ nmads: null, minGenes: 200 });
    expect(steps.select_hvgs).toMatchObject({ batchKey: null, nTopGenes: 300 });
    expect(a.obsm.X_pca.nCols).toBe(10);
    const hv = a.var.require('highly_variable');
    let n = 0;
    if (hv.kind === 'bool') for (const v of hv.values) n += v;
    expect(n).toBe(300);
  });

  it('--config sets step parameters and flags override it', async () => {
    writeFileSync(path('cfg.json'), JSON.stringify({ neighbors: { nNeighbors: 10, nPcs: 10 } }));
    expect(await run('neighbors', path('pca.h5ad'), '--config', path('cfg.json'), '-o', path('g10.h5ad'))).toBe(0);
    const g10 = await read('g10.h5ad');
    expect(g10.obsp.distances.indptr[1] - g10.obsp.distances.indptr[0]).toBe(9); // k includes the cell itself
    expect(await run('neighbors', path('pca.h5ad'), '--config', path('cfg.json'), '--k', '5', '-o', path('g5.h5ad'))).toBe(0);
    const g5 = await read('g5.h5ad');
    expect(g5.obsp.distances.indptr[1] - g5.obsp.distances.indptr[0]).toBe(4);
    expect(g5.history.at(-1)!.params).toMatchObject({ nNeighbors: 5, nPcs: 10 });
  });

  it('exits 2 on an unknown config key, 3 on a missing input, 4 when a prerequisite step is missing', async () => {
    writeFileSync(path('bad.json'), JSON.stringify({ umap: { minDistance: 0.1 } }));
    expect(await run('umap', path('clusters.h5ad'), '--config', path('bad.json'), '-o', path('never.h5ad'))).toBe(2);
    expect(io.err).toMatch(/unknown config key 'umap.minDistance'/);
    io.err = '';
    expect(await run('qc', path('missing.h5ad'), '-o', path('never.h5ad'))).toBe(3);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).toContain('missing.h5ad');
    io.err = '';
    expect(await run('cluster', path('norm.h5ad'), '-o', path('never.h5ad'))).toBe(4);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).toMatch(/^cqamine: cluster needs obsp\.snn; run neighbors first/);
    io.err = '';
    expect(await run('umap', path('pca.h5ad'), '-o', path('never.h5ad'))).toBe(4);
    expect(io.err).toMatch(/umap needs obsp\.distances/);
    expect(await run('markers', path('norm.h5ad'), '-o', path('never.h5ad'))).toBe(4);
    expect(await run('normalize', path('qc.h5ad'), '--target-sum', 'abc', '-o', path('never.h5ad'))).toBe(2);
    expect(await run('normalize', path('qc.h5ad'))).toBe(2); // no --io.out
    expect(existsSync(path('never.h5ad'))).toBe(false);
  });
});
