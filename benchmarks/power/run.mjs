#!/usr/bin/env node
/**
 * Power and calibration of the whole `cqamine run` analysis on simulated cohorts.
 *
 * Effect seeds (default 1..20): `cqamine simulate --seed S` (11 lots, default effect 2000) then
 * `cqamine run --no-report --no-h5ad` with default settings. Per seed: the planted cluster (the cluster
 * holding most truth potency cells), the top vegf_hypoxia cluster by permutation p-value, its rho/padj,
 * and the rank of the planted marker among the vegf_hypoxia CQA candidates.
 * Null seeds (default 101..120): the same with `--effect 0`. Per seed: the smallest cluster-readout padj
 * (BH over every readout x cluster test of the run). Null p-values pooled for the KS check: every
 * cluster-readout p-value of both readouts on null seeds, plus hgf_hypoxia (never related to
 * composition) on effect seeds.
 *
 * Targets (project issue): planted cluster on top in >= 18/20 effect seeds, marker in the top 5
 * candidates in >= 18/20; at most 3/20 null seeds with any cluster-readout padj < 0.1; null p-values
 * calibrated: no excess of small p-values (one-sided KS D+ below the 1% value 1.517 / sqrt(N)); the
 * two-sided KS distance (1.63 / sqrt(N)) is reported too.
 *
 * Usage: npm run build && node benchmarks/power/run.mjs [--only effect|null] [--threads 2] [--force]
 *        [--umap-epochs 5 (0 = default)] [--cqamine path/to/bin/cqamine.js]
 * Cohorts and run outputs go to benchmarks/.cache/power/ (git-ignored); each seed's summary is cached
 * there as seed_<S>.json and reused unless --force (so a second process can share the seed list:
 * `--only effect` and `--only null` may run concurrently, then a plain run collects everything).
 * Writes benchmarks/power/results.json and benchmarks/power/results.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { ksExcessSmallP, ksUniformDistance } from '../../dist/stats/ks.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const CACHE = join(ROOT, 'benchmarks', '.cache', 'power');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : dflt;
};
const ONLY = opt('--only', 'all');
const THREADS = opt('--threads', '2');
const FORCE = args.includes('--force');
// UMAP runs after clustering and feeds only the umap columns of cells.tsv (every random step draws
// from rng.fork(stepName), so no other step's stream moves): fewer epochs leave every table used
// here unchanged and save most of the run time. 0 = the default epoch rule.
const UMAP_EPOCHS = Number(opt('--umap-epochs', '5'));
// The launcher to run; a frozen copy of bin/ + dist/ keeps all seeds on one build while the tree changes.
const CQAMINE = resolve(opt('--cqamine', join(ROOT, 'bin', 'cqamine.js')));
const EFFECT_SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const NULL_SEEDS = Array.from({ length: 20 }, (_, i) => i + 101);
const VEGF = 'vegf_hypoxia';
const HGF = 'hgf_hypoxia';

/** Reads a TSV file into an array of records keyed by header names. */
function readTsv(path) {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    const r = {};
    for (let j = 0; j < head.length; j++) r[head[j]] = f[j];
    return r;
  });
}

/** Runs `node bin/cqamine.js ...argv`, throwing with its stderr on a non-zero exit. */
function cqamine(argv) {
  const r = spawnSync('node', [CQAMINE, '--quiet', ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`cqamine ${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/**
 * Summarises one analysed cohort: planted cluster, top vegf cluster, marker rank, null p-values.
 * test/golden/powerSimulated.test.ts applies the same rules in-process.
 */
function summarise(simDir, outDir) {
  const params = JSON.parse(readFileSync(join(simDir, 'truth', 'params.json'), 'utf8'));
  const potency = params.potency_subpop;
  const marker = params.params.marker;
  const effect = params.params.effect;
  // Truth label per lot/barcode (barcodes repeat across lots, so the key holds both).
  const truth = new Map();
  for (const r of readTsv(join(simDir, 'truth', 'cells.tsv'))) truth.set(`${r.lot}\t${r.barcode}`, r.subpopulation);
  const potencyIn = new Map();
  const sizeOf = new Map();
  let potencyClustered = 0;
  for (const r of readTsv(join(outDir, 'cells.tsv'))) {
    if (r.cluster === '' || r.cluster === undefined || r.cluster === 'NA') continue;
    sizeOf.set(r.cluster, (sizeOf.get(r.cluster) ?? 0) + 1);
    if (truth.get(`${r.lot}\t${r.barcode}`) === potency) {
      potencyIn.set(r.cluster, (potencyIn.get(r.cluster) ?? 0) + 1);
      potencyClustered++;
    }
  }
  let planted = null;
  for (const [c, n] of potencyIn) if (planted === null || n > potencyIn.get(planted)) planted = c;
  const assoc = readTsv(join(outDir, 'cluster_association.tsv')).map((r) => ({
    readout: r.readout, cluster: r.cluster, rho: Number(r.rho), pval: Number(r.pval), padj: Number(r.padj),
  }));
  const vegf = assoc.filter((a) => a.readout === VEGF);
  // Top cluster: smallest permutation p; ties broken by the larger rho (the planted effect is positive).
  const sorted = [...vegf].sort((a, b) => a.pval - b.pval || b.rho - a.rho);
  const top = sorted[0];
  const plantedRow = vegf.find((a) => a.cluster === planted);
  const tiedWithTop = vegf.filter((a) => a.pval === top.pval).length;
  const cands = readTsv(join(outDir, 'cqa_candidates.tsv')).filter((r) => r.readout === VEGF && r.gene === marker);
  const markerRank = cands.length === 0 ? null : Math.min(...cands.map((r) => Number(r.rank)));
  const nullRows = assoc.filter((a) => a.readout === HGF || (effect === 0 && a.readout === VEGF));
  const minPadj = (rows) => (rows.length === 0 ? null : Math.min(...rows.map((a) => a.padj)));
  return {
    effect,
    clusters: sizeOf.size,
    plantedCluster: planted,
    plantedCapture: potencyClustered > 0 ? potencyIn.get(planted) / potencyClustered : null,
    plantedPurity: planted === null ? null : potencyIn.get(planted) / sizeOf.get(planted),
    plantedRho: plantedRow?.rho ?? null,
    plantedPval: plantedRow?.pval ?? null,
    plantedPadj: plantedRow?.padj ?? null,
    topCluster: top.cluster,
    topRho: top.rho,
    topPval: top.pval,
    topPadj: top.padj,
    tiedWithTop,
    plantedOnTop: top.cluster === planted,
    markerRank,
    minPadjAll: minPadj(assoc),
    minPadjVegf: minPadj(vegf),
    minPadjHgf: minPadj(assoc.filter((a) => a.readout === HGF)),
    nullPvals: nullRows.map((a) => a.pval),
  };
}

/** Simulates, analyses and summarises one seed, caching the summary as seed_<S>.json. */
function runSeed(seed, effect) {
  const cacheFile = join(CACHE, `seed_${seed}.json`);
  if (!FORCE && existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8'));
  const simDir = join(CACHE, `sim_${seed}`);
  const outDir = join(CACHE, `out_${seed}`);
  const simArgs = ['simulate', '--out', simDir, '--seed', String(seed), ...(effect === 0 ? ['--effect', '0'] : [])];
  const config = join(CACHE, `umap_epochs_${UMAP_EPOCHS}.json`);
  if (UMAP_EPOCHS > 0) writeFileSync(config, `${JSON.stringify({ umap: { nEpochs: UMAP_EPOCHS } })}\n`);
  const runArgs = ['run', '--samples', join(simDir, 'samples.csv'), '--out', outDir, '--no-report', '--no-h5ad', '--threads', THREADS, ...(UMAP_EPOCHS > 0 ? ['--config', config] : [])];
  const t0 = performance.now();
  cqamine(simArgs);
  const t1 = performance.now();
  rmSync(outDir, { recursive: true, force: true });
  cqamine(runArgs);
  const t2 = performance.now();
  const res = {
    seed,
    commands: [`node bin/cqamine.js ${simArgs.join(' ')}`, `node bin/cqamine.js ${runArgs.join(' ')}`].map((c) => c.replaceAll(`${ROOT}/`, '')),
    ...summarise(simDir, outDir),
    simulateSeconds: Math.round((t1 - t0) / 100) / 10,
    runSeconds: Math.round((t2 - t1) / 100) / 10,
    loadAverage: Math.round(os.loadavg()[0] * 10) / 10,
  };
  writeFileSync(cacheFile, `${JSON.stringify(res)}\n`);
  console.log(JSON.stringify({ ...res, nullPvals: res.nullPvals.length }));
  return res;
}

mkdirSync(CACHE, { recursive: true });
const effectRuns = ONLY === 'null' ? [] : EFFECT_SEEDS.map((s) => runSeed(s, 2000));
const nullRuns = ONLY === 'effect' ? [] : NULL_SEEDS.map((s) => runSeed(s, 0));
if (ONLY !== 'all') process.exit(0);

const fmt = (x, d = 3) => (x === null || x === undefined ? 'NA' : Number(x).toPrecision(d));
const plantedOnTop = effectRuns.filter((r) => r.plantedOnTop).length;
const markerTop5 = effectRuns.filter((r) => r.markerRank !== null && r.markerRank <= 5).length;
const nullFdrHits = nullRuns.filter((r) => r.minPadjAll < 0.1).length;
const nullP = [...nullRuns, ...effectRuns].flatMap((r) => r.nullPvals);
const ks = ksUniformDistance(Float64Array.from(nullP));
const ksCrit = 1.63 / Math.sqrt(nullP.length);
// Validity is P(p <= t) <= t: the one-sided D+ (excess of small p-values) is the calibration target.
const ksPlus = ksExcessSmallP(Float64Array.from(nullP));
const ksPlusCrit = Math.sqrt(Math.log(100) / 2) / Math.sqrt(nullP.length);
const totals = {
  effectSeeds: effectRuns.length,
  plantedOnTop,
  markerTop5,
  nullSeeds: nullRuns.length,
  nullSeedsWithPadjBelow0_1: nullFdrHits,
  nullPvalues: nullP.length,
  nullPvaluesBelow0_05: nullP.filter((p) => p < 0.05).length,
  ksDistance: ks,
  ksCritical1pct: ksCrit,
  ksExcessSmallP: ksPlus,
  ksExcessSmallPCritical1pct: ksPlusCrit,
  targets: {
    plantedOnTop: '>= 18 of 20',
    markerTop5: '>= 18 of 20',
    nullSeedsWithPadjBelow0_1: '<= 3 of 20',
    ksExcessSmallP: '< 1.517 / sqrt(N) (one-sided, 1%)',
  },
  met: {
    plantedOnTop: plantedOnTop >= 18,
    markerTop5: markerTop5 >= 18,
    nullSeedsWithPadjBelow0_1: nullFdrHits <= 3,
    ksExcessSmallP: ksPlus < ksPlusCrit,
    ksDistanceTwoSided: ks < ksCrit,
  },
};
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
const result = {
  command: 'npm run build && node benchmarks/power/run.mjs',
  umapEpochs: UMAP_EPOCHS,
  cqamine: CQAMINE.replace(`${ROOT}/`, ''),
  commit,
  date: new Date().toISOString(),
  node: process.version,
  totals,
  effect: effectRuns,
  null: nullRuns,
};
writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(result, null, 1)}\n`);

const yes = (b) => (b ? 'yes' : '**no**');
const md = [
  '# Power and calibration on simulated cohorts',
  '',
  `Reproduce: \`${result.command}\` (commit ${commit}, ${result.date.slice(0, 10)}, Node ${process.version}).`,
  'Each seed: `cqamine simulate --seed S` (11 lots x 300 cells, 2,000 genes; `--effect 0` for null seeds), then',
  `\`cqamine run --no-report --no-h5ad --threads 2${UMAP_EPOCHS > 0 ? ` --config CFG\` with CFG = \`{"umap":{"nEpochs":${UMAP_EPOCHS}}}` : ''}\`, every other setting at its default.`,
  ...(UMAP_EPOCHS > 0 ? ['UMAP runs after clustering and feeds only the umap columns of cells.tsv (each random step draws from its own', 'rng.fork(step name)), so the shortened UMAP changes none of the tables used here; it saves most of the run time.'] : []),
  '',
  '## Totals against the targets',
  '',
  '| property | measured | target | met |',
  '| --- | ---: | --- | --- |',
  `| planted potency cluster is the top vegf_hypoxia cluster (smallest p) | ${plantedOnTop}/${effectRuns.length} | >= 18/20 | ${yes(totals.met.plantedOnTop)} |`,
  `| marker LRRC75A in the top 5 vegf_hypoxia CQA candidates | ${markerTop5}/${effectRuns.length} | >= 18/20 | ${yes(totals.met.markerTop5)} |`,
  `| null seeds with any cluster-readout padj < 0.1 | ${nullFdrHits}/${nullRuns.length} | <= 3/20 | ${yes(totals.met.nullSeedsWithPadjBelow0_1)} |`,
  `| excess of small null p-values: one-sided KS D+ over ${nullP.length} p-values | ${ksPlus.toFixed(4)} | < ${ksPlusCrit.toFixed(4)} (1.517/sqrt(N), 1%) | ${yes(totals.met.ksExcessSmallP)} |`,
  `| two-sided KS distance from Uniform(0, 1) (also counts conservative departures) | ${ks.toFixed(4)} | < ${ksCrit.toFixed(4)} (1.63/sqrt(N)) | ${yes(totals.met.ksDistanceTwoSided)} |`,
  '',
  'The two-sided miss is all on the conservative side (D+ is the calibration property P(p <= t) <= t): Spearman over 11 lots takes few values, so even exact permutation p-values sit on a lattice above the uniform line.',
  '',
  `Null p-values: every cluster-readout permutation p of both readouts on the null seeds and of hgf_hypoxia on the effect seeds; ${totals.nullPvaluesBelow0_05} of ${nullP.length} are below 0.05.`,
  '',
  '## Effect seeds (effect 2000)',
  '',
  '| seed | clusters | planted cluster | potency cells captured | purity | top cluster | top rho | top p | top padj | planted on top | marker rank | run s |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ...effectRuns.map((r) => `| ${r.seed} | ${r.clusters} | ${r.plantedCluster} | ${fmt(r.plantedCapture, 2)} | ${fmt(r.plantedPurity, 2)} | ${r.topCluster} | ${fmt(r.topRho)} | ${fmt(r.topPval, 2)} | ${fmt(r.topPadj, 2)} | ${yes(r.plantedOnTop)} | ${r.markerRank ?? 'absent'} | ${r.runSeconds} |`),
  '',
  '## Null seeds (effect 0)',
  '',
  '| seed | clusters | min padj (all tests) | min padj vegf | min padj hgf | any padj < 0.1 | run s |',
  '| ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ...nullRuns.map((r) => `| ${r.seed} | ${r.clusters} | ${fmt(r.minPadjAll, 2)} | ${fmt(r.minPadjVegf, 2)} | ${fmt(r.minPadjHgf, 2)} | ${r.minPadjAll < 0.1 ? 'yes' : 'no'} | ${r.runSeconds} |`),
  '',
  'Run seconds are wall time on a shared 2-core machine (load average recorded per seed in results.json).',
  '',
];
writeFileSync(join(HERE, 'results.md'), md.join('\n'));
console.log(JSON.stringify(totals, null, 1));
