/**
 * `cqamine run` end to end: the bundled simulated cohort (planted potency subpopulation and
 * marker known from fixtures/lots/truth), determinism across reruns and thread counts, the
 * report in a real browser, a one-lot real dataset without readouts, and bad inputs.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { setOutputSinks } from '../../src/cli/output.js';
import { fixture, sharedData, tempDir, testOutputDir } from '../helpers/paths.js';
import { inspectPage, loadPlaywright, withChromium } from '../helpers/browser.js';
import { adjustedRandIndex } from '../helpers/compare.js';

let out = '';
let restore: () => void = () => {};
beforeEach(() => {
  out = '';
  restore = setOutputSinks({ stdout: (t) => void (out += t), stderr: () => {} });
});
afterEach(() => restore());

/** Rows of a TSV as objects keyed by the header. */
function readTsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = header.split('\t');
  return lines.filter((l) => l !== '').map((l) => {
    const f = l.split('\t');
    return Object.fromEntries(names.map((n, t) => [n, f[t]]));
  });
}

const RESULT_FILES = ['analysis.h5ad', 'cells.tsv', 'cluster_association.tsv', 'composition.tsv', 'cqa_candidates.tsv', 'gene_association.tsv', 'manifest.json', 'markers.tsv', 'qc.tsv', 'report.html'];
const TABLES = ['cells.tsv', 'qc.tsv', 'composition.tsv', 'markers.tsv', 'cluster_association.tsv', 'gene_association.tsv', 'cqa_candidates.tsv'];

const work = tempDir('cqamine-run-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('cqamine run on the bundled cohort', () => {
  const outA = join(work, 'a');
  const outB = join(work, 'b');
  let summary: { clusters: number; cellsPooled: number; associations: { readout: string; cluster: string | null; topCandidates: string[] }[]; report: string };

  beforeAll(async () => {
    restore = setOutputSinks({ stdout: (t) => void (out += t), stderr: () => {} });
    out = '';
    const code = await main(['--quiet', 'run', '--samples', fixture('lots', 'samples.csv'), '--readout', 'vegf_hypoxia', '--readout', 'hgf_hypoxia', '--out', outA, '--json']);
    expect(code).toBe(0);
    summary = JSON.parse(out);
    restore();
  }, 900_000);

  it('writes every output with the contracted columns', () => {
    expect(readdirSync(outA).sort()).toEqual(RESULT_FILES);
    const header = (f: string) => readFileSync(join(outA, f), 'utf8').split('\n')[0].split('\t');
    expect(header('cells.tsv')).toEqual(['cell', 'lot', 'barcode', 'condition', 'n_counts', 'n_genes', 'pct_mito', 'passed_qc', 'in_pool', 'cluster', 'umap_1', 'umap_2']);
    expect(header('composition.tsv')).toEqual(['lot', 'cluster', 'n_cells', 'fraction']);
    expect(header('markers.tsv')).toEqual(['cluster', 'rank', 'gene', 'gene_id', 'log2fc', 'auc', 'pct_in', 'pct_out', 'pval', 'padj']);
    expect(header('cluster_association.tsv').slice(0, 10)).toEqual(['readout', 'cluster', 'n_lots', 'rho', 'pval', 'padj', 'pearson_r', 'model_coef', 'model_pval', 'loo_min_abs_rho']);
    expect(header('cqa_candidates.tsv').slice(0, 14)).toEqual(['readout', 'rank', 'gene', 'gene_id', 'cluster', 'score', 'marker_log2fc', 'marker_auc', 'marker_padj', 'cluster_rho', 'cluster_padj', 'gene_rho', 'gene_pval', 'gene_padj']);
    expect(header('qc.tsv').slice(0, 2)).toEqual(['lot', 'cells_in']);
    // 11 lots x 300 cells; every cell listed once; pooled = min lot size after QC x 11.
    const cells = readTsv(join(outA, 'cells.tsv'));
    expect(cells.length).toBe(3300);
    const pooled = cells.filter((c) => c.in_pool === 'true').length;
    expect(pooled).toBe(summary.cellsPooled);
    const qc = readTsv(join(outA, 'qc.tsv'));
    const minKept = Math.min(...qc.map((r) => Number(r.cells_kept)));
    expect(pooled).toBe(11 * minKept);
    expect(qc.every((r) => Number(r.cells_pooled) === minKept)).toBe(true);
    // Fractions of each lot sum to 1 over clusters.
    const comp = readTsv(join(outA, 'composition.tsv'));
    for (const lot of new Set(comp.map((r) => r.lot))) {
      const s = comp.filter((r) => r.lot === lot).reduce((a, r) => a + Number(r.fraction), 0);
      expect(s).toBeCloseTo(1, 12);
    }
    const manifest = JSON.parse(readFileSync(join(outA, 'manifest.json'), 'utf8'));
    expect(manifest.seed).toBe(0);
    expect(manifest.inputs.length).toBeGreaterThanOrEqual(1 + 11 * 3);
    expect(manifest.outputs.map((o: { path: string }) => o.path).sort()).toEqual(RESULT_FILES.filter((f) => f !== 'manifest.json'));
    expect(manifest.outputs.every((o: { sha256: string }) => /^[0-9a-f]{64}$/.test(o.sha256))).toBe(true);
  });

  it('removes the planted low-quality cells and recovers the true subpopulations (ARI >= 0.9)', () => {
    const truth = new Map(readTsv(fixture('lots', 'truth', 'cells.tsv')).map((t) => [`${t.lot}:${t.barcode}`, t]));
    const cells = readTsv(join(outA, 'cells.tsv'));
    const lowQuality = cells.filter((c) => truth.get(c.cell)!.low_quality === '1');
    expect(lowQuality.length).toBeGreaterThan(100);
    const removed = lowQuality.filter((c) => c.passed_qc === 'false').length;
    expect(removed / lowQuality.length).toBeGreaterThanOrEqual(0.9);
    const kept = cells.filter((c) => c.passed_qc === 'true');
    // Normal cells lost to QC stay few (< 5%).
    expect(cells.length - lowQuality.length - kept.length + (lowQuality.length - removed)).toBeLessThan(0.05 * cells.length);
    const ari = adjustedRandIndex(kept.map((c) => c.cluster), kept.map((c) => truth.get(c.cell)!.subpopulation));
    expect(ari).toBeGreaterThanOrEqual(0.9);
  });

  it('finds the planted potency subpopulation as the top vegf_hypoxia cluster, with LRRC75A among the top 5 candidates', () => {
    // The cluster holding most of the simulator's potency subpopulation (SP3) cells.
    const truth = readTsv(fixture('lots', 'truth', 'cells.tsv'));
    const params = JSON.parse(readFileSync(fixture('lots', 'truth', 'params.json'), 'utf8'));
    const sub = new Map(truth.map((t) => [`${t.lot}:${t.barcode}`, t.subpopulation]));
    const cells = readTsv(join(outA, 'cells.tsv')).filter((c) => c.cluster !== '');
    const potencyCounts = new Map<string, number>();
    for (const c of cells) if (sub.get(c.cell) === params.potency_subpop) potencyCounts.set(c.cluster, (potencyCounts.get(c.cluster) ?? 0) + 1);
    const potencyCluster = [...potencyCounts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    // The cluster is pure: >= 90% of its cells are potency cells.
    const inCluster = cells.filter((c) => c.cluster === potencyCluster);
    expect(inCluster.filter((c) => sub.get(c.cell) === params.potency_subpop).length / inCluster.length).toBeGreaterThan(0.9);

    const assoc = readTsv(join(outA, 'cluster_association.tsv'));
    const vegf = assoc.filter((a) => a.readout === 'vegf_hypoxia').sort((a, b) => Number(a.pval) - Number(b.pval));
    expect(vegf[0].cluster).toBe(potencyCluster);
    expect(Number(vegf[0].rho)).toBeGreaterThan(0.8);
    expect(Number(vegf[0].padj)).toBeLessThan(0.01);
    // hgf_hypoxia is unrelated to composition: nothing passes FDR 0.05.
    const hgf = assoc.filter((a) => a.readout === 'hgf_hypoxia');
    expect(hgf.length).toBe(summary.clusters);
    expect(hgf.every((a) => Number(a.padj) >= 0.05)).toBe(true);

    const cand = readTsv(join(outA, 'cqa_candidates.tsv')).filter((c) => c.readout === 'vegf_hypoxia');
    const top5 = cand.slice(0, 5).map((c) => c.gene);
    expect(top5).toContain(params.marker);
    expect(summary.associations[0]).toMatchObject({ readout: 'vegf_hypoxia', cluster: potencyCluster });
  });

  it('gives byte-identical tables when rerun with the same seed and 2 threads', async () => {
    const code = await main(['--quiet', 'run', '--samples', fixture('lots', 'samples.csv'), '--readout', 'vegf_hypoxia', '--readout', 'hgf_hypoxia', '--out', outB, '--threads', '2', '--no-report']);
    expect(code).toBe(0);
    for (const t of TABLES) expect(readFileSync(join(outB, t), 'utf8'), t).toBe(readFileSync(join(outA, t), 'utf8'));
    expect(existsSync(join(outB, 'report.html'))).toBe(false);
  }, 900_000);

  it('renders the report in headless Chromium with every figure drawn', async () => {
    const pw = await loadPlaywright();
    if (typeof pw === 'string') {
      console.warn(`browser check of the run report skipped: ${pw}`);
      return;
    }
    const shot = join(testOutputDir('run'), 'report.png');
    const page = await withChromium(pw, (p) => inspectPage(p, join(outA, 'report.html'), shot));
    expect(page.ok).toBe(true);
    expect(page.consoleErrors).toEqual([]);
    expect(page.failed).toEqual([]);
    expect(page.requested).toEqual([page.url]);
    expect(page.figures.map((f) => f.id)).toEqual(['fig-umap-cluster', 'fig-umap-lot', 'fig-composition', 'fig-association', 'fig-dotplot']);
    for (const f of page.figures) {
      expect(f.width, f.id).toBeGreaterThan(100);
      expect(f.marks, f.id).toBeGreaterThanOrEqual(1);
    }
    expect(existsSync(shot)).toBe(true);
  });

  it('writes an h5ad that python anndata opens with the pooled cells, PCA, UMAP and clusters', () => {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import anndata'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.warn('anndata check skipped: /usr/bin/python3 cannot import anndata (apt-get install -y python3-anndata)');
      return;
    }
    const script = `import anndata, json, sys\na = anndata.read_h5ad(sys.argv[1])\nprint(json.dumps({"shape": list(a.shape), "obsm": sorted(a.obsm.keys()), "obsp": sorted(a.obsp.keys()), "layers": sorted(a.layers.keys()), "clusters": int(a.obs["cluster"].nunique()), "pca": list(a.obsm["X_pca"].shape)}))`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, join(outA, 'analysis.h5ad')], { encoding: 'utf8' });
    expect(r.stderr.includes('Error') ? r.stderr : '').toBe('');
    const info = JSON.parse(r.stdout);
    expect(info.shape[0]).toBe(summary.cellsPooled);
    expect(info.obsm).toEqual(expect.arrayContaining(['X_pca', 'X_umap']));
    expect(info.obsp).toEqual(expect.arrayContaining(['connectivities', 'distances']));
    expect(info.layers).toContain('counts');
    expect(info.clusters).toBe(summary.clusters);
    expect(info.pca).toEqual([summary.cellsPooled, 50]);
  });
});

describe('cqamine run edge cases', () => {
  /** Writes a sample sheet into a fresh folder and returns its path. */
  function sheet(name: string, text: string): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'samples.csv');
    writeFileSync(path, text);
    return path;
  }
  const lot = (l: string) => fixture('lots', l);

  it('runs one real lot (pbmc3k) without readouts: association skipped with a note, not an error', async () => {
    const s = sheet('pbmc', `lot,path\npbmc3k,${sharedData('pbmc3k')}\n`);
    const outDir = join(work, 'pbmc-out');
    const code = await main(['--quiet', 'run', '--samples', s, '--out', outDir, '--json', '--no-h5ad', '--no-report', '--cells-per-lot', 'all']);
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.lots).toBe(1);
    expect(summary.cells).toBe(2700);
    expect(summary.clusters).toBeGreaterThanOrEqual(5);
    expect(summary.notes.join(' ')).toMatch(/no numeric readout columns: potency association skipped/);
    expect(readTsv(join(outDir, 'cluster_association.tsv'))).toEqual([]);
    expect(readTsv(join(outDir, 'markers.tsv')).length).toBeGreaterThan(50);
  }, 900_000);

  it('skips association with a warning when fewer than 3 lots have the readout, and drops a lot with no cells after QC', async () => {
    const s = sheet('few', `lot,path,vegf_hypoxia\nBM01,${lot('BM01')},300\nBM02,${lot('BM02')},400\nBM03,${lot('BM03')},\nTINY,${fixture('tiny', 'v3_mtx')},500\n`);
    const outDir = join(work, 'few-out');
    const code = await main(['--quiet', 'run', '--samples', s, '--out', outDir, '--json', '--no-h5ad', '--no-report']);
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    const notes = summary.notes.join('\n');
    expect(notes).toMatch(/lot 'TINY' has no cells after QC and is left out/);
    expect(notes).toMatch(/readout 'vegf_hypoxia' is observed in 2 lot\(s\) with cells; association needs at least \d+: skipped/);
    expect(readTsv(join(outDir, 'composition.tsv')).every((r) => r.lot !== 'TINY')).toBe(true);
  }, 900_000);

  it('analyses one condition of a two-condition cohort and maps the other onto its clusters', async () => {
    const cohort = join(work, 'cond');
    expect(await main(['--quiet', 'simulate', '--out', cohort, '--lots', '5', '--cells-per-lot', '150', '--genes', '800', '--conditions', 'normoxia,ischemia'])).toBe(0);
    const outDir = join(work, 'cond-out');
    out = '';
    const code = await main(['--quiet', 'run', '--samples', join(cohort, 'samples.csv'), '--condition', 'ischemia', '--out', outDir, '--json', '--no-h5ad', '--no-report']);
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect([summary.lots, summary.samples, summary.cells]).toEqual([5, 10, 1500]);
    // Every QC-passed cell of both conditions has a cluster; only ischemia cells are pooled.
    const cells = readTsv(join(outDir, 'cells.tsv'));
    expect(new Set(cells.map((c) => c.cell)).size).toBe(1500);
    expect(cells.filter((c) => c.passed_qc === 'true').every((c) => c.cluster !== '')).toBe(true);
    expect(cells.filter((c) => c.in_pool === 'true').every((c) => c.condition === 'ischemia')).toBe(true);
    // Composition per condition: both conditions, 5 lots each, fractions summing to 1 per lot.
    const byCondition = readTsv(join(outDir, 'condition_composition.tsv'));
    expect(new Set(byCondition.map((r) => r.condition))).toEqual(new Set(['ischemia', 'normoxia']));
    for (const c of ['ischemia', 'normoxia']) {
      for (const lotName of ['BM01', 'BM05']) {
        const sum = byCondition.filter((r) => r.condition === c && r.lot === lotName).reduce((a, r) => a + Number(r.fraction), 0);
        expect(sum).toBeCloseTo(1, 12);
      }
    }
    // Same lots, same composition model in both conditions: shifts are small.
    const shifts = readTsv(join(outDir, 'condition_shift.tsv')).map((r) => Math.abs(Number(r.shift))).filter((x) => !Number.isNaN(x));
    expect(shifts.length).toBeGreaterThan(0);
    expect(Math.max(...shifts)).toBeLessThan(0.2);
  }, 900_000);

  it.each([
    ['a missing readout column', 'missing-ro', () => ['--samples', fixture('lots', 'samples.csv'), '--readout', 'il6'], 3, /expected a readout column 'il6'/],
    ['a non-numeric readout column', 'text-ro', () => ['--samples', sheet('text', `lot,path,operator\nBM01,${lot('BM01')},alice\nBM02,${lot('BM02')},bob\n`), '--readout', 'operator'], 3, /expected numeric values in readout column 'operator'/],
    ['a readout with a non-numeric value', 'bad-value', () => ['--samples', sheet('badv', `lot,path,vegf\nBM01,${lot('BM01')},12\nBM02,${lot('BM02')},high\n`)], 3, /line 3, column 'vegf'/],
    ['duplicate lots', 'dup', () => ['--samples', sheet('dup', `lot,path\nBM01,${lot('BM01')}\nBM01,${lot('BM02')}\n`)], 3, /unique lot IDs/],
    ['an unknown config key', 'cfg', () => { const c = join(work, 'bad.json'); writeFileSync(c, '{"cluster": {"resolutoin": 1}}'); return ['--samples', fixture('lots', 'samples.csv'), '--config', c]; }, 2, /unknown config key 'cluster.resolutoin'/],
    ['all lots empty after QC', 'empty', () => { const c = join(work, 'strict.json'); writeFileSync(c, '{"filter_cells": {"minGenes": 100000}}'); return ['--samples', fixture('lots', 'samples.csv'), '--config', c]; }, 4, /removed all 3300 cells/],
  ])('rejects %s with a one-line message and leaves nothing in --out', async (_what, name, args, exitCode, message) => {
    const outDir = join(work, `err-${name}`);
    let err = '';
    restore();
    restore = setOutputSinks({ stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
    const code = await main(['--quiet', 'run', ...args(), '--out', outDir]);
    expect(code).toBe(exitCode);
    expect(err).toMatch(message as RegExp);
    expect(err.trim().split('\n').length).toBe(1);
    expect(existsSync(outDir)).toBe(false);
    expect(readdirSync(work).filter((f) => f.startsWith(`.err-${name}`))).toEqual([]);
  });
});
