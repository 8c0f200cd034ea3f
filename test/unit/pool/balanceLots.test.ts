import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { Frame, categoricalFrom } from '../../../src/core/frame.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { csrFromDense } from '../../../src/core/sparse.js';
import { balanceLots, balanceLotsStep } from '../../../src/pool/balanceLots.js';

// lots: A has 6 cells, B 3, C 4 (interleaved)
const lots = Int32Array.of(0, 1, 0, 2, 0, 1, 2, 0, 2, 0, 1, 2, 0);
const perLot = (sel: Int32Array): number[] => {
  const c = [0, 0, 0];
  for (const i of sel) c[lots[i]]++;
  return c;
};

describe('balanceLots', () => {
  it("'min' takes the smallest lot's size (3) from every lot, sorted and without repeats", () => {
    const sel = balanceLots(lots, 3, 'min', createRng(7));
    expect(perLot(sel)).toEqual([3, 3, 3]);
    expect(new Set(sel).size).toBe(9);
    for (let t = 1; t < sel.length; t++) expect(sel[t]).toBeGreaterThan(sel[t - 1]);
  });

  it('a number caps each lot; smaller lots keep all their cells', () => {
    expect(perLot(balanceLots(lots, 3, 4, createRng(1)))).toEqual([4, 3, 4]);
  });

  it("'all' keeps every cell", () => {
    expect([...balanceLots(lots, 3, 'all', createRng(1))]).toEqual(Array.from({ length: 13 }, (_, i) => i));
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = balanceLots(lots, 3, 'min', createRng(11));
    const b = balanceLots(lots, 3, 'min', createRng(11));
    expect([...a]).toEqual([...b]);
    const draws = new Set<string>();
    for (let s = 0; s < 20; s++) draws.add(balanceLots(lots, 3, 'min', createRng(s)).join(','));
    expect(draws.size).toBeGreaterThan(5);
  });

  it('samples each cell of a lot with equal probability', () => {
    // lot A (6 cells) downsampled to 3: each cell chosen with probability 1/2
    const hits = new Float64Array(13);
    const reps = 4000;
    const rng = createRng(3);
    for (let r = 0; r < reps; r++) for (const i of balanceLots(lots, 3, 'min', rng)) hits[i]++;
    for (const i of [0, 2, 4, 7, 9, 12]) expect(Math.abs(hits[i] / reps - 0.5)).toBeLessThan(0.04);
  });

  it('step sets obs in_pool from the lot column', async () => {
    const labels = [...lots].map((c) => 'ABC'[c]);
    const adata = new AnnDataLite({
      X: csrFromDense(13, 1, new Array(13).fill(1)),
      obs: new Frame(labels.map((_, i) => `c${i}`), [['lot', categoricalFrom(labels)]]),
      var: new Frame(['g']),
    });
    const out = await balanceLotsStep(adata, { cellsPerLot: 'min' }, { rng: createRng(5) });
    const pool = out.obs.require('in_pool');
    if (pool.kind !== 'bool') throw new Error('in_pool not bool');
    expect(pool.values.reduce((s, v) => s + v, 0)).toBe(9);
    await expect(balanceLotsStep(adata, { cellsPerLot: 0 })).rejects.toThrow(/cellsPerLot/);
  });
});
