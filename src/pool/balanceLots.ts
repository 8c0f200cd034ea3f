/**
 * Balanced pooling: every lot contributes (at most) the same number of cells, so a large lot does
 * not dominate HVG selection, PCA and clustering. Each lot is downsampled without replacement by
 * a partial Fisher-Yates shuffle driven by the seeded stream; lots are visited in code order so
 * the draw depends only on the seed and the lot codes.
 */
import type { Rng } from '../core/rng.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';
import { lotCodes } from '../qc/filterCells.js';

/** Cells per lot: a number, 'min' (the smallest lot's size) or 'all' (no downsampling). */
export type CellsPerLot = number | 'min' | 'all';

/**
 * Kernel: indices of the selected cells, sorted increasingly. A lot with fewer cells than the
 * target keeps all its cells; cells with a negative lot code are never selected.
 * @param lots - lot code per cell, 0..nLots-1
 * @param nLots - number of lots
 * @param cellsPerLot - target per lot
 * @param rng - seeded stream (consumed lot by lot)
 * @example balanceLots(Int32Array.of(0, 0, 0, 1), 2, 'min', createRng(1)) // one cell of lot 0 plus cell 3
 */
export function balanceLots(lots: Int32Array, nLots: number, cellsPerLot: CellsPerLot, rng: Rng): Int32Array {
  const sizes = new Int32Array(nLots + 1);
  for (let i = 0; i < lots.length; i++) if (lots[i] >= 0) sizes[lots[i] + 1]++;
  let target: number;
  if (cellsPerLot === 'all') target = Infinity;
  else if (cellsPerLot === 'min') {
    target = Infinity;
    // The smallest non-empty lot (an empty category would otherwise make every lot empty).
    for (let b = 0; b < nLots; b++) if (sizes[b + 1] > 0 && sizes[b + 1] < target) target = sizes[b + 1];
    if (target === Infinity) target = 0;
  } else target = cellsPerLot;
  // Cells grouped by lot (counting sort keeps original order within a lot).
  const start = new Int32Array(nLots + 1);
  for (let b = 0; b < nLots; b++) start[b + 1] = start[b] + sizes[b + 1];
  const grouped = new Int32Array(start[nLots]);
  const cursor = start.slice(0, nLots);
  for (let i = 0; i < lots.length; i++) if (lots[i] >= 0) grouped[cursor[lots[i]]++] = i;
  let total = 0;
  for (let b = 0; b < nLots; b++) total += Math.min(target, sizes[b + 1]);
  const out = new Int32Array(total);
  let pos = 0;
  for (let b = 0; b < nLots; b++) {
    const size = sizes[b + 1];
    const take = Math.min(target, size);
    const seg = grouped.subarray(start[b], start[b + 1]);
    if (take < size) {
      // Partial Fisher-Yates: positions 0..take-1 end up a uniform sample without replacement.
      for (let t = 0; t < take; t++) {
        const u = t + rng.int(size - t);
        const tmp = seg[t];
        seg[t] = seg[u];
        seg[u] = tmp;
      }
    }
    out.set(seg.subarray(0, take), pos);
    pos += take;
  }
  return out.sort();
}

/** Parameters of {@link balanceLotsStep}. */
export interface BalanceLotsParams {
  /** Cells per lot: a positive integer, 'min' or 'all'. @default 'min' */
  cellsPerLot: CellsPerLot;
  /** obs column holding the lot of each cell. @default 'lot' */
  lotKey: string;
  /** Keep only pooled cells (true) or only mark them in obs `in_pool` (false). @default false */
  subset: boolean;
}

/**
 * Step `balance_lots`: sets obs `in_pool` (bool) from {@link balanceLots} with the step's seeded stream.
 * @example await balanceLotsStep(adata, { cellsPerLot: 500 }, { rng: createRng(42) });
 */
export const balanceLotsStep = defineStep<BalanceLotsParams>({
  name: 'balance_lots',
  defaults: { cellsPerLot: 'min', lotKey: 'lot', subset: false },
  validate: (p) => {
    const c = p.cellsPerLot;
    if (!(c === 'min' || c === 'all' || (typeof c === 'number' && Number.isInteger(c) && c > 0))) {
      throw new UsageError(`cellsPerLot must be a positive integer, 'min' or 'all', got ${JSON.stringify(c)}`);
    }
  },
  run: async (adata, p, ctx) => {
    if (!adata.obs.has(p.lotKey)) throw new AnalysisError(`balance_lots needs obs '${p.lotKey}' (the lot of each cell)`);
    const { codes, labels } = lotCodes(adata.obs, p.lotKey);
    const selected = balanceLots(codes, labels.length, p.cellsPerLot, ctx.rng);
    if (selected.length === 0) throw new AnalysisError('balance_lots selected no cells (all lots empty)');
    const inPool = new Uint8Array(adata.nObs);
    for (let t = 0; t < selected.length; t++) inPool[selected[t]] = 1;
    ctx.log.info({ nLots: labels.length, pooled: selected.length }, 'balanced pool');
    const marked = adata.with({ obs: adata.obs.with('in_pool', { kind: 'bool', values: inPool }) });
    return p.subset ? marked.subset(selected, null, ctx.threads) : marked;
  },
});
