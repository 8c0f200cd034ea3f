/**
 * One timed scran.js 4.0.9 analysis of one dataset, the peer of cqamineChild.mjs, run in its own
 * process by run.mjs (peak RSS includes the WebAssembly heap, reported separately as heapMb).
 *
 * Steps, matched to cqamine's where scran.js has them:
 *   read       per lot: MatrixMarket (gzip) + features/barcodes; cbind of the lots (genes x cells)
 *   qc         perCellRnaQcMetrics (MT- subset) + suggestRnaQcFilters (3 MADs, blocked by lot) + filterCells
 *   normalize  normalizeCounts (library-size factors, log2)
 *   hvg        modelGeneVariances (LOWESS span 0.3) + chooseHvgs (2,000)
 *   pca        runPca (50 PCs on the HVGs, scale = true like cqamine's z-scaling)
 *   knn        buildNeighborSearchIndex (scran.js default: Annoy, approximate) + findNearestNeighbors (k = 20)
 *   cluster    buildSnnGraph (Jaccard, from the k = 20 lists) + clusterGraph (multilevel, resolution given)
 *   umap       runUmap (k = 15, min_dist 0.3, epochs given) on the same search index
 *   markers    scoreMarkers (Cohen's d, AUC, delta-detected; pairwise, summarised per cluster)
 * scran.js has no lot-level association, so that step is cqamine-only.
 *
 * Usage: node scranjsChild.mjs --samples S --threads N --resolution R --epochs E --out result.json [--labels labels.json]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { createStepTimer, parseChildArgs } from './childTimer.mjs';

const args = parseChildArgs();
const threads = Number(args.threads);
const resolution = Number(args.resolution);
const epochs = Number(args.epochs);
const loadStart = loadavg()[0];
// WebAssembly heap MB after each step (scran.js's memory lives there).
const { steps, cpu, memory: heapAfter, timed } = createStepTimer(() => scran.heapSize() / 2 ** 20);

/** Lines of a text file, gunzipped when it ends in .gz. */
function readLines(path) {
  const buf = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Lots of a samples.csv (lot and path columns; paths relative to the sheet). Plain CSV without quotes. */
function readSheet(path) {
  const lines = readLines(path);
  const head = lines[0].split(',');
  const iLot = head.indexOf('lot');
  const iPath = head.indexOf('path');
  return lines.slice(1).map((l) => {
    const f = l.split(',');
    const p = f[iPath];
    return { lot: f[iLot], dir: isAbsolute(p) ? p : resolve(dirname(path), p) };
  });
}

let t0 = performance.now();
const scran = await import('scran.js');
await scran.initialize({ numberOfThreads: threads });
steps.init = (performance.now() - t0) / 1000;

const sheet = readSheet(args.samples);
const { counts, symbols, cellIds, lotCodes } = await timed('read', () => {
  const mats = [];
  const cellIds = [];
  const lotCodes = [];
  let symbols = null;
  sheet.forEach((s, l) => {
    mats.push(scran.initializeSparseMatrixFromMatrixMarket(join(s.dir, 'matrix.mtx.gz'), { compression: 'gzip' }));
    // CellRanger v3 names features.tsv.gz; v2 folders (pbmc3k) have genes.tsv.gz.
    const featPath = existsSync(join(s.dir, 'features.tsv.gz')) ? join(s.dir, 'features.tsv.gz') : join(s.dir, 'genes.tsv.gz');
    const feats = readLines(featPath).map((x) => x.split('\t')[1]);
    if (symbols === null) symbols = feats;
    for (const b of readLines(join(s.dir, 'barcodes.tsv.gz'))) {
      cellIds.push(`${s.lot}:${b}`);
      lotCodes.push(l);
    }
  });
  const counts = mats.length === 1 ? mats[0] : scran.cbind(mats);
  if (mats.length > 1) for (const m of mats) m.free();
  return { counts, symbols, cellIds, lotCodes: Int32Array.from(lotCodes) };
});
const cellsIn = counts.numberOfColumns();
const genesIn = counts.numberOfRows();

const { filtered, keptIds, keptLots } = await timed('qc', () => {
  const mito = symbols.map((g) => g.startsWith('MT-'));
  const metrics = scran.perCellRnaQcMetrics(counts, [mito], { numberOfThreads: threads });
  const filt = scran.suggestRnaQcFilters(metrics, { block: lotCodes });
  const keep = filt.filter(metrics, { block: lotCodes });
  const filtered = scran.filterCells(counts, keep);
  const keptIds = [];
  const keptLots = [];
  for (let i = 0; i < keep.length; i++) if (keep[i]) { keptIds.push(cellIds[i]); keptLots.push(lotCodes[i]); }
  metrics.free();
  filt.free();
  return { filtered, keptIds, keptLots };
});
counts.free();

const normed = await timed('normalize', () => scran.normalizeCounts(filtered));
const hvgs = await timed('hvg', () => {
  const vars = scran.modelGeneVariances(normed, { numberOfThreads: threads });
  const h = scran.chooseHvgs(vars, { number: 2000 });
  vars.free();
  return h;
});
const pcs = await timed('pca', () => scran.runPca(normed, { features: hvgs, numberOfPCs: 50, scale: true, numberOfThreads: threads }));
const { index, nn } = await timed('knn', () => {
  const index = scran.buildNeighborSearchIndex(pcs);
  const nn = scran.findNearestNeighbors(index, 20, { numberOfThreads: threads });
  return { index, nn };
});
const labels = await timed('cluster', () => {
  const snn = scran.buildSnnGraph(nn, { scheme: 'jaccard', numberOfThreads: threads });
  const cl = scran.clusterGraph(snn, { method: 'multilevel', multiLevelResolution: resolution });
  const m = Int32Array.from(cl.membership());
  cl.free();
  snn.free();
  return m;
});
nn.free();
await timed('umap', () => scran.runUmap(index, { neighbors: 15, epochs, minDist: 0.3, numberOfThreads: threads }));
index.free();
await timed('markers', () => {
  const res = scran.scoreMarkers(normed, labels, { numberOfThreads: threads });
  res.free();
});

const total = Object.entries(steps).reduce((s, [k, v]) => (k === 'init' ? s : s + v), 0);
const totalCpu = Object.values(cpu).reduce((s, v) => s + v, 0);
let nClusters = 0;
for (const c of labels) nClusters = Math.max(nClusters, c + 1);
if (args.labels) writeFileSync(args.labels, JSON.stringify({ cells: keptIds, labels: Array.from(labels), lots: keptLots }));
writeFileSync(args.out, JSON.stringify({
  tool: 'scranjs',
  threads,
  steps,
  cpu,
  total,
  totalCpu,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  heapMb: scran.heapSize() / 2 ** 20,
  heapAfterMb: heapAfter,
  loadavg: [loadStart, loadavg()[0]],
  cellsIn,
  genesIn,
  cellsKept: normed.numberOfColumns(),
  genesKept: normed.numberOfRows(),
  nClusters,
  knnMethod: 'annoy',
}, null, 2));
await scran.terminate();
process.exit(0);
