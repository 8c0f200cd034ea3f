/**
 * One timed cqamine analysis of one dataset, run in its own process by run.mjs so that the peak
 * RSS it reports belongs to this tool and size alone.
 *
 * Steps (wall-clock seconds of each library call, compiled code from dist/):
 *   read       readSampleSheet + loadLots (all lots merged, CSR cells x genes)
 *   qc         computeQcMetrics + filterCells (per-lot 3-MAD outliers, >= 200 genes; cells marked) +
 *              filterGenesOfCells (>= 3 of the passing cells; those cells and genes written over the
 *              unfiltered counts, as `run`)
 *   normalize  logNormalize (total 1e4, log1p)
 *   hvg        selectHvgs (Seurat vst, 2,000 genes)
 *   pca        scaleData (z, clip 10) + 50 PCs (runPca when it exists, else randomizedSvd on the scaled HVGs)
 *   knn        findNeighbors (k = 20 with self: kNN + SNN + UMAP connectivities; exact below 8,192 cells, HNSW from there (cqamine default))
 *   cluster    clusterGraph (Leiden, modularity, on the k = 20 SNN, resolution given)
 *   umap       runUmapKernel on the 15 nearest of the k = 20 lists (UMAP k = 15), min_dist 0.3, epochs given
 *   markers    findMarkers (Wilcoxon one vs rest, every cluster)
 *   association computeComposition + associateClusters (vegf_hypoxia, 100,000 permutations)
 *
 * Usage: node cqamineChild.mjs --samples S --threads N --resolution R --epochs E --out result.json [--labels labels.json]
 * Writes one JSON object (see run.mjs) to --out.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { createStepTimer, parseChildArgs } from './childTimer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;

const args = parseChildArgs();
const threads = Number(args.threads);
const resolution = Number(args.resolution);
const nEpochs = Number(args.epochs);
const digests = {};
const loadStart = loadavg()[0];
// Resident and peak-so-far MB after each step: where the memory goes.
const { steps, cpu, memory: rssAfter, timed } = createStepTimer(() => [
  Math.round(process.memoryUsage().rss / 2 ** 20),
  Math.round(process.resourceUsage().maxRSS / 1024),
]);

/** sha256 (first 16 hex) of a typed array's bytes: thread-count invariance checks. */
function digest(a) {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
}

const t0 = performance.now();
const { createRng } = await import(dist('core/rng.js'));
const { readSampleSheet } = await import(dist('io/readSampleSheet.js'));
const { loadLots } = await import(dist('io/loadLots.js'));
const { computeQcMetrics } = await import(dist('qc/computeQcMetrics.js'));
const { filterCells } = await import(dist('qc/filterCells.js'));
const { filterGenesOfCells, geneSumsOfVar } = await import(dist('qc/filterGenes.js'));
const { logNormalize } = await import(dist('normalize/logNormalize.js'));
const { selectHvgs } = await import(dist('reduce/selectHvgs.js'));
const { scaleData } = await import(dist('reduce/scaleData.js'));
const { findNeighbors } = await import(dist('neighbors/findNeighbors.js'));
const { clusterGraph } = await import(dist('cluster/clusterGraph.js'));
const { runUmapKernel, knnFromDistanceCsr, RUN_UMAP_DEFAULTS } = await import(dist('reduce/runUmap.js'));
const { findMarkers } = await import(dist('markers/findMarkers.js'));
const { computeComposition, COMPUTE_COMPOSITION_DEFAULTS } = await import(dist('cqa/computeComposition.js'));
const { associateClusters, ASSOCIATE_CLUSTERS_DEFAULTS } = await import(dist('cqa/associateClusters.js'));
const hasRunPca = existsSync(join(root, 'dist', 'reduce', 'runPca.js'));
const runPcaMod = hasRunPca ? await import(dist('reduce/runPca.js')) : null;
const { randomizedSvd } = hasRunPca ? { randomizedSvd: null } : await import(dist('reduce/randomizedSvd.js'));
// Workers start here and boot during the read, as `cqamine run` does (scran.js creates its thread
// pool in initialize(), also outside the timed steps).
const { startWorkers } = await import(dist('core/parallel.js'));
startWorkers(threads);
steps.init = (performance.now() - t0) / 1000;

const rng = createRng(0);
const ctx = { threads, rng };

let a = await timed('read', async () => (await loadLots(await readSampleSheet(args.samples), { threads })).adata);
const cellsIn = a.nObs;
const genesIn = a.nVars;

a = await timed('qc', async () => {
  // As `cqamine run`: cells are marked, then the passing cells and detected genes are written over
  // the unfiltered counts, which nothing reads again.
  const b = await filterCells(await computeQcMetrics(a, {}, ctx), { subset: false }, ctx);
  const passed = b.obs.require('passed_qc').values;
  const rows = new Int32Array(passed.reduce((n, v) => n + v, 0));
  for (let i = 0, t = 0; i < passed.length; i++) if (passed[i]) rows[t++] = i;
  return filterGenesOfCells(b, rows, {}, ctx, { allCells: geneSumsOfVar(b), inPlace: true });
});
a = await timed('normalize', () => logNormalize(a, {}, ctx));
a = await timed('hvg', () => selectHvgs(a, { nTopGenes: 2000 }, ctx));

let pcaMethod;
a = await timed('pca', async () => {
  const b = await scaleData(a, {}, ctx);
  if (runPcaMod) {
    pcaMethod = 'runPca';
    const step = runPcaMod.runPca;
    const c = await step(b, { nComps: 50 }, ctx).catch(async (e) => {
      // Parameter names of a newly landed step may differ; fall back to its defaults.
      if (e && e.name === 'UsageError') return step(b, {}, ctx);
      throw e;
    });
    return c;
  }
  pcaMethod = 'scaleData+randomizedSvd';
  const x = b.obsm.X_scaled;
  const svd = await randomizedSvd(x, 50, rng.fork('pca'), { threads });
  const pcs = new Float32Array(x.nRows * svd.k);
  for (let i = 0; i < x.nRows; i++) for (let c = 0; c < svd.k; c++) pcs[i * svd.k + c] = svd.u[i * svd.k + c] * svd.s[c];
  const obsm = { ...b.obsm, X_pca: { nRows: x.nRows, nCols: svd.k, data: pcs } };
  delete obsm.X_scaled;
  return b.with({ obsm });
});
digests.pca = digest(a.obsm.X_pca.data);

a = await timed('knn', () => findNeighbors(a, { nNeighbors: 20 }, ctx));
a = await timed('cluster', () => clusterGraph(a, { resolution }, ctx));
const clusterCol = a.obs.get('cluster');
digests.cluster = digest(clusterCol.codes);

const umap = await timed('umap', () => {
  // UMAP k = 15 (self included) taken from the k = 20 lists, sorted by distance: same kNN as clustering.
  const knn = knnFromDistanceCsr(a.obsp.distances);
  const k = Math.min(15, knn.k);
  const n = a.nObs;
  const idx = new Int32Array(n * k);
  const dist = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      idx[i * k + t] = knn.indices[i * knn.k + t];
      dist[i * k + t] = knn.distances[i * knn.k + t];
    }
  }
  return runUmapKernel(idx, dist, n, k, { ...RUN_UMAP_DEFAULTS, minDist: 0.3, nEpochs }, rng.fork('umap'), undefined, threads);
});
digests.umap = digest(umap.data);

a = await timed('markers', () => findMarkers(a, {}, ctx));
digests.markers = createHash('sha256').update(JSON.stringify(a.uns.markers)).digest('hex').slice(0, 16);

// pbmc3k has no lot readout: the association step is skipped there.
const assoc = !a.obs.get('vegf_hypoxia') ? null : await timed('association', async () => {
  const lot = a.obs.get('lot');
  const vegf = a.obs.get('vegf_hypoxia');
  const values = new Float64Array(lot.categories.length).fill(NaN);
  for (let i = 0; i < a.nObs; i++) if (lot.codes[i] >= 0) values[lot.codes[i]] = vegf.values[i];
  const comp = await computeComposition(
    { lotCodes: lot.codes, lotNames: lot.categories, clusterCodes: clusterCol.codes, clusterNames: clusterCol.categories },
    COMPUTE_COMPOSITION_DEFAULTS,
  );
  return associateClusters(comp, [{ name: 'vegf_hypoxia', values }], ASSOCIATE_CLUSTERS_DEFAULTS, rng.fork('association'));
});
digests.association = createHash('sha256').update(JSON.stringify(assoc)).digest('hex').slice(0, 16);

const total = Object.entries(steps).reduce((s, [k, v]) => (k === 'init' ? s : s + v), 0);
const totalCpu = Object.values(cpu).reduce((s, v) => s + v, 0);
if (args.labels) {
  writeFileSync(args.labels, JSON.stringify({ cells: a.obs.index, labels: Array.from(clusterCol.codes) }));
}
const result = {
  tool: 'cqamine',
  threads,
  steps,
  cpu,
  total,
  totalCpu,
  loadavg: [loadStart, loadavg()[0]],
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  rssAfterMb: rssAfter,
  cellsIn,
  genesIn,
  cellsKept: a.nObs,
  genesKept: a.nVars,
  nClusters: clusterCol.categories.length,
  pcaMethod,
  knnMethod: a.uns.neighbors.params.method,
  digests,
};
writeFileSync(args.out, JSON.stringify(result, null, 2));
