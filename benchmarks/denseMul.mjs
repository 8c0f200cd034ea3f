/**
 * Benchmark of the dense kernels behind randomized PCA: A * B and A^T * Q for a Float32 A
 * (n cells x 2,000 scaled HVGs) and Float64 B / Q with l = 60 columns (50 PCs + 10 oversampling),
 * and the orthonormalisation of an n x 60 block. These are the products the subspace iteration
 * repeats 16 times, so their GFLOP/s sets the PCA time.
 *
 * GFLOP/s counts 2 n p l flops per product. Each case runs `--reps` times after one warm-up
 * call, cases interleaved round-robin so a change in machine load hits all of them alike; the best
 * wall time and the CPU seconds (all threads) of that call are reported (the machine is shared,
 * so the best of several is the least noisy estimate). Threads 1 runs in the main thread;
 * threads 2 uses the worker pool of core/parallel.
 *
 * `--baseline DIR` also times the same kernels from another build's dist/ (e.g. a checkout of an
 * earlier commit built with `npm run build`), interleaved with the current ones, for a before/after
 * ratio under identical load.
 *
 * Reproduce:  npm run build && node benchmarks/denseMul.mjs [--n 5000] [--reps 5] [--label name] [--baseline ../old/dist --baseline-commit abc1234]
 * Results are merged into benchmarks/results/denseMul.json under the label (default 'current'),
 * with the git commit the build came from.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : dflt;
};
const n = Number(opt('n', '5000'));
const p = 2000;
const l = 60;
const reps = Number(opt('reps', '5'));
const label = opt('label', 'current');
const outFile = join(root, 'benchmarks', 'results', 'denseMul.json');

const { createRng } = await import(dist('core/rng.js'));
/** The three kernels from a dist/ directory. */
async function kernels(dir) {
  const url = (f) => pathToFileURL(join(dir, f)).href;
  return {
    denseMul: (await import(url('linalg/denseMul.js'))).denseMul,
    denseTransMul: (await import(url('linalg/denseTransMul.js'))).denseTransMul,
    orthonormalizeColumns: (await import(url('linalg/orthonormalizeColumns.js'))).orthonormalizeColumns,
  };
}
const builds = { current: await kernels(join(root, 'dist')) };
const baselineDir = opt('baseline', null);
if (baselineDir) builds.baseline = await kernels(baselineDir);

const rng = createRng(7);
const data = new Float32Array(new SharedArrayBuffer(n * p * 4));
for (let t = 0; t < data.length; t++) data[t] = rng.normal();
const a = { nRows: n, nCols: p, data };
const b = new Float64Array(p * l);
for (let t = 0; t < b.length; t++) b[t] = rng.normal();
const q = new Float64Array(n * l);
for (let t = 0; t < q.length; t++) q[t] = rng.normal();

const flops = 2 * n * p * l;
const runs = {};
for (const [name, k] of Object.entries(builds)) {
  for (const threads of [1, 2]) {
    runs[`${name}_mul_t${threads}`] = () => k.denseMul(a, b, l, threads);
    runs[`${name}_transMul_t${threads}`] = () => k.denseTransMul(a, q, l, threads);
  }
  runs[`${name}_orthonormalize`] = () => k.orthonormalizeColumns(q, n, l);
}
const cases = {};
for (const key of Object.keys(runs)) {
  await runs[key]();
  cases[key] = { wall: Infinity, cpu: 0 };
}
for (let r = 0; r < reps; r++) {
  for (const [key, fn] of Object.entries(runs)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (wall < cases[key].wall) cases[key] = { wall, cpu: (c.user + c.system) / 1e6 };
  }
}
for (const [key, c] of Object.entries(cases)) {
  if (!key.endsWith('orthonormalize')) c.gflops = flops / c.wall / 1e9;
  process.stdout.write(`${key.padEnd(28)} ${c.wall.toFixed(3)} s wall ${c.cpu.toFixed(3)} s CPU${c.gflops ? `  ${c.gflops.toFixed(2)} GFLOP/s` : ''}\n`);
}

let commit = 'unknown';
try { commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim(); } catch { /* not a git checkout */ }
const all = existsSync(outFile) ? JSON.parse(readFileSync(outFile, 'utf8')) : {};
all[label] = { n, p, l, reps, commit, baseline: baselineDir ? { dir: baselineDir, commit: opt('baseline-commit', 'unknown') } : null, cpu: cpus()[0]?.model ?? 'unknown', loadavg1: loadavg()[0], date: new Date().toISOString(), cases };
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(all, null, 2) + '\n');
