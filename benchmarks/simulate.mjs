#!/usr/bin/env node
/**
 * Benchmark of `cqamine simulate` at scale: 10 lots x 20,000 genes at depth 10,000 UMIs per cell
 * (about 3,900 detected genes per cell), for 10k and 100k cells in total, each run in a fresh
 * process under /usr/bin/time (wall and CPU seconds, peak RSS). The 10k vs 100k pair shows that memory
 * does not grow with the cell count (cells stream to the writers lot by lot). A gzip-level sweep
 * on the 10k cohort records the speed/size trade-off behind the default level (4).
 *
 * Usage: npm run build && node benchmarks/simulate.mjs [--cells 10000,100000] [--levels 1,4,6]
 * Writes benchmarks/results/simulate.json; outputs go to benchmarks/.cache/ and are removed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const CACHE = join(HERE, '.cache', 'simulate');
const args = process.argv.slice(2);
const listArg = (name, dflt) => {
  const at = args.indexOf(name);
  return (at >= 0 ? args[at + 1] : dflt).split(',').map(Number);
};
const CELLS = listArg('--cells', '10000,100000');
const LEVELS = listArg('--levels', '1,4,6');
const LOTS = 10;
const GENES = 20000;
const DEPTH = 10000;

/** Total bytes under a folder. */
function du(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? du(p) : statSync(p).size;
  }
  return n;
}

/** Runs one simulation in a fresh process; returns seconds, peak RSS and the summary. */
function run(totalCells, level) {
  const out = join(CACHE, `c${totalCells}_l${level}`);
  rmSync(out, { recursive: true, force: true });
  const argv = ['simulate', '--out', out, '--lots', String(LOTS), '--cells-per-lot', String(totalCells / LOTS), '--genes', String(GENES), '--depth', String(DEPTH), '--gzip-level', String(level), '--json'];
  const command = `node bin/cqamine.js ${argv.join(' ').replace(out, '<out>')}`;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', 'node', join(ROOT, 'bin', 'cqamine.js'), '--quiet', ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`simulate failed: ${r.stderr}`);
  const [secs, maxKb, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  const summary = JSON.parse(r.stdout);
  const bytes = du(out);
  rmSync(out, { recursive: true, force: true });
  const res = { command, cells: summary.n_cells, genes: GENES, lots: LOTS, depth: DEPTH, gzipLevel: level, nnz: summary.nnz, nnzPerCell: Math.round(summary.nnz / summary.n_cells), seconds: secs, cpuSeconds: Math.round((user + sys) * 10) / 10, cellsPerSecond: Math.round(summary.n_cells / secs), cellsPerCpuSecond: Math.round(summary.n_cells / (user + sys)), peakRssMB: Math.round(maxKb / 1024), outputMB: Math.round(bytes / 1e5) / 10 };
  console.log(JSON.stringify(res));
  return res;
}

mkdirSync(CACHE, { recursive: true });
const scale = CELLS.map((c) => run(c, 4));
const levels = LEVELS.map((l) => run(CELLS[0], l));
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage1m: os.loadavg()[0] },
  note: 'wall seconds on a shared 2-core machine with other jobs running (see loadAverage1m), so cpuSeconds (user + sys, main thread plus the zlib thread pool) is the steadier figure; peak RSS from /usr/bin/time %M',
  scale,
  gzipLevels: levels,
};
const path = join(HERE, 'results', 'simulate.json');
mkdirSync(dirname(path), { recursive: true });
writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${path}`);

