/**
 * Explicit garbage collection at step boundaries.
 *
 * Matrices live in SharedArrayBuffer memory (src/core/sparse.ts) so that worker threads read them
 * without copies. V8 schedules collections by the growth of the JavaScript heap and of ordinary
 * ArrayBuffer memory, but not by SharedArrayBuffer memory: a matrix replaced by a step's output
 * (the unfiltered counts, a pre-filter copy) would otherwise stay resident until some unrelated
 * collection, which for a small JavaScript heap may never come. One full collection costs about
 * 10 ms here, negligible beside any step that allocates a matrix.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The engine's `gc`, exposed on first use; null where the engine refuses. */
let gcFunction: (() => void) | null | undefined;

/** Runs a full garbage collection (a no-op where the engine does not allow it). */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === 'function') gcFunction = existing;
    else {
      try {
        // Exposing gc after start-up is supported for this flag; a fresh context picks it up.
        setFlagsFromString('--expose-gc');
        gcFunction = runInNewContext('gc') as () => void;
      } catch {
        gcFunction = null;
      }
    }
  }
  gcFunction?.();
}
