/**
 * Deterministic data parallelism over worker threads. A kernel module exports plain functions
 * that take structured-cloneable arguments (typed arrays, SharedArrayBuffer views, numbers);
 * `parallelMap` calls one such function once per task, in workers when `threads > 1` and in the
 * main thread otherwise. Results come back in task order, so output never depends on the
 * number of threads: callers split work into a fixed number of tasks independent of `threads`
 * and combine results in task order.
 *
 * Workers are started once and kept in a pool across calls (idle ones never keep the process alive).
 * Workers run compiled JavaScript: a module URL under `src/` (tests run TypeScript sources) is
 * mapped to its compiled twin under `dist/`, so `npm run build` must have run before threaded
 * code is used from sources.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';

/** The compiled JavaScript URL for a module URL (identity for `.js`; `src/x.ts` -> `dist/x.js`). */
export function compiledModuleUrl(moduleUrl: string): string {
  if (!moduleUrl.endsWith('.ts')) return moduleUrl;
  const path = fileURLToPath(moduleUrl);
  const marker = `${'/'}src${'/'}`;
  const at = path.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot map ${path} to a compiled module: not under src/`);
  const compiled = path.slice(0, at) + '/dist/' + path.slice(at + marker.length).replace(/\.ts$/, '.js');
  if (!existsSync(compiled)) {
    throw new Error(`worker module ${compiled} is missing; run 'npm run build' first`);
  }
  return pathToFileURL(compiled).href;
}

// The worker body: import the kernel module, run the named function on each task it is sent. A
// worker's heap barely grows, so it would seldom collect garbage and would keep every shared matrix
// it was ever sent alive; it collects once it has been idle briefly (not between back-to-back tasks).
// Modules named in workerData.preload are imported as the worker starts (failures are left to the
// first task that needs them).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
for (const url of (workerData && workerData.preload) || []) import(url).catch(() => {});
let collect = globalThis.gc;
if (typeof collect !== 'function') {
  try {
    require('node:v8').setFlagsFromString('--expose-gc');
    collect = require('node:vm').runInNewContext('gc');
  } catch {
    collect = null;
  }
}
let idle = null;
parentPort.on('message', async (msg) => {
  if (idle) {
    clearTimeout(idle);
    idle = null;
  }
  try {
    const mod = await import(msg.url);
    const result = await mod[msg.fn](...msg.args);
    parentPort.postMessage({ ok: true, result });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: (e && e.stack) || String(e) });
  }
  if (collect) {
    idle = setTimeout(() => {
      idle = null;
      collect();
    }, 25);
    idle.unref();
  }
});
`;
/** A pooled worker and the task it is running (null when idle). */
interface PooledWorker {
  worker: Worker;
  current: { resolve: (r: unknown) => void; reject: (e: Error) => void } | null;
  /** Pending idle shutdown, cleared when the worker is reserved again. */
  idleTimer: ReturnType<typeof setTimeout> | null;
}

/**
 * An idle worker is terminated after this many milliseconds: long enough to outlast the serial
 * stretches of an analysis (reading, UMAP's epochs), so each step finds its workers started and
 * their kernels compiled. An idle worker holds no large inputs: it collects garbage 25 ms after its
 * last task, which frees its references to shared matrices.
 */
let idleTimeoutMs = 60_000;

/** Sets how long an idle worker is kept (milliseconds; for tests and for programs embedding the library). */
export function setWorkerIdleTimeout(ms: number): void {
  idleTimeoutMs = ms;
}

/**
 * Workers kept across calls: starting a worker and importing the kernel module costs tens of
 * milliseconds, and randomized PCA alone makes 16+ parallel calls. Idle workers are `unref`ed so
 * they never keep the process alive, and end after an idle timeout (see {@link setWorkerIdleTimeout}); a worker that crashes
 * is dropped and replaced on demand.
 */
const pool: PooledWorker[] = [];

/** Workers reserved by a running `parallelMap` call (concurrent calls never share a worker). */
const busy = new Set<PooledWorker>();

/** Starts a worker, adds it to the pool, and routes its replies and failures to its current task. */
function newPooledWorker(): PooledWorker {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { preload: preloadUrls() } });
  const pw: PooledWorker = { worker, current: null, idleTimer: null };
  const fail = (e: Error): void => {
    const at = pool.indexOf(pw);
    if (at >= 0) pool.splice(at, 1);
    if (pw.idleTimer) clearTimeout(pw.idleTimer);
    const cur = pw.current;
    pw.current = null;
    if (cur) cur.reject(e);
  };
  pw.worker.on('message', (msg: { ok: boolean; result?: unknown; error?: string }) => {
    const cur = pw.current;
    pw.current = null;
    pw.worker.unref();
    if (!cur) return;
    if (msg.ok) cur.resolve(msg.result);
    else cur.reject(new Error(msg.error));
  });
  pw.worker.on('error', fail);
  pw.worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
  pw.worker.unref();
  pool.push(pw);
  return pw;
}

/**
 * Modules every worker imports as it starts: the step module, which every kernel module imports and
 * which loads the logger (about 45 ms, most of a worker's first task otherwise). Workers start while
 * the input is read, so this is paid off the critical path. Empty when no compiled code exists.
 */
function preloadUrls(): string[] {
  const own = import.meta.url;
  try {
    return [compiledModuleUrl(new URL(own.endsWith('.ts') ? './step.ts' : './step.js', own).href)];
  } catch {
    return [];
  }
}

/** Takes an idle pooled worker (starting one when none is idle); it stays reserved until released. */
function acquireWorker(reserved: Set<PooledWorker>): PooledWorker {
  let pw = pool.find((w) => w.current === null && !busy.has(w));
  pw ??= newPooledWorker();
  if (pw.idleTimer) {
    clearTimeout(pw.idleTimer);
    pw.idleTimer = null;
  }
  busy.add(pw);
  reserved.add(pw);
  return pw;
}

/** Returns a reserved worker to the pool and schedules its idle shutdown. */
function releaseWorker(pw: PooledWorker): void {
  busy.delete(pw);
  if (!pool.includes(pw)) return;
  pw.idleTimer = setTimeout(() => {
    pw.idleTimer = null;
    if (busy.has(pw) || pw.current !== null) return;
    const at = pool.indexOf(pw);
    if (at >= 0) pool.splice(at, 1);
    void pw.worker.terminate();
  }, idleTimeoutMs);
  pw.idleTimer.unref();
}

/** Runs one task on a reserved worker. */
function runOnWorker<R>(pw: PooledWorker, url: string, fn: string, args: unknown[]): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    pw.current = { resolve: resolve as (r: unknown) => void, reject };
    pw.worker.ref();
    pw.worker.postMessage({ url, fn, args });
  });
}

/**
 * Starts pooled workers until `threads` are kept, without waiting for them: a command calls this
 * before reading its input, so the workers boot while the file is parsed (as a WebAssembly
 * pipeline creates its thread pool when it is initialised).
 */
export function startWorkers(threads: number): void {
  const wanted = Math.max(0, Math.floor(threads));
  if (wanted <= 1) return;
  while (pool.length < wanted) releaseWorker(newPooledWorker());
}

/** Number of worker threads currently kept by the pool (for tests and diagnostics). */
export function parallelPoolSize(): number {
  return pool.length;
}

/** Terminates every pooled worker (idle ones are unref'ed anyway; this frees their memory now). */
export async function closeParallelPool(): Promise<void> {
  const all = pool.splice(0, pool.length);
  for (const pw of all) if (pw.idleTimer) clearTimeout(pw.idleTimer);
  await Promise.all(all.map((pw) => pw.worker.terminate()));
}

/**
 * Runs `module[fnName](...args)` for every entry of `tasks` and returns the results in task order.
 * With `threads <= 1` (or a single task) everything runs in the calling thread; otherwise on
 * `min(threads, tasks.length)` workers from a persistent pool, each taking the next task as it
 * finishes one.
 *
 * @param moduleUrl `import.meta.url` of the module that exports the kernel.
 * @param fnName exported function name; it must be pure (same args -> same result) or write only
 *   to its own disjoint part of a shared output.
 * @param tasks argument lists, one per call.
 * @param threads worker threads to use (capped at the number of tasks).
 */
export async function parallelMap<R>(moduleUrl: string, fnName: string, tasks: readonly unknown[][], threads: number): Promise<R[]> {
  const nWorkers = Math.min(Math.max(1, Math.floor(threads)), tasks.length);
  if (nWorkers <= 1) {
    const mod = (await import(moduleUrl)) as Record<string, (...a: unknown[]) => R | Promise<R>>;
    const fn = mod[fnName];
    if (typeof fn !== 'function') throw new Error(`${moduleUrl} exports no function '${fnName}'`);
    const out: R[] = [];
    for (const args of tasks) out.push(await fn(...args));
    return out;
  }
  const url = compiledModuleUrl(moduleUrl);
  const results = new Array<R>(tasks.length);
  let next = 0;
  let failed = false;
  const reserved = new Set<PooledWorker>();
  const lane = async (pw: PooledWorker): Promise<void> => {
    while (!failed && next < tasks.length) {
      const id = next++;
      try {
        results[id] = await runOnWorker<R>(pw, url, fnName, tasks[id]);
      } catch (e) {
        failed = true;
        throw new Error(`worker task ${id} (${fnName}) failed: ${(e as Error).message}`);
      }
    }
  };
  try {
    const lanes: Promise<void>[] = [];
    for (let t = 0; t < nWorkers; t++) lanes.push(lane(acquireWorker(reserved)));
    const settled = await Promise.allSettled(lanes);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  } finally {
    for (const pw of reserved) releaseWorker(pw);
  }
  return results;
}

/** Splits [0, n) into `parts` contiguous ranges of near-equal size: [start0, end0, start1, end1, ...]. */
export function splitRange(n: number, parts: number): Int32Array {
  const p = Math.max(1, Math.min(parts, n || 1));
  const out = new Int32Array(2 * p);
  for (let t = 0; t < p; t++) {
    out[2 * t] = Math.floor((t * n) / p);
    out[2 * t + 1] = Math.floor(((t + 1) * n) / p);
  }
  return out;
}

/** A zeroed Float64Array of `length`, in shared memory when `shared` (for workers to write into). */
export function allocFloat64(length: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(8 * length)) : new Float64Array(length);
}

/** `a` in shared memory when `shared` (workers will read it), copying it there only if it is not already. */
export function sharedWhen<T extends Float32Array | Float64Array | Int32Array | Uint32Array>(a: T, shared: boolean): T {
  return shared && !(a.buffer instanceof SharedArrayBuffer) ? toShared(a) : a;
}

/** Copies a typed array into shared memory so workers read it without a copy per task. */
export function toShared<T extends Float32Array | Float64Array | Int32Array | Uint32Array>(a: T): T {
  const ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new ctor(new SharedArrayBuffer(a.length * ctor.BYTES_PER_ELEMENT));
  out.set(a as never);
  return out;
}
