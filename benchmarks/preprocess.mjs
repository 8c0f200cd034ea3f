/**
 * Benchmark: preprocessing steps (QC metrics + per-lot MAD cell filter, LogNormalize, vst HVGs,
 * scaling, randomized PCA with 50 components) at 10k, 50k and 100k cells x 20,000 genes with
 * ~2,000 detected genes per cell. Each size runs in its own process so peak RSS is per size;
 * results go to benchmarks/results/preprocess.json.
 *
 * Reproduce:  npm run build && node benchmarks/preprocess.mjs [--threads 2] [--sizes 10000,50000,100000]
 *
 * Generator (seed 42, core xoroshiro128+ via createRng), written here so the benchmark needs no
 * other module: 8 lots (cell i in lot i % 8) and 10 cell types (weights 1/sqrt(t + 1)). Gene j has
 * detection probability d_j = 0.3 u_j^2 (u_j uniform, mean 0.1, so ~2,000 of 20,000 genes per
 * cell); cells draw candidate genes by geometric skips at rate 0.3 and keep each with d_j / 0.3.
 * Cell type t's 50 marker genes (50t .. 50t + 49) are detected with probability 0.6 instead. A
 * detected gene gets count 1 + floor(Exp * lambda), lambda = s_i * (0.5 + 20 d_j) (x5 for markers),
 * with a cell size factor s_i = exp(0.3 N(0, 1)). The last 13 genes are 'MT-' genes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : dflt;
};
const nGenes = 20_000;
const threads = Number(opt('threads', 2));
const seed = 42;

async function child(nCells) {
  const { createRng } = await import('../dist/core/rng.js');
  const { AnnDataLite } = await import('../dist/core/adata.js');
  const { Frame, categoricalFrom } = await import('../dist/core/frame.js');
  const { allocIndptr } = await import('../dist/core/sparse.js');
  const { computeQcMetrics } = await import('../dist/qc/computeQcMetrics.js');
  const { filterCells } = await import('../dist/qc/filterCells.js');
  const { logNormalize } = await import('../dist/normalize/logNormalize.js');
  const { selectHvgs } = await import('../dist/reduce/selectHvgs.js');
  const { scaleData } = await import('../dist/reduce/scaleData.js');
  const { runPca } = await import('../dist/reduce/runPca.js');
  const rng = createRng(seed);
  const rssMb = () => process.resourceUsage().maxRSS / 1024;
  let t0 = performance.now();
  const detect = new Float64Array(nGenes);
  for (let j = 0; j < nGenes; j++) { const u = rng.next(); detect[j] = 0.3 * u * u; }
  const typeW = Array.from({ length: 10 }, (_, t) => 1 / Math.sqrt(t + 1));
  const wSum = typeW.reduce((a, b) => a + b, 0);
  // Two passes would double the time; grow the arrays instead (capacity ~2,100 per cell).
  let cap = Math.ceil(nCells * 2300);
  let indices = new Int32Array(cap), data = new Float32Array(cap);
  const indptr = new Float64Array(nCells + 1);
  let pos = 0;
  const logQ = Math.log(1 - 0.3);
  for (let i = 0; i < nCells; i++) {
    let r = rng.next() * wSum, type = 0;
    while (r > typeW[type] && type < 9) { r -= typeW[type]; type++; }
    const s = Math.exp(0.3 * rng.normal());
    const m0 = 50 * type, m1 = m0 + 50;
    if (pos + nGenes > cap && pos + 8000 > cap) {
      cap = Math.ceil(cap * 1.25);
      const ni = new Int32Array(cap); ni.set(indices.subarray(0, pos)); indices = ni;
      const nd = new Float32Array(cap); nd.set(data.subarray(0, pos)); data = nd;
    }
    // marker genes of this cell's type first (they are the lowest indices of their block)
    let j = -1;
    for (;;) {
      j += 1 + Math.floor(Math.log(1 - rng.next()) / logQ);
      if (j >= nGenes) break;
      const marker = j >= m0 && j < m1;
      const d = marker ? 0.6 : detect[j];
      if (!marker && rng.next() * 0.3 >= d) continue;
      if (marker && rng.next() * 0.3 >= Math.min(0.3, d)) continue;
      const lambda = s * (0.5 + 20 * detect[j]) * (marker ? 5 : 1);
      indices[pos] = j;
      data[pos] = 1 + Math.floor(-Math.log(1 - rng.next()) * lambda);
      pos++;
    }
    indptr[i + 1] = pos;
  }
  const ip = allocIndptr(nCells + 1, pos);
  ip.set(indptr);
  const X = { format: 'csr', nRows: nCells, nCols: nGenes, indptr: ip, indices: indices.slice(0, pos), data: data.slice(0, pos) };
  indices = null; data = null;
  const genes = Array.from({ length: nGenes }, (_, j) => (j >= nGenes - 13 ? `MT-G${j}` : `G${j}`));
  const lots = Array.from({ length: nCells }, (_, i) => `lot${i % 8}`);
  let adata = new AnnDataLite({
    X, layers: { counts: X },
    obs: new Frame(Array.from({ length: nCells }, (_, i) => `c${i}`), [['lot', categoricalFrom(lots)]]),
    var: new Frame(genes),
  });
  const generateS = (performance.now() - t0) / 1000;
  const rssGenerate = rssMb();
  const steps = {};
  const run = async (name, fn) => {
    const t = performance.now();
    adata = await fn(adata);
    steps[name] = { seconds: Number(((performance.now() - t) / 1000).toFixed(2)), peak_rss_mb: Math.round(rssMb()) };
  };
  const ctx = { rng: createRng(seed), threads };
  await run('qc', async (a) => filterCells(await computeQcMetrics(a, {}, ctx), { minGenes: 200, maxPctMito: 20, nmads: 3 }, ctx));
  const cellsKept = adata.nObs;
  await run('normalize', (a) => logNormalize(a, {}, ctx));
  await run('hvg', (a) => selectHvgs(a, { nTopGenes: 2000 }, ctx));
  await run('scale', (a) => scaleData(a, {}, ctx));
  await run('pca', (a) => runPca(a, { nComps: 50, method: 'randomized' }, ctx));
  const total = Object.values(steps).reduce((s, v) => s + v.seconds, 0);
  const cpu = process.cpuUsage();
  return {
    cells: nCells, genes: nGenes, nnz: pos, mean_genes_per_cell: Math.round(pos / nCells), cells_after_qc: cellsKept,
    threads, generate_seconds: Number(generateS.toFixed(2)), rss_after_generate_mb: Math.round(rssGenerate),
    steps, total_seconds: Number(total.toFixed(2)), process_cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
    peak_rss_mb: Math.round(rssMb()),
    pca_variance_ratio_top5: Array.from(adata.uns.pca.variance_ratio.slice(0, 5), (v) => Number(v.toFixed(4))),
  };
}

if (args[0] === '--child') {
  const out = await child(Number(args[1]));
  process.stdout.write(JSON.stringify(out) + '\n');
} else {
  const sizes = opt('sizes', '10000,50000,100000').split(',').map(Number);
  const outPath = opt('out', join(here, 'results', 'preprocess.json'));
  mkdirSync(dirname(outPath), { recursive: true });
  const runs = [];
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=16000', fileURLToPath(import.meta.url), '--child', String(n), '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(1);
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    runs.push(res);
    process.stderr.write(`${n} cells: ${JSON.stringify(res.steps)} total ${res.total_seconds} s, peak RSS ${res.peak_rss_mb} MB\n`);
    // Written after every size so a long run keeps what it has measured.
    const result = { benchmark: 'preprocess', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, load_average: loadavg().map((v) => Number(v.toFixed(1))), runs };
    writeFileSync(outPath, JSON.stringify(result, null, 2) + '\n');
  }
  process.stderr.write(`wrote ${outPath}\n`);
}
