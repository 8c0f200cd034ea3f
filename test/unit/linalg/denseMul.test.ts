import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { closeParallelPool, parallelMap, parallelPoolSize, setWorkerIdleTimeout, startWorkers } from '../../../src/core/parallel.js';
import { denseMul, packColumnPanels } from '../../../src/linalg/denseMul.js';
import { denseTransMul, geneTaskRanges } from '../../../src/linalg/denseTransMul.js';

/** Seeded n x p Float32 matrix on shared memory (as scaleData makes it). */
function randomDense(n: number, p: number, seed: number): { nRows: number; nCols: number; data: Float32Array } {
  const rng = createRng(seed);
  const data = new Float32Array(new SharedArrayBuffer(n * p * 4));
  for (let t = 0; t < data.length; t++) data[t] = rng.normal();
  return { nRows: n, nCols: p, data };
}

function randomF64(len: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: len }, () => rng.normal());
}

/** Naive triple loops in Float64: the oracle. */
function naiveMul(a: Float32Array, n: number, p: number, b: Float64Array, l: number): Float64Array {
  const out = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += a[i * p + j] * b[j * l + c];
    out[i * l + c] = s;
  }
  return out;
}
function naiveTransMul(a: Float32Array, n: number, p: number, q: Float64Array, l: number): Float64Array {
  const out = new Float64Array(p * l);
  for (let j = 0; j < p; j++) for (let c = 0; c < l; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i * p + j] * q[i * l + c];
    out[j * l + c] = s;
  }
  return out;
}

function maxAbsDiff(x: Float64Array, y: Float64Array): number {
  let m = 0;
  for (let t = 0; t < x.length; t++) m = Math.max(m, Math.abs(x[t] - y[t]));
  return m;
}

describe('packColumnPanels', () => {
  it('lays out 4-column panels with zero padding', () => {
    // B = [[1 2 3 4 5], [6 7 8 9 10]] (2 x 5): panel 0 = rows [1 2 3 4], [6 7 8 9]; panel 1 = [5 0 0 0], [10 0 0 0].
    const b = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    expect([...packColumnPanels(b, 2, 5, false)]).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 5, 0, 0, 0, 10, 0, 0, 0]);
  });
});

describe('dense products', () => {
  // Edge shapes: rows not a multiple of 4 (and of the 1,024-row task), columns not a multiple of 4,
  // genes not a multiple of 4 or of the 256-gene task.
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 2], [7, 13, 7], [1031, 263, 10], [2050, 517, 60]];
  for (const [n, p, l] of shapes) {
    it(`match naive loops for ${n} x ${p} times ${l} columns`, async () => {
      const a = randomDense(n, p, n + p);
      const b = randomF64(p * l, 1);
      const q = randomF64(n * l, 2);
      const ab = await denseMul(a, b, l, 1);
      const atq = await denseTransMul(a, q, l, 1);
      // A * B sums over j in order as the oracle does: identical. A^T Q sums in row blocks: round-off only.
      expect(maxAbsDiff(ab, naiveMul(a.data, n, p, b, l))).toBe(0);
      expect(maxAbsDiff(atq, naiveTransMul(a.data, n, p, q, l))).toBeLessThan(1e-11 * Math.sqrt(n));
    });
  }

  it('splits genes into fixed 256-gene tasks', () => {
    expect([...geneTaskRanges(2000)]).toEqual([0, 256, 256, 512, 512, 768, 768, 1024, 1024, 1280, 1280, 1536, 1536, 1792, 1792, 2000]);
    expect([...geneTaskRanges(3)]).toEqual([0, 3]);
  });

  // Worker threads run the compiled kernels from dist/ (`npm run build` first; CI builds before testing).
  it('are bit-identical with 1, 2 and 3 threads and reuse pooled workers', async () => {
    const n = 5000, p = 600, l = 12;
    const a = randomDense(n, p, 3);
    const b = randomF64(p * l, 4);
    const q = randomF64(n * l, 5);
    const ab1 = await denseMul(a, b, l, 1);
    const atq1 = await denseTransMul(a, q, l, 1);
    for (const threads of [2, 3]) {
      expect([...(await denseMul(a, b, l, threads))]).toEqual([...ab1]);
      expect([...(await denseTransMul(a, q, l, threads))]).toEqual([...atq1]);
    }
    const pooled = parallelPoolSize();
    expect(pooled).toBeGreaterThanOrEqual(3);
    for (let r = 0; r < 4; r++) await denseMul(a, b, l, 2);
    // Repeated calls take idle workers from the pool instead of starting new ones.
    expect(parallelPoolSize()).toBe(pooled);
  });

  it('reports a failing worker task and keeps the pool usable', async () => {
    const a = randomDense(3000, 8, 6);
    const b = randomF64(8 * 4, 7);
    // A null output makes the kernel throw inside the worker: the call rejects, naming the kernel.
    const ranges = [[a.data, 8, 0, 1024, b, 4, null], [a.data, 8, 1024, 2048, b, 4, null]];
    const url = new URL('../../../src/linalg/denseMul.ts', import.meta.url).href;
    await expect(parallelMap(url, 'denseMulBlock', ranges, 2)).rejects.toThrow(/denseMulBlock/);
    const again = await denseMul(a, b, 4, 2);
    expect(maxAbsDiff(again, naiveMul(a.data, 3000, 8, b, 4))).toBe(0);
    // Idle workers end after the idle timeout (60 s by default; 1 s here).
    await closeParallelPool();
    setWorkerIdleTimeout(1000);
    await denseMul(a, b, 4, 2);
    expect(parallelPoolSize()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(parallelPoolSize()).toBe(0);
    setWorkerIdleTimeout(60_000);
  });

  it('starts workers ahead of the first task, up to the thread count', async () => {
    await closeParallelPool();
    startWorkers(2);
    expect(parallelPoolSize()).toBe(2);
    startWorkers(1);
    expect(parallelPoolSize()).toBe(2);
    const a = randomDense(3000, 8, 8);
    const b = randomF64(8 * 4, 9);
    expect(maxAbsDiff(await denseMul(a, b, 4, 2), naiveMul(a.data, 3000, 8, b, 4))).toBe(0);
    expect(parallelPoolSize()).toBe(2);
  });
});
