/**
 * Benchmark of the dense kernels behind randomized PCA: A * B and A^T * Q for a Float32 A
 * (n cells x 2,000 scaled HVGs) and Float64 B / Q with l = 60 columns (50 PCs + 10 oversampling),
 * and the orthonormalisation of an n x 60 block. These are the products the subspace iteration
 * repeats 16 times, so their GFLOP/s sets the PCA time.
 *
 * GFLOP/s counts 2 n p l flops per product. Each case runs `--reps` times after one warm-up
 * call; the best wall time and the CPU seconds of that call are reported (the machine is shared,
 * so the best of several is the least noisy estimate). Threads 1 runs in the main thread;
 * threads 2 uses the worker pool of core/parallel.
 *
 * Reproduce:  npm run build && node benchmarks/denseMul.mjs [--n 5000] [--reps 3] [--label name]
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
const reps = Number(opt('reps', '3'));
const label = opt('label', 'current');
const outFile = join(root, 'benchmarks', 'results', 'denseMul.json');

const { createRng } = await import(dist('core/rng.js'));
const { denseMul } = await import(dist('linalg/denseMul.js'));
const { denseTransMul } = await import(dist('linalg/denseTransMul.js'));
const { orthonormalizeColumns } = await import(dist('linalg/orthonormalizeColumns.js'));

const rng = createRng(7);
const data = new Float32Array(new SharedArrayBuffer(n * p * 4));
for (let t = 0; t < data.length; t++) data[t] = rng.normal();
const a = { nRows: n, nCols: p, data };
const b = new Float64Array(p * l);
for (let t = 0; t < b.length; t++) b[t] = rng.normal();
const q = new Float64Array(n * l);
for (let t = 0; t < q.length; t++) q[t] = rng.normal();

/** Best wall seconds over `reps` calls after a warm-up, with the CPU seconds of that call. */
async function time(fn) {
  await fn();
  let best = Infinity, bestCpu = 0;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (wall < best) { best = wall; bestCpu = (c.user + c.system) / 1e6; }
  }
  return { wall: best, cpu: bestCpu };
}

const flops = 2 * n * p * l;
const cases = {};
for (const threads of [1, 2]) {
  const mul = await time(() => denseMul(a, b, l, threads));
  const tmul = await time(() => denseTransMul(a, q, l, threads));
  cases[`mul_t${threads}`] = { ...mul, gflops: flops / mul.wall / 1e9 };
  cases[`transMul_t${threads}`] = { ...tmul, gflops: flops / tmul.wall / 1e9 };
  process.stdout.write(`threads ${threads}: A*B ${mul.wall.toFixed(3)} s (${(flops / mul.wall / 1e9).toFixed(2)} GFLOP/s), A^T*Q ${tmul.wall.toFixed(3)} s (${(flops / tmul.wall / 1e9).toFixed(2)} GFLOP/s)\n`);
}
const orth = await time(() => orthonormalizeColumns(q, n, l));
cases.orthonormalize = orth;
process.stdout.write(`orthonormalizeColumns ${n} x ${l}: ${orth.wall.toFixed(3)} s\n`);

let commit = 'unknown';
try { commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim(); } catch { /* not a git checkout */ }
const all = existsSync(outFile) ? JSON.parse(readFileSync(outFile, 'utf8')) : {};
all[label] = { n, p, l, reps, commit, cpu: cpus()[0]?.model ?? 'unknown', loadavg1: loadavg()[0], date: new Date().toISOString(), cases };
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(all, null, 2) + '\n');
