/**
 * Benchmark: marker ranking (find_markers, Wilcoxon one-vs-rest) on a seeded synthetic
 * log-normalized matrix: 100,000 cells x 20,000 genes, 15 clusters, ~2,000 detected genes per
 * cell (~200M non-zeros). Runs each thread count in its own process so that peak RSS is per run,
 * and writes benchmarks/results/markers.json.
 *
 * Reproduce:  npm run build && node benchmarks/markers.mjs
 * Smaller:    node benchmarks/markers.mjs --cells 20000 --genes 5000 --out /tmp/markers.json
 *
 * Generator (seed 42, core xoroshiro128+ via createRng): cluster of each cell drawn with weights
 * proportional to 1/sqrt(c + 1); each cell's genes by geometric skips with detection probability
 * 0.1, except the cluster's 50 marker genes (genes 50c .. 50c + 49), detected with probability 0.6;
 * a detected gene gets count k = 1 + floor(Exp * lambda), lambda = 3 for markers and 0.7
 * otherwise; values are log1p(k * 1e4 / total).
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
const nCells = Number(opt('cells', 100_000));
const nGenes = Number(opt('genes', 20_000));
const nClusters = 15;
const seed = 42;

async function child(threads) {
  const { createRng } = await import('../dist/core/rng.js');
  const { AnnDataLite } = await import('../dist/core/adata.js');
  const { Frame, categoricalFrom } = await import('../dist/core/frame.js');
  const { findMarkers } = await import('../dist/markers/findMarkers.js');
  const rng = createRng(seed);
  const t0 = performance.now();
  // Cluster labels with unequal sizes.
  const w = Float64Array.from({ length: nClusters }, (_, c) => 1 / Math.sqrt(c + 1));
  let wSum = 0;
  for (const v of w) wSum += v;
  const labels = new Array(nCells);
  for (let i = 0; i < nCells; i++) {
    let u = rng.next() * wSum;
    let c = 0;
    while (c < nClusters - 1 && u >= w[c]) u -= w[c++];
    labels[i] = String(c);
  }
  // CSR built in place; capacity from the expected density plus slack.
  const cap = Math.ceil(nCells * nGenes * 0.1 * 1.02 + 1e6);
  const indices = new Int32Array(cap);
  const data = new Float32Array(cap);
  const indptr = new Float64Array(nCells + 1);
  const logQ = Math.log(1 - 0.1);
  const counts = new Float64Array(nGenes);
  let pos = 0;
  for (let i = 0; i < nCells; i++) {
    const c = Number(labels[i]);
    const start = pos;
    let total = 0;
    const m0 = 50 * c;
    const m1 = Math.min(nGenes, 50 * c + 50);
    const emit = (j, lambda) => {
      const k = 1 + Math.floor(-Math.log(1 - rng.next()) * lambda);
      indices[pos] = j;
      counts[pos - start] = k;
      total += k;
      pos++;
    };
    // Background genes by geometric skips (memoryless, so restarting after the marker block is exact).
    const background = (from, to) => {
      for (let j = from + Math.floor(Math.log(1 - rng.next()) / logQ); j < to; j += 1 + Math.floor(Math.log(1 - rng.next()) / logQ)) emit(j, 0.7);
    };
    background(0, m0);
    for (let j = m0; j < m1; j++) if (rng.next() < 0.6) emit(j, 3);
    background(m1, nGenes);
    for (let t = start; t < pos; t++) data[t] = Math.log1p((counts[t - start] * 1e4) / total);
    indptr[i + 1] = pos;
  }
  const X = { format: 'csr', nRows: nCells, nCols: nGenes, indptr, indices: indices.subarray(0, pos), data: data.subarray(0, pos) };
  const obs = new Frame(Array.from({ length: nCells }, (_, i) => `cell${i}`), [['cluster', categoricalFrom(labels, Array.from({ length: nClusters }, (_, c) => String(c)))]]);
  const vars = new Frame(Array.from({ length: nGenes }, (_, j) => `gene${j}`));
  const adata = new AnnDataLite({ X, obs, var: vars });
  const genSeconds = (performance.now() - t0) / 1000;
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await findMarkers(adata, { nTop: 20 }, { threads });
  const seconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const table = out.uns.markers.table;
  // Sanity: the top marker of each cluster should be one of its planted marker genes.
  let planted = 0;
  for (let r = 0; r < table.gene.length; r++) {
    if (table.rank[r] !== 1) continue;
    const j = Number(table.gene[r].slice(4));
    const c = Number(table.cluster[r]);
    if (j >= 50 * c && j < 50 * c + 50) planted++;
  }
  return {
    threads,
    nCells,
    nGenes,
    nnz: pos,
    seconds: Math.round(seconds * 100) / 100,
    // user + system CPU of the whole process (main thread and workers) during find_markers.
    processCpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
    generateSeconds: Math.round(genSeconds * 100) / 100,
    rssBeforeMarkersMb: Math.round(rssBeforeMb),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    topMarkerIsPlanted: `${planted}/${nClusters}`,
  };
}

if (args.includes('--child')) {
  const res = await child(Number(opt('threads', 1)));
  process.stdout.write(JSON.stringify(res) + '\n');
} else {
  const runs = [];
  for (const threads of [1, 2]) {
    const load = loadavg()[0];
    const r = spawnSync(process.execPath, ['--max-old-space-size=8192', fileURLToPath(import.meta.url), '--child', '--threads', String(threads), '--cells', String(nCells), '--genes', String(nGenes)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`benchmark child failed: ${r.stderr}`);
    runs.push({ ...JSON.parse(r.stdout.trim().split('\n').pop()), loadAverageAtStart: Math.round(load * 100) / 100 });
  }
  const result = {
    benchmark: 'find_markers (wilcoxon, one-vs-rest, 15 clusters, top 20)',
    command: 'npm run build && node benchmarks/markers.mjs',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    seed,
    runs,
  };
  const outPath = opt('out', join(here, 'results', 'markers.json'));
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
