/**
 * Deterministic data parallelism over worker threads. A kernel module exports plain functions
 * that take structured-cloneable arguments (typed arrays, SharedArrayBuffer views, numbers);
 * `parallelMap` calls one such function once per task, in workers when `threads > 1` and in the
 * main thread otherwise. Results come back in task order, so output never depends on the
 * number of threads: callers split work into a fixed number of tasks independent of `threads`
 * and combine results in task order.
 *
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

// The worker body: import the kernel module, run the named function on each task it is sent.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async (msg) => {
  try {
    const mod = await import(msg.url);
    const result = await mod[msg.fn](...msg.args);
    parentPort.postMessage({ id: msg.id, ok: true, result });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, error: (e && e.stack) || String(e) });
  }
});
`;

/**
 * Runs `module[fnName](...args)` for every entry of `tasks` and returns the results in task order.
 * With `threads <= 1` (or a single task) everything runs in the calling thread.
 *
 * @param moduleUrl `import.meta.url` of the module that exports the kernel.
 * @param fnName exported function name; it must be pure (same args -> same result).
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
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: nWorkers }, () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(WORKER_SOURCE, { eval: true });
          workers.push(w);
          const dispatch = (): void => {
            if (next >= tasks.length) {
              resolve();
              return;
            }
            const id = next++;
            w.postMessage({ id, url, fn: fnName, args: tasks[id] });
          };
          w.on('message', (msg: { id: number; ok: boolean; result?: R; error?: string }) => {
            if (!msg.ok) {
              reject(new Error(`worker task ${msg.id} (${fnName}) failed: ${msg.error}`));
              return;
            }
            results[msg.id] = msg.result as R;
            dispatch();
          });
          w.on('error', reject);
          dispatch();
        }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
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

/** Copies a typed array into shared memory so workers read it without a copy per task. */
export function toShared<T extends Float32Array | Float64Array | Int32Array | Uint32Array>(a: T): T {
  const ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new ctor(new SharedArrayBuffer(a.length * ctor.BYTES_PER_ELEMENT));
  out.set(a as never);
  return out;
}
