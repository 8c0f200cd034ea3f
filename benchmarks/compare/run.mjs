/**
 * cqamine vs scran.js 4.0.9, step by step, on simulated multi-lot MSC cohorts (5k to 200k cells)
 * and pbmc3k.
 *
 *   npm run build
 *   node benchmarks/compare/run.mjs --sizes 5k,20k,50k [--reps 3] [--threads 1|2|1,2] [--tools cqamine,scranjs]
 *        [--timeout-min 30] [--tag NAME] [--no-cli]
 *   (--tools cli times only the whole `cqamine run`)
 *
 * For each size, repetition and thread count the two tools run one after the other (cqamine,
 * then scran.js, then cqamine again ...), each in a fresh child process (cqamineChild.mjs,
 * scranjsChild.mjs) so that peak RSS is per tool and size. Each child is wrapped in
 * `/usr/bin/time -v timeout -s KILL <limit>`; a child killed by the limit is recorded as
 * "timeout", a scran.js child that runs out of its 4 GB WebAssembly heap as "heap exhausted".
 * Once `cqamine run` exists it is timed as a whole too (CLI, same thread count).
 *
 * Reported per step: wall seconds (median over repetitions; sizes above 20k run once unless
 * --reps-large is given), CPU seconds (user + system of all threads: robust when the machine
 * is shared), peak RSS, ratio cqamine / scran.js. Agreement: ARI of the two tools' clusters on
 * their common cells, and of each against the simulator truth (truth/cells.tsv).
 *
 * Output: benchmarks/results/<YYYY-MM-DD>-<cpu slug>[-tag].json and .md (rewritten after every
 * child, so an interrupted run keeps what it measured). Datasets are generated on first use
 * under benchmarks/.cache/ (git-ignored) with `cqamine simulate`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adjustedRandIndex, readTruth, alignLabels } from './agreement.mjs';
import { renderMarkdown } from './renderMarkdown.mjs';
import { HNSW_DEFAULTS, HNSW_PARTS } from '../../dist/neighbors/knnHnsw.js';
import { FIND_NEIGHBORS_DEFAULTS } from '../../dist/neighbors/findNeighbors.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cacheDir = join(root, 'benchmarks', '.cache');
const resultsDir = join(root, 'benchmarks', 'results');

/** Simulated sizes: 11 lots, 20,000 genes, depth 10,000 UMIs (~4,000 detected genes per cell). */
const SIZES = { '5k': 455, '20k': 1818, '50k': 4545, '100k': 9091, '200k': 18182 };
const LOTS = 11;
const GENES = 20000;
const DEPTH = 10000;
/** Shared parameters (stated in the results): clustering resolution, SNN k, UMAP k and epochs rule. */
const PARAMS = {
  nHvgs: 2000,
  nPcs: 50,
  snnK: 20,
  umapK: 15,
  umapMinDist: 0.3,
  resolution: 0.8,
  epochsRule: '500 up to 10,000 cells, 200 above (umap-learn rule), same for both tools',
  cqamineCluster: 'Leiden (modularity) on the Jaccard SNN, k = 20 with self, prune 1/15',
  scranjsCluster: 'multilevel (Louvain) on the Jaccard SNN, k = 20',
  cqamineKnn: `exact below ${FIND_NEIGHBORS_DEFAULTS.exactMaxCells} cells, HNSW from there (${HNSW_PARTS} parts, M ${HNSW_DEFAULTS.m}, efConstruction ${HNSW_DEFAULTS.efConstruction}, ef ${HNSW_DEFAULTS.ef}; cqamine defaults)`,
  scranjsKnn: 'Annoy (scran.js default)',
  markers: 'cqamine: Wilcoxon one vs rest; scran.js: scoreMarkers (Cohen d, AUC, pairwise)',
  qc: 'per-lot 3-MAD outliers on counts, genes, MT%; cqamine also >= 200 genes per cell and >= 3 cells per gene',
};

const { values: opt } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5k,20k,50k' },
    reps: { type: 'string', default: '3' },
    'reps-large': { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    tools: { type: 'string', default: 'cqamine,scranjs' },
    'timeout-min': { type: 'string', default: '30' },
    tag: { type: 'string' },
    cli: { type: 'boolean', default: true },
    'no-cli': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  // The usage is this file's leading comment.
  const doc = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0];
  process.stdout.write(doc.replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, '') + '\n');
  process.exit(0);
}
const sizes = opt.sizes.split(',').map((s) => s.trim()).filter(Boolean);
const tools = opt.tools.split(',').map((s) => s.trim()).filter(Boolean);
const threadList = opt.threads.split(',').map(Number);
const timeoutSec = Math.round(Number(opt['timeout-min']) * 60);
for (const s of sizes) if (!(s in SIZES) && s !== 'pbmc3k') throw new Error(`unknown size '${s}' (known: ${Object.keys(SIZES).join(', ')}, pbmc3k)`);
for (const t of tools) if (!['cqamine', 'scranjs', 'cli'].includes(t)) throw new Error(`unknown tool '${t}' (known: cqamine, scranjs, cli = only \`cqamine run\`)`);
if (!existsSync(join(root, 'dist', 'io', 'loadLots.js'))) throw new Error('dist/ is missing: run `npm run build` first');

/** Parses `/usr/bin/time -v` output: peak RSS (MB) and elapsed seconds. */
function parseTimeV(stderr) {
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const el = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  let secs = null;
  if (el) secs = el[1].split(':').reduce((s, p) => s * 60 + Number(p), 0);
  return { rssMb: rss ? Number(rss[1]) / 1024 : null, wall: secs, cpu: user && sys ? Number(user[1]) + Number(sys[1]) : null };
}

/** Runs a command under `time -v` and `timeout`; returns status, time -v figures, stderr tail. */
function runBounded(cmd, args, extraEnv = {}) {
  const r = spawnSync('/usr/bin/time', ['-v', 'timeout', '-s', 'KILL', String(timeoutSec), cmd, ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, ...extraEnv },
  });
  const tv = parseTimeV(r.stderr ?? '');
  // time -v prints "Command terminated by signal 9" / exit 137 when timeout killed the child.
  const killed = /terminated by signal 9/.test(r.stderr ?? '') || r.status === 137;
  const tail = (r.stderr ?? '').split('\n').filter((l) => l && !/^\s+\S.*: /.test(l) && !/Command (being timed|exited)/.test(l)).slice(-6).join('\n');
  return { status: r.status, killed, tv, tail };
}

/** Generates (once) the simulated cohort of `size` and returns its samples.csv. */
function ensureDataset(size) {
  if (size === 'pbmc3k') {
    const dir = join(cacheDir, 'pbmc3k');
    mkdirSync(dir, { recursive: true });
    const sheet = join(dir, 'samples.csv');
    if (!existsSync(sheet)) writeFileSync(sheet, `lot,path\npbmc3k,${join(root, '..', 'shared', 'data', 'pbmc3k')}\n`);
    return { sheet, truth: null };
  }
  const dir = join(cacheDir, `sim-${size}`);
  const sheet = join(dir, 'samples.csv');
  if (!existsSync(sheet)) {
    console.error(`[bench] simulating ${size} (${LOTS} lots x ${SIZES[size]} cells, ${GENES} genes, depth ${DEPTH}) -> ${dir}`);
    const r = spawnSync('node', ['bin/cqamine.js', '--quiet', 'simulate', '--out', dir, '--lots', String(LOTS), '--cells-per-lot', String(SIZES[size]),
      '--genes', String(GENES), '--depth', String(DEPTH), '--seed', '0'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`simulate ${size} failed with exit ${r.status}`);
  }
  return { sheet, truth: join(dir, 'truth', 'cells.tsv') };
}

/** Slug of the CPU model, e.g. intel-xeon-processor. */
function cpuSlug() {
  return cpus()[0].model.toLowerCase().replace(/\((r|tm)\)/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Package versions from node_modules. */
function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

const date = new Date().toISOString().slice(0, 10);
const base = `${date}-${cpuSlug()}-${cpus().length}c${opt.tag ? `-${opt.tag}` : ''}`;
const jsonPath = join(resultsDir, `${base}.json`);
const mdPath = join(resultsDir, `${base}.md`);
mkdirSync(resultsDir, { recursive: true });
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const hasCli = opt.cli && !opt['no-cli'] && spawnSync('node', ['bin/cqamine.js', 'run', '--help'], { cwd: root }).status === 0;

const results = {
  date: new Date().toISOString(),
  machine: {
    hostname: hostname(),
    cpu: cpus()[0].model,
    cores: cpus().length,
    totalMemGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  versions: { cqamine: pkg.version, commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim(), 'scran.js': versionOf('scran.js'), 'umap-js': versionOf('umap-js'), 'hnswlib-node': versionOf('hnswlib-node') },
  options: { sizes, reps: Number(opt.reps), repsLarge: Number(opt['reps-large']), threads: threadList, tools, timeoutMin: Number(opt['timeout-min']), cliTimed: hasCli },
  params: PARAMS,
  datasets: {},
  runs: [],
  summary: {},
};

const tmpDir = join(cacheDir, 'runs');
mkdirSync(tmpDir, { recursive: true });

/** Runs one tool child and returns its record (status ok / timeout / heap exhausted / failed). */
function runChild(tool, size, threads, rep, sheet, epochs) {
  const out = join(tmpDir, `${tool}-${size}-t${threads}-r${rep}.json`);
  const labels = join(tmpDir, `${tool}-${size}-t${threads}-r${rep}.labels.json`);
  rmSync(out, { force: true });
  const script = join(here, tool === 'cqamine' ? 'cqamineChild.mjs' : 'scranjsChild.mjs');
  const nodeArgs = tool === 'cqamine' ? ['--max-old-space-size=16384'] : [];
  const args = [...nodeArgs, script, '--samples', sheet, '--threads', String(threads), '--resolution', String(PARAMS.resolution),
    '--epochs', String(epochs), '--out', out, '--labels', labels];
  console.error(`[bench] ${tool} ${size} threads=${threads} rep=${rep + 1}`);
  const r = runBounded('node', args);
  const rec = { tool, size, threads, rep, status: 'ok', timeRssMb: r.tv.rssMb, timeWall: r.tv.wall };
  if (r.killed) {
    rec.status = 'timeout';
  } else if (r.status !== 0 || !existsSync(out)) {
    rec.status = /heap|out of memory|OOM|Aborted|memory access out of bounds|Cannot enlarge memory/i.test(r.tail) ? 'heap exhausted' : 'failed';
    rec.error = r.tail;
  } else {
    Object.assign(rec, JSON.parse(readFileSync(out, 'utf8')));
    rec.labelsFile = labels;
  }
  console.error(`[bench]   -> ${rec.status}${rec.total ? ` wall ${rec.total.toFixed(1)} s, cpu ${rec.totalCpu.toFixed(1)} s, rss ${Math.round(rec.timeRssMb ?? rec.peakRssMb)} MB` : ''}`);
  return rec;
}

/** Times `cqamine run` as a whole (CLI), when the subcommand exists. */
function runCli(size, threads, rep, sheet) {
  const outDir = join(tmpDir, `cli-${size}-t${threads}-r${rep}`);
  rmSync(outDir, { recursive: true, force: true });
  console.error(`[bench] cqamine run (CLI) ${size} threads=${threads} rep=${rep + 1}`);
  const r = runBounded('node', ['--max-old-space-size=16384', 'bin/cqamine.js', '--quiet', 'run', '--samples', sheet, '--readout', 'vegf_hypoxia',
    '--out', outDir, '--threads', String(threads)]);
  const rec = { tool: 'cqamine-cli', size, threads, rep, status: r.killed ? 'timeout' : r.status === 0 ? 'ok' : 'failed', timeWall: r.tv.wall, timeCpu: r.tv.cpu, timeRssMb: r.tv.rssMb };
  if (rec.status === 'failed') rec.error = r.tail;
  rmSync(outDir, { recursive: true, force: true });
  console.error(`[bench]   -> ${rec.status} wall ${rec.timeWall?.toFixed(1)} s, cpu ${rec.timeCpu?.toFixed(1)} s, rss ${Math.round(rec.timeRssMb ?? 0)} MB`);
  return rec;
}

/** Medians per (size, threads, tool), ratios, agreement and thread invariance. */
function summarize() {
  const summary = {};
  for (const size of sizes) {
    if (!(size in results.datasets)) continue;
    for (const threads of threadList) {
      const key = `${size}/t${threads}`;
      const entry = { size, threads, tools: {}, ratio: {}, ratioCpu: {}, agreement: results.datasets[size]?.agreement?.[`t${threads}`] ?? null };
      for (const tool of [...tools.filter((t) => t !== 'cli'), 'cqamine-cli']) {
        const runs = results.runs.filter((r) => r.size === size && r.threads === threads && r.tool === tool);
        if (runs.length === 0) continue;
        const ok = runs.filter((r) => r.status === 'ok');
        const t = { status: ok.length ? 'ok' : runs[runs.length - 1].status, reps: ok.length, steps: {}, cpu: {} };
        if (ok.length && tool !== 'cqamine-cli') {
          for (const step of Object.keys(ok[0].steps)) {
            t.steps[step] = median(ok.map((r) => r.steps[step]));
            t.cpu[step] = median(ok.map((r) => r.cpu?.[step]));
          }
          t.total = median(ok.map((r) => r.total));
          t.totalCpu = median(ok.map((r) => r.totalCpu));
          t.cellsKept = ok[0].cellsKept;
          t.nClusters = ok[0].nClusters;
          t.knnMethod = ok[0].knnMethod;
          if (ok[0].heapMb !== undefined) t.wasmHeapMb = Math.max(...ok.map((r) => r.heapMb));
        }
        if (ok.length && tool === 'cqamine-cli') {
          t.total = median(ok.map((r) => r.timeWall));
          t.totalCpu = median(ok.map((r) => r.timeCpu));
        }
        t.peakRssMb = ok.length ? Math.max(...ok.map((r) => r.timeRssMb ?? r.peakRssMb)) : null;
        t.loadavg = ok.length ? median(ok.map((r) => r.loadavg?.[0])) : null;
        entry.tools[tool] = t;
      }
      const c = entry.tools.cqamine;
      const s = entry.tools.scranjs;
      if (c?.reps && s?.reps) {
        for (const step of Object.keys(c.steps)) {
          if (step in s.steps && s.steps[step] > 0) entry.ratio[step] = c.steps[step] / s.steps[step];
          if (step in s.cpu && s.cpu[step] > 0) entry.ratioCpu[step] = c.cpu[step] / s.cpu[step];
        }
        entry.ratio.total = c.total / s.total;
        entry.ratioCpu.total = c.totalCpu / s.totalCpu;
      }
      summary[key] = entry;
    }
    // Thread invariance: cqamine digests of PCs, clusters, UMAP, markers, association per thread count.
    const byThreads = {};
    for (const r of results.runs) if (r.size === size && r.tool === 'cqamine' && r.status === 'ok') byThreads[r.threads] ??= r.digests;
    const ts = Object.keys(byThreads);
    if (ts.length > 1) {
      const same = {};
      for (const k of Object.keys(byThreads[ts[0]])) same[k] = ts.every((t) => byThreads[t][k] === byThreads[ts[0]][k]);
      results.datasets[size].threadInvariance = same;
    }
  }
  results.summary = summary;
}

/** ARI between the tools (common cells) and against truth, from the first repetition's labels. */
function agreement(size, threads, truthPath) {
  const recs = {};
  for (const r of results.runs) if (r.size === size && r.threads === threads && r.status === 'ok' && r.labelsFile && !(r.tool in recs)) recs[r.tool] = r;
  const lab = {};
  for (const [tool, r] of Object.entries(recs)) lab[tool] = JSON.parse(readFileSync(r.labelsFile, 'utf8'));
  const out = {};
  if (lab.cqamine && lab.scranjs) {
    const [a, b, n] = alignLabels(lab.cqamine, lab.scranjs);
    out.cqamineVsScranjs = { ari: adjustedRandIndex(a, b), cells: n };
  }
  if (truthPath && existsSync(truthPath)) {
    const truth = readTruth(truthPath);
    for (const tool of Object.keys(lab)) {
      const [a, b, n] = alignLabels(lab[tool], truth);
      out[`${tool}VsTruth`] = { ari: adjustedRandIndex(a, b), cells: n };
    }
  }
  return out;
}

/** Writes the JSON and the Markdown table. */
function save() {
  summarize();
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(mdPath, renderMarkdown(results));
}

for (const size of sizes) {
  const { sheet, truth } = ensureDataset(size);
  const nCells = size === 'pbmc3k' ? 2700 : LOTS * SIZES[size];
  const epochs = nCells > 10000 ? 200 : 500;
  results.datasets[size] = { samples: sheet, cells: nCells, lots: size === 'pbmc3k' ? 1 : LOTS, genes: size === 'pbmc3k' ? 32738 : GENES, depth: size === 'pbmc3k' ? null : DEPTH, umapEpochs: epochs, agreement: {} };
  const small = size === 'pbmc3k' || SIZES[size] * LOTS <= 20000;
  const reps = small ? Number(opt.reps) : Number(opt['reps-large']);
  const gaveUp = new Set();
  for (let rep = 0; rep < reps; rep++) {
    for (const threads of threadList) {
      for (const tool of tools) {
        if (tool === 'cli') continue;
        if (gaveUp.has(`${tool}/${threads}`)) continue;
        const rec = runChild(tool, size, threads, rep, sheet, epochs);
        results.runs.push(rec);
        // A tool that ran out of heap or time at this size will not do better on the next repetition.
        if (rec.status !== 'ok') gaveUp.add(`${tool}/${threads}`);
        save();
      }
      if (hasCli && (tools.includes('cqamine') || tools.includes('cli')) && size !== 'pbmc3k') {
        results.runs.push(runCli(size, threads, rep, sheet));
        save();
      }
      if (rep === 0) {
        results.datasets[size].agreement[`t${threads}`] = agreement(size, threads, truth);
        save();
      }
    }
  }
}
save();
console.error(`[bench] wrote ${jsonPath} and ${mdPath}`);
