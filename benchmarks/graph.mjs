/**
 * Benchmarks of the graph steps: kNN (exact with 1 and 2 threads, approximate HNSW), SNN, Leiden,
 * Louvain, k-means and UMAP at 10k, 50k and 100k cells on synthetic PCs (50 dims, a seeded
 * Gaussian mixture of 12 clusters of unequal size).
 *
 * Each (case, n) runs in a fresh child process, so the peak RSS reported (process maxRSS) is that
 * of the case alone: its inputs (PCs, and for graph cases the kNN lists, read from a cache written
 * once per n by the HNSW search) plus the work. Times are wall-clock seconds of the kernel call
 * only. Results go to benchmarks/results/graph.json.
 *
 * Reproduce:  npm run build && node benchmarks/graph.mjs            (all cases)
 *             node benchmarks/graph.mjs --sizes 10000 --cases snn,leiden [--skip case@n,...] [--out file]
 * Compiled code from dist/ is used (worker threads need it anyway).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, totalmem } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = (p) => join(root, 'dist', p);
const cacheDir = join(root, 'benchmarks', '.cache');
const DIMS = 50;
const K = 20;

/** Seeded Gaussian-mixture PCs: 12 centres (sd 4 per dim, decaying with dim like PCs), unit noise. */
async function makePcs(n) {
  const { createRng } = await import(dist('core/rng.js'));
  const rng = createRng(12345);
  const nC = 12;
  const centers = new Float64Array(nC * DIMS);
  for (let t = 0; t < centers.length; t++) centers[t] = rng.normal() * 4 / Math.sqrt(1 + (t % DIMS) / 5);
  // Unequal cluster sizes: weights 1..12.
  const cum = new Float64Array(nC);
  let s = 0;
  for (let c = 0; c < nC; c++) { s += c + 1; cum[c] = s; }
  const data = new Float32Array(n * DIMS);
  for (let i = 0; i < n; i++) {
    const u = rng.next() * s;
    let c = 0;
    while (cum[c] < u) c++;
    for (let d = 0; d < DIMS; d++) data[i * DIMS + d] = centers[c * DIMS + d] + rng.normal();
  }
  return { nRows: n, nCols: DIMS, data };
}

/** kNN lists for graph cases: cached per n (HNSW, seeded) so every case reads the same input. */
async function cachedKnn(n, x) {
  const f = join(cacheDir, `knn_${n}.bin`);
  if (existsSync(f)) {
    const buf = readFileSync(f);
    const indices = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + n * K * 4));
    const distances = new Float32Array(buf.buffer.slice(buf.byteOffset + n * K * 4, buf.byteOffset + n * K * 8));
    return { nRows: n, k: K, indices, distances };
  }
  const { knnHnsw } = await import(dist('neighbors/knnHnsw.js'));
  return saveKnn(n, await knnHnsw(x, K, { seed: 1 }));
}

/** Writes kNN lists to the per-n cache and returns them. */
function saveKnn(n, knn) {
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, `knn_${n}.bin`), Buffer.concat([Buffer.from(knn.indices.buffer), Buffer.from(knn.distances.buffer)]));
  return knn;
}

/** Runs one case in this process and prints one JSON line. */
async function runCase(name, n) {
  const x = await makePcs(n);
  const { createRng } = await import(dist('core/rng.js'));
  let fn;
  let extra = {};
  if (name === 'knn_exact_1t' || name === 'knn_exact_2t') {
    const { knnExact } = await import(dist('neighbors/knnExact.js'));
    fn = () => knnExact(x, K, { threads: name.endsWith('2t') ? 2 : 1 });
  } else if (name === 'knn_hnsw') {
    const { knnHnsw } = await import(dist('neighbors/knnHnsw.js'));
    // The timed search also fills the cache that the graph cases read.
    fn = async () => saveKnn(n, await knnHnsw(x, K, { seed: 1 }));
  } else {
    const knn = await cachedKnn(n, x);
    const { buildSnnGraph } = await import(dist('neighbors/buildSnnGraph.js'));
    if (name === 'snn') {
      fn = () => buildSnnGraph(knn.indices, n, K);
    } else if (name === 'connectivities') {
      const { computeConnectivities } = await import(dist('neighbors/computeConnectivities.js'));
      fn = () => computeConnectivities(knn.indices, knn.distances, n, K);
    } else if (name === 'leiden' || name === 'louvain') {
      const snn = buildSnnGraph(knn.indices, n, K);
      const { clusterGraphKernel, CLUSTER_GRAPH_DEFAULTS } = await import(dist('cluster/clusterGraph.js'));
      fn = () => {
        const r = clusterGraphKernel(snn, { ...CLUSTER_GRAPH_DEFAULTS, method: name, resolution: 0.8 }, createRng(0));
        extra = { nClusters: r.sizes.length, quality: Number(r.quality.toFixed(4)) };
        return r;
      };
    } else if (name === 'kmeans') {
      const { clusterKmeansKernel } = await import(dist('cluster/clusterKmeans.js'));
      fn = () => {
        const r = clusterKmeansKernel(x, 12, { nStart: 10 }, createRng(0));
        extra = { k: 12, nStart: 10, inertia: Math.round(r.inertia) };
        return r;
      };
    } else if (name === 'umap') {
      const { runUmapKernel, RUN_UMAP_DEFAULTS } = await import(dist('reduce/runUmap.js'));
      // umap-js's rule gives 200 epochs above 7,500 cells, the cap umap-learn uses for large n.
      fn = () => runUmapKernel(knn.indices, knn.distances, n, K, RUN_UMAP_DEFAULTS, createRng(0));
      extra = { nEpochs: 200 };
    } else {
      throw new Error(`unknown case ${name}`);
    }
  }
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  // The 1-minute load average shows how contended the 2 cores were while the case ran.
  const load1 = Number(loadavg()[0].toFixed(1));
  process.stdout.write(JSON.stringify({ case: name, n, seconds: Number(seconds.toFixed(2)), peakRssMb, load1, ...extra }) + '\n');
}

const ALL_CASES = ['knn_exact_1t', 'knn_exact_2t', 'knn_hnsw', 'snn', 'connectivities', 'leiden', 'louvain', 'kmeans', 'umap'];

async function main() {
  const args = process.argv.slice(2);
  const get = (flag) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  if (get('--child')) {
    await runCase(get('--child'), Number(get('--n')));
    return;
  }
  const sizes = (get('--sizes') ?? '10000,50000,100000').split(',').map(Number);
  const cases = (get('--cases') ?? ALL_CASES.join(',')).split(',');
  const skip = new Set((get('--skip') ?? '').split(',').filter(Boolean));
  const out = get('--out') ?? join(root, 'benchmarks', 'results', 'graph.json');
  const previous = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { results: [] };
  const results = previous.results.filter((r) => !(sizes.includes(r.n) && cases.includes(r.case)));
  for (const n of sizes) {
    for (const c of cases) {
      if (skip.has(`${c}@${n}`)) continue;
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', c, '--n', String(n)], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (child.status !== 0) {
        process.stderr.write(`${c} @ ${n} failed:\n${child.stderr}\n`);
        results.push({ case: c, n, error: (child.stderr || '').split('\n').slice(0, 3).join(' ') });
        continue;
      }
      const row = JSON.parse(child.stdout.trim().split('\n').pop());
      process.stderr.write(`${JSON.stringify(row)}\n`);
      results.push(row);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify({ ...meta(), results }, null, 2) + '\n');
    }
  }
  writeFileSync(out, JSON.stringify({ ...meta(), results }, null, 2) + '\n');
}

function meta() {
  return {
    description: 'Graph-step benchmarks on synthetic Gaussian-mixture PCs (50 dims, 12 clusters, seed 12345), k = 20',
    command: 'npm run build && node benchmarks/graph.mjs',
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemGb: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
}

await main();
