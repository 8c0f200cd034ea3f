/**
 * kNN micro-benchmark: the k = 20 (self included) search of findNeighbors on the 50 PCs of the cached
 * simulated cohorts, timed alone, with its recall against the exact lists, and scran.js's Annoy
 * search (buildNeighborSearchIndex + findNearestNeighbors, k = 20 without self) on the same PCs.
 *
 * Usage: npm run build && node benchmarks/knn.mjs [--sizes 5k,20k,50k] [--threads 1,2] [--reps 2]
 *        [--methods graphs,auto,exact,hnsw,annoy] [--baseline /path/to/other/dist] [--out benchmarks/results/knn.json]
 *
 * Methods: `graphs` = findNeighborsKernel (kNN + distance CSR + SNN + connectivities: the step's
 * work), `auto` = the kNN it dispatches to (exact below 8,192 cells, else HNSW), `exact`, `hnsw`,
 * `annoy` = scran.js. With `--baseline`, the same cases run from another compiled tree (e.g. an
 * earlier commit's dist/ with node_modules reachable from it), interleaved with the current build
 * run by run, so both see the same machine load.
 *
 * The PCs come from one cqamine run up to PCA (QC, log-normalize, 2,000 HVGs, z-scale, 50 PCs, seed 0,
 * as benchmarks/compare/cqamineChild.mjs) on `benchmarks/.cache/sim-<size>/samples.csv`; they and the
 * exact k = 21 lists are cached in `benchmarks/.cache/knn/` after the first run. Each timed case runs
 * in this process after one warm-up; CPU seconds are the process's (all threads); the run with the
 * least CPU is reported (wall times on a shared machine mostly measure waiting for a core).
 *
 * Recall counts the 19 non-self neighbours of each cell (cqamine's k = 20 lists include the cell
 * itself) against the exact 19; for Annoy (k = 20 without self) the first 19 of its 20.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { createHash } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const cacheDir = join(root, 'benchmarks', '.cache', 'knn');

/** `--name value` pairs of the command line. */
function parseArgs() {
  const out = {};
  const a = process.argv.slice(2);
  for (let t = 0; t < a.length; t += 2) out[a[t].replace(/^--/, '')] = a[t + 1];
  return out;
}
const args = parseArgs();
const sizes = (args.sizes ?? '5k,20k,50k').split(',');
const threadList = (args.threads ?? '1,2').split(',').map(Number);
const reps = Number(args.reps ?? 2);
const methods = (args.methods ?? 'graphs,auto,annoy').split(',');
const outPath = args.out ?? join(root, 'benchmarks', 'results', 'knn.json');
const K = 20;

/** Writes a Float32 matrix with an (nRows, nCols) Int32 header. */
function saveMatrix(path, m) {
  const hdr = new Int32Array([m.nRows, m.nCols]);
  writeFileSync(path, Buffer.concat([Buffer.from(hdr.buffer), Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)]));
}

/** Reads a matrix written by {@link saveMatrix}; `Ctor` is the element type. */
function loadMatrix(path, Ctor = Float32Array) {
  const buf = readFileSync(path);
  const hdr = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 8));
  const data = new Ctor(buf.buffer.slice(buf.byteOffset + 8, buf.byteOffset + buf.byteLength));
  return { nRows: hdr[0], nCols: hdr[1], data };
}

/** The 50 PCs of one cached cohort (computed once through the cqamine steps up to PCA). */
async function pcsOf(size) {
  const path = join(cacheDir, `pcs-${size}.bin`);
  if (existsSync(path)) return loadMatrix(path);
  // The package entry re-exports every step.
  const { createRng, readSampleSheet, loadLots, computeQcMetrics, filterCells, filterGenes, logNormalize, selectHvgs, scaleData, runPca } = await import(
    dist('index.js')
  );
  const ctx = { threads: 2, rng: createRng(0) };
  let a = (await loadLots(await readSampleSheet(join(root, 'benchmarks', '.cache', `sim-${size}`, 'samples.csv')))).adata;
  a = await computeQcMetrics(a, {}, ctx);
  a = await filterCells(a, {}, ctx);
  a = await filterGenes(a, {}, ctx);
  a = await logNormalize(a, {}, ctx);
  a = await selectHvgs(a, { nTopGenes: 2000 }, ctx);
  a = await scaleData(a, {}, ctx);
  a = await runPca(a, { nComps: 50 }, ctx);
  mkdirSync(cacheDir, { recursive: true });
  saveMatrix(path, a.obsm.X_pca);
  return a.obsm.X_pca;
}

/** Exact k = 21 lists (self first), cached: the reference for recall. */
async function exactOf(size, x) {
  const path = join(cacheDir, `exact21-${size}.bin`);
  if (existsSync(path)) return loadMatrix(path, Int32Array);
  const { knnExact } = await import(dist('neighbors/knnExact.js'));
  const r = await knnExact(x, K + 1, { threads: 2 });
  const m = { nRows: x.nRows, nCols: K + 1, data: r.indices };
  saveMatrix(path, m);
  return m;
}

/**
 * Recall of `indices` (`n x width` lists; with `withSelf` the cell itself is skipped wherever it
 * sits) over the 19 exact non-self neighbours: the first 19 other cells of each list are counted.
 */
function recall(exact, indices, width, withSelf) {
  const n = exact.nRows;
  const want = K - 1;
  const mark = new Int32Array(n).fill(-1);
  let hit = 0;
  for (let i = 0; i < n; i++) {
    // Exact non-self lists: drop the cell itself wherever it sits (duplicates can precede it).
    let m = 0;
    for (let t = 0; t < exact.nCols && m < want; t++) {
      const j = exact.data[i * exact.nCols + t];
      if (j !== i) { mark[j] = i; m++; }
    }
    let got = 0;
    for (let t = 0; t < width && got < want; t++) {
      const j = indices[i * width + t];
      if (withSelf && j === i) continue;
      got++;
      if (mark[j] === i) hit++;
    }
  }
  return hit / (n * want);
}

/** Wall and process CPU seconds of one call. */
async function time(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, result };
}

/** sha256 prefix of a typed array: identical lists across thread counts. */
function digest(a) {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
}

/** The kNN entry points of one compiled tree. */
async function buildOf(dir) {
  const url = (p) => pathToFileURL(join(dir, p)).href;
  const fn = await import(url('neighbors/findNeighbors.js'));
  return {
    findNeighborsKernel: fn.findNeighborsKernel,
    defaults: fn.FIND_NEIGHBORS_DEFAULTS,
    knnExact: (await import(url('neighbors/knnExact.js'))).knnExact,
    knnHnsw: (await import(url('neighbors/knnHnsw.js'))).knnHnsw,
  };
}
const builds = { current: await buildOf(join(root, 'dist')) };
if (args.baseline) builds.baseline = await buildOf(args.baseline);
let scran = null;

/** One timed call of `method` from build `b`. */
async function runCase(b, method, x, threads) {
  if (method === 'annoy') {
    if (!scran) {
      scran = await import('scran.js');
      await scran.initialize({ numberOfThreads: threads });
    }
    return time(() => {
      const index = scran.buildNeighborSearchIndex(Float64Array.from(x.data), { numberOfDims: x.nCols, numberOfCells: x.nRows });
      const nn = scran.findNearestNeighbors(index, K, { numberOfThreads: threads });
      const s = nn.serialize();
      nn.free();
      index.free();
      return s;
    });
  }
  // The whole kernel of the step: kNN (auto dispatch) plus distance, SNN and connectivity graphs.
  if (method === 'graphs') return time(() => b.findNeighborsKernel(x, { ...b.defaults, nNeighbors: K }, threads, 100));
  if (method === 'exact') return time(() => b.knnExact(x, K, { threads }));
  if (method === 'hnsw') return time(() => b.knnHnsw(x, K, { threads, seed: 100 }));
  const approx = x.nRows >= b.defaults.exactMaxCells;
  return time(() => (approx ? b.knnHnsw(x, K, { threads, seed: 100 }) : b.knnExact(x, K, { threads })));
}

const results = [];
for (const size of sizes) {
  const x = await pcsOf(size);
  const exact = await exactOf(size, x);
  for (const method of methods) {
    for (const threads of method === 'annoy' ? [2] : threadList) {
      const names = method === 'annoy' ? ['scran.js'] : Object.keys(builds);
      const runs = Object.fromEntries(names.map((nm) => [nm, []]));
      const last = {};
      for (let r = 0; r <= reps; r++) {
        for (const nm of names) {
          const m = await runCase(builds[nm], method, x, threads);
          // The first run warms up workers, the JIT and the file cache.
          if (r > 0) runs[nm].push({ wall: m.wall, cpu: m.cpu });
          last[nm] = m.result;
        }
      }
      for (const nm of names) {
        let rec;
        let dig = null;
        if (method === 'annoy') rec = recall(exact, last[nm].indices, K, false);
        else {
          const knn = method === 'graphs' ? last[nm].knn : last[nm];
          rec = recall(exact, knn.indices, K, true);
          dig = digest(knn.indices);
        }
        const best = runs[nm].reduce((b, v) => (v.cpu < b.cpu ? v : b));
        const row = {
          size, nCells: x.nRows, method, build: nm, threads, wall: +best.wall.toFixed(3), cpu: +best.cpu.toFixed(3),
          runs: runs[nm].map((v) => [+v.wall.toFixed(3), +v.cpu.toFixed(3)]), recall: +rec.toFixed(5), digest: dig,
          load: +loadavg()[0].toFixed(2),
        };
        results.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      }
    }
  }
}
writeFileSync(outPath, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, k: K, baseline: args.baseline ?? null, results }, null, 1)}\n`);
process.exit(0);
