/**
 * Multi-lot loading: reads every lot of a sample sheet and stacks the cells into one AnnDataLite.
 *
 * Genes are matched by feature ID when every lot has a `gene_ids` column, else by var name
 * (symbol). The gene set is the union (genes missing from a lot are zero there) or the
 * intersection. Each lot's columns are remapped through an Int32Array lookup, so the whole
 * merge is O(total nnz + total genes); string-keyed maps are used per gene, never per nonzero.
 *
 * Memory: the merged arrays are allocated once from the lots' header counts ({@link peekNnz}); each
 * lot is copied in right after it is read and then dropped, and the columns are remapped in place
 * once every lot's genes are known. Peak is the merged matrix plus one lot being read per thread.
 *
 * Threads: decompressing and parsing take most of the time and lots are independent, so with
 * `threads > 1` (and every header count known) worker threads read lots at once, each writing its
 * entries into the merged arrays at the sum of the earlier lots' counts ({@link readLotInto}).
 */
import { AnnDataLite } from '../core/adata.js';
import { collectGarbage } from '../core/collectGarbage.js';
import { InputError, UsageError } from '../core/errors.js';
import { Frame, columnStrings, concatColumns, type Column } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { toShared } from '../core/parallel.js';
import { allocIndices, allocIndptr, allocValues, nnzOf, sortRowSegment, type CsrMatrix, type Indptr } from '../core/sparse.js';
import { makeNamesUnique } from './makeNamesUnique.js';
import { peekNnz } from './peekNnz.js';
import { readMatrix, type MatrixFormat } from './readMatrix.js';
import { lotError, readLotsInto, replayRecords } from './readLotInto.js';
import type { SampleSheet } from './readSampleSheet.js';

/** Options of {@link loadLots}. */
export interface LoadLotsOptions {
  /** Keep genes seen in any lot ('union', zero where absent) or in every lot ('intersection'). @default 'union' */
  join: 'union' | 'intersection';
  /**
   * Lots read at once in worker threads (when every lot's entry count is known from its header:
   * MTX, 10x HDF5, sparse h5ad); the result is the same for any number. @default 1
   */
  threads: number;
}

/** Per-lot summary returned next to the merged data. */
export interface LoadedLotInfo {
  /** Lot ID from the sheet. */
  readonly lot: string;
  /** Absolute path that was read. */
  readonly path: string;
  /** Detected input format. */
  readonly format: MatrixFormat;
  /** Cells in this lot. */
  readonly nObs: number;
  /** Genes in this lot before matching. */
  readonly nVars: number;
  /** h5ad only: where the counts came from. */
  readonly countsSource?: string;
}

/** Result of {@link loadLots}. */
export interface LoadLotsResult {
  /** Cells of all lots in sheet order; X = counts (CSR), `layers.counts` the same object. */
  readonly adata: AnnDataLite;
  /** One entry per lot, in sheet order. */
  readonly lots: readonly LoadedLotInfo[];
  /** 'gene_ids' when genes were matched by feature ID, 'var_names' when by symbol. */
  readonly matchedBy: 'gene_ids' | 'var_names';
  /** Genes present in some lots but not all. */
  readonly genesNotShared: number;
}

/**
 * The merged entries of all lots, filled lot by lot: `indices`/`data` hold each lot's own CSR
 * entries (its own column numbers) back to back from `offsets[l]`, and `indptrs[l]` is the lot's
 * row pointer relative to that offset. Only the small row pointers of the lots are kept.
 */
interface MergeBuffer {
  indices: Int32Array;
  data: Float32Array;
  /** Entries written so far. */
  used: number;
  readonly offsets: number[];
  readonly indptrs: Indptr[];
}

/**
 * Copies lot `m` into the merge buffer after the lots already there. When the header counts
 * under-estimated (or were unknown), the buffer grows to `used + nnz(m) + reserve` first: one copy
 * of what is already merged, which the exact header counts of 10x/h5ad lots avoid.
 */
function appendLot(buf: MergeBuffer, m: CsrMatrix, reserve: number): void {
  const n = nnzOf(m);
  if (buf.used + n > buf.indices.length) {
    const capacity = buf.used + n + reserve;
    const indices = allocIndices(capacity);
    const data = allocValues(capacity);
    indices.set(buf.indices.subarray(0, buf.used));
    data.set(buf.data.subarray(0, buf.used));
    buf.indices = indices;
    buf.data = data;
  }
  buf.indices.set(m.indices.subarray(0, n), buf.used);
  buf.data.set(m.data.subarray(0, n), buf.used);
  buf.offsets.push(buf.used);
  buf.indptrs.push(m.indptr);
  buf.used += n;
}

/**
 * Renumbers every lot's columns through `maps[l]` (old column -> merged column, -1 = drop) in
 * place and closes the gaps left by dropped entries, returning the merged CSR with `nCols`
 * columns. A row is re-sorted only when its lot's map is not increasing on the kept columns.
 * In place is safe because the write position never passes the read position (entries are only
 * dropped, never added). The result equals remapping each lot into its own matrix and stacking.
 */
function remapMerged(buf: MergeBuffer, maps: readonly Int32Array[], nCols: number): CsrMatrix {
  const { indices, data } = buf;
  let nRows = 0;
  for (const p of buf.indptrs) nRows += p.length - 1;
  const indptr = allocIndptr(nRows + 1, buf.used);
  let w = 0;
  let row = 0;
  for (let l = 0; l < maps.length; l++) {
    const map = maps[l];
    let increasing = true;
    let prev = -1;
    for (let j = 0; j < map.length; j++) {
      if (map[j] < 0) continue;
      if (map[j] <= prev) increasing = false;
      prev = map[j];
    }
    const lp = buf.indptrs[l];
    const base = buf.offsets[l];
    const lotRows = lp.length - 1;
    if (isIdentity(map, nCols)) {
      // Same columns (the usual case: lots with one feature list): the entries only move down
      // over any gap before them, and most often not even that.
      const n = lp[lotRows];
      if (w !== base) {
        indices.copyWithin(w, base, base + n);
        data.copyWithin(w, base, base + n);
      }
      for (let i = 0; i < lotRows; i++, row++) indptr[row + 1] = w + lp[i + 1];
      w += n;
      continue;
    }
    for (let i = 0; i < lotRows; i++, row++) {
      const start = w;
      const end = base + lp[i + 1];
      for (let k = base + lp[i]; k < end; k++) {
        const j = map[indices[k]];
        if (j < 0) continue;
        indices[w] = j;
        data[w] = data[k];
        w++;
      }
      if (!increasing) sortRowSegment(indices, data, start, w);
      indptr[row + 1] = w;
    }
  }
  // Exactly filled (the usual case: union join, exact header counts) keeps the arrays; a small
  // slack stays as views; a large one (intersection dropping many genes) is trimmed by one copy.
  const capacity = indices.length;
  const slack = capacity - w;
  const trim = slack * 8 > capacity;
  return {
    format: 'csr',
    nRows,
    nCols,
    // Narrow indptr like allocIndptr would for the final nnz (only differs past 2^32 entries).
    indptr: indptr instanceof Float64Array && w < 2 ** 32 ? toShared(Uint32Array.from(indptr)) : indptr,
    indices: slack === 0 ? indices : trim ? toShared(indices.subarray(0, w)) : indices.subarray(0, w),
    data: slack === 0 ? data : trim ? toShared(data.subarray(0, w)) : data.subarray(0, w),
  };
}

/** True when `map` sends every column j of a lot to merged column j. */
function isIdentity(map: Int32Array, nCols: number): boolean {
  if (map.length > nCols) return false;
  for (let j = 0; j < map.length; j++) if (map[j] !== j) return false;
  return true;
}

/** True when `a` and `b` hold the same strings in the same order. */
function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

/** Repeats one value per lot over that lot's cells, as codes into `categories`. */
function perLotCategorical(values: readonly (string | undefined)[], sizes: readonly number[]): Column {
  const cats: string[] = [];
  for (const v of values) if (v !== undefined && !cats.includes(v)) cats.push(v);
  const total = sizes.reduce((s, n) => s + n, 0);
  const codes = new Int32Array(total);
  let off = 0;
  for (let l = 0; l < sizes.length; l++) {
    const v = values[l];
    codes.fill(v === undefined ? -1 : cats.indexOf(v), off, off + sizes[l]);
    off += sizes[l];
  }
  return { kind: 'categorical', codes, categories: cats, ordered: false };
}

/** What the merge keeps of one lot besides its entries (which are in the merge buffer). */
interface LotTables {
  readonly info: LoadedLotInfo;
  /** obs: barcodes as index, and the columns the lot's file carries. */
  readonly obs: Frame;
  readonly varNames: readonly string[];
  /** var `gene_ids` as strings, when the lot has them. */
  readonly geneIds: string[] | null;
}

/** The lot's feature IDs as strings, or null when it has none. */
function geneIdsOf(vars: Frame): string[] | null {
  const ids = vars.get('gene_ids');
  return ids && (ids.kind === 'string' || ids.kind === 'categorical') ? columnStrings(ids) : null;
}

/** The sheet's lots read one after another on this thread, each appended to `buf` as it arrives. */
async function readLotsInTurn(sheet: SampleSheet, expected: readonly (number | null)[], buf: MergeBuffer, log: Logger): Promise<LotTables[]> {
  const out: LotTables[] = [];
  for (const lot of sheet.lots) {
    const t0 = performance.now();
    let res;
    try {
      res = await readMatrix(lot.path, { log });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`lot '${lot.lot}': ${e.message}`, { cause: e });
      throw e;
    }
    const { adata, format, countsSource } = res;
    // Room still to keep for the lots after this one: their header counts, or this lot's size for
    // each lot whose count is unknown (dense tables), so growing happens rarely.
    const counts = adata.layers.counts ?? adata.X;
    let reserve = 0;
    for (let r = out.length + 1; r < sheet.lots.length; r++) reserve += expected[r] ?? nnzOf(counts);
    appendLot(buf, counts, reserve);
    const info = { lot: lot.lot, path: lot.path, format, nObs: adata.nObs, nVars: adata.nVars, ...(countsSource ? { countsSource } : {}) };
    out.push({ info, obs: adata.obs, varNames: adata.varNames, geneIds: geneIdsOf(adata.var) });
    log.info({ lot: lot.lot, format, nObs: adata.nObs, nVars: adata.nVars, ms: Math.round(performance.now() - t0) }, 'read lot');
  }
  return out;
}

/**
 * The sheet's lots read by `threads` workers at once ({@link readLotInto}), each writing its entries
 * into `buf` at the sum of the header counts of the lots before it. Every lot's count must be known.
 */
async function readLotsInWorkers(sheet: SampleSheet, expected: readonly number[], buf: MergeBuffer, threads: number, log: Logger): Promise<LotTables[]> {
  const tasks: unknown[][] = [];
  let offset = 0;
  for (let l = 0; l < sheet.lots.length; l++) {
    tasks.push([sheet.lots[l].path, buf.indices, buf.data, offset, expected[l]]);
    buf.offsets.push(offset);
    offset += expected[l];
  }
  buf.used = offset;
  const results = await readLotsInto(tasks, threads);
  return results.map((r, l) => {
    const lot = sheet.lots[l];
    if ('failure' in r) {
      const e = lotError(r);
      throw e instanceof InputError ? new InputError(`lot '${lot.lot}': ${e.message}`, { cause: e }) : e;
    }
    replayRecords(r.records, log);
    buf.indptrs.push(r.indptr);
    const nObs = r.obsNames.length;
    const info = { lot: lot.lot, path: lot.path, format: r.format, nObs, nVars: r.nVars, ...(r.countsSource ? { countsSource: r.countsSource } : {}) };
    const vars = new Frame(r.varNames, r.varColumns);
    log.info({ lot: lot.lot, format: r.format, nObs, nVars: r.nVars, ms: r.ms }, 'read lot');
    return { info, obs: new Frame(r.obsNames, r.obsColumns), varNames: r.varNames, geneIds: geneIdsOf(vars) };
  });
}

/**
 * Reads every lot of `sheet` with `readMatrix` and merges them into one AnnDataLite.
 * Cell IDs are `<lot>:<barcode>`; obs columns: `lot` (categorical in sheet order), `barcode`,
 * `condition` and `source` (categorical, when the sheet has them), each readout (Float64, NaN =
 * missing), each free-text sheet column (categorical), then any cell-level column that every
 * lot's file carries (h5ad obs annotations) and the sheet does not name. A warning is logged with the number of
 * genes not shared by all lots.
 * @param sheet - from {@link readSampleSheet}
 * @param options - join mode
 * @param log - where the warning and per-lot progress go
 * @example
 * const { adata } = await loadLots(await readSampleSheet('samples.csv'), { join: 'intersection' }, log);
 */
export async function loadLots(sheet: SampleSheet, options: Partial<LoadLotsOptions> = {}, log: Logger = silentLogger): Promise<LoadLotsResult> {
  const join = options.join ?? 'union';
  if (join !== 'union' && join !== 'intersection') {
    throw new UsageError(`loadLots: expected join 'union' or 'intersection', got '${String(join)}'`);
  }
  if (sheet.lots.length === 0) throw new InputError(`${sheet.path}: expected at least one lot, got none`);
  // Peak memory: the merged arrays are allocated once from the lots' header counts, and each lot is
  // copied in and dropped right after it is read, so at most one lot's own matrix per thread is
  // alive beside them (instead of every lot, their remapped copies and the stacked result).
  const expected: (number | null)[] = [];
  for (const lot of sheet.lots) expected.push(await peekNnz(lot.path));
  let capacity = 0;
  for (const n of expected) capacity += n ?? 0;
  const buf: MergeBuffer = { indices: allocIndices(capacity), data: allocValues(capacity), used: 0, offsets: [], indptrs: [] };
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const lots =
    threads > 1 && sheet.lots.length > 1 && expected.every((n) => n !== null)
      ? await readLotsInWorkers(sheet, expected as number[], buf, threads, log)
      : await readLotsInTurn(sheet, expected, buf, log);
  const infos = lots.map((t) => t.info);
  const barcodes = lots.map((t) => t.obs.index);
  const lotObs = lots.map((t) => t.obs);
  const idKeys = lots.map((t) => t.geneIds);
  const nameKeys = lots.map((t) => t.varNames);
  // Match by feature ID only when every lot has IDs; symbols differ between annotations, IDs do not.
  const byId = idKeys.every((k) => k !== null);
  const matchedBy = byId ? 'gene_ids' : 'var_names';
  // Lots usually share one feature list: a lot whose list equals the previous lot's reuses its keys
  // and their global positions instead of looking every gene up again.
  const keys: (readonly string[])[] = [];
  for (let l = 0; l < sheet.lots.length; l++) {
    const raw = byId ? idKeys[l]! : nameKeys[l];
    const prev = l > 0 ? (byId ? idKeys[l - 1]! : nameKeys[l - 1]) : null;
    keys.push(prev && sameStrings(raw, prev) ? keys[l - 1] : byId ? makeNamesUnique(raw) : raw);
  }
  // Global gene order: first-seen order across lots (sheet order), so lot 1's order is kept.
  const globalIndex = new Map<string, number>();
  const globalKeys: string[] = [];
  const globalNames: string[] = [];
  const presentIn: number[] = [];
  // Global position of each of a lot's genes.
  const positions: Int32Array[] = [];
  for (let l = 0; l < keys.length; l++) {
    const kk = keys[l];
    if (l > 0 && kk === keys[l - 1]) {
      positions.push(positions[l - 1]);
      for (let j = 0; j < kk.length; j++) presentIn[positions[l][j]]++;
      continue;
    }
    const pos = new Int32Array(kk.length);
    for (let j = 0; j < kk.length; j++) {
      let g = globalIndex.get(kk[j]);
      if (g === undefined) {
        g = globalKeys.length;
        globalIndex.set(kk[j], g);
        globalKeys.push(kk[j]);
        globalNames.push(nameKeys[l][j]);
        presentIn.push(1);
      } else {
        presentIn[g]++;
      }
      pos[j] = g;
    }
    positions.push(pos);
  }
  const nLots = sheet.lots.length;
  let genesNotShared = 0;
  for (const c of presentIn) if (c < nLots) genesNotShared++;
  // New column of each global gene (-1 = dropped by the intersection).
  const keep = new Int32Array(globalKeys.length);
  let nGenes = 0;
  for (let g = 0; g < globalKeys.length; g++) keep[g] = join === 'union' || presentIn[g] === nLots ? nGenes++ : -1;
  if (nGenes === 0) {
    throw new InputError(`${sheet.path}: expected genes shared by all ${nLots} lots (matched by ${matchedBy}), got none; check that the lots use the same gene identifiers`);
  }
  if (genesNotShared > 0) {
    log.warn(
      { genesNotShared, genesKept: nGenes, join, matchedBy },
      `${genesNotShared} of ${globalKeys.length} genes are not shared by all ${nLots} lots (${join === 'union' ? 'kept as zeros where absent' : 'dropped'})`,
    );
  }
  const maps: Int32Array[] = [];
  for (let l = 0; l < nLots; l++) {
    const pos = positions[l];
    const map = new Int32Array(pos.length);
    for (let j = 0; j < pos.length; j++) map[j] = keep[pos[j]];
    maps.push(map);
  }
  const X = remapMerged(buf, maps, nGenes);
  // var: symbols (unique) as index; IDs as gene_ids when matched by ID.
  const keptKeys: string[] = [];
  const keptNames: string[] = [];
  for (let g = 0; g < globalKeys.length; g++) {
    if (keep[g] >= 0) {
      keptKeys.push(globalKeys[g]);
      keptNames.push(globalNames[g]);
    }
  }
  const varFrame = byId
    ? new Frame(makeNamesUnique(keptNames), [['gene_ids', { kind: 'string', values: keptKeys }]])
    : new Frame(makeNamesUnique(keptKeys));
  // obs.
  const sizes = buf.indptrs.map((p) => p.length - 1);
  const nObs = X.nRows;
  const obsNames = new Array<string>(nObs);
  const barcodeCol = new Array<string>(nObs);
  // Cell IDs are <lot>:<barcode>; a lot listed once per condition gets <lot>:<condition>:<barcode>.
  const repeated = new Set(sheet.lots.map((x) => x.lot).filter((lot, t, all) => all.indexOf(lot) !== t));
  let i = 0;
  for (let l = 0; l < nLots; l++) {
    const entry = sheet.lots[l];
    const lotId = repeated.has(entry.lot) ? `${entry.lot}:${entry.condition ?? ''}` : entry.lot;
    const bc = barcodes[l];
    for (let t = 0; t < bc.length; t++, i++) {
      obsNames[i] = `${lotId}:${bc[t]}`;
      barcodeCol[i] = bc[t];
    }
  }
  const lotIds = sheet.lots.map((x) => x.lot);
  const cols: [string, Column][] = [
    ['lot', perLotCategorical(lotIds, sizes)],
    ['barcode', { kind: 'string', values: barcodeCol }],
  ];
  if (sheet.lots.some((x) => x.condition !== undefined)) cols.push(['condition', perLotCategorical(sheet.lots.map((x) => x.condition), sizes)]);
  if (sheet.lots.some((x) => x.source !== undefined)) cols.push(['source', perLotCategorical(sheet.lots.map((x) => x.source), sizes)]);
  for (const name of sheet.readoutNames) {
    const values = new Float64Array(nObs);
    let off = 0;
    for (let l = 0; l < nLots; l++) {
      const v = sheet.lots[l].readouts[name];
      values.fill(v === null || v === undefined ? NaN : v, off, off + sizes[l]);
      off += sizes[l];
    }
    cols.push([name, { kind: 'numeric', values }]);
  }
  for (const name of sheet.extraNames) {
    cols.push([name, perLotCategorical(sheet.lots.map((x) => (x.extra[name] === '' ? undefined : x.extra[name])), sizes)]);
  }
  // Cell-level columns the lot files carry themselves (e.g. h5ad obs annotations) are kept when
  // every lot has them and the sheet does not define a column of the same name.
  const taken = new Set(cols.map(([name]) => name));
  for (const name of lotObs[0].columnNames) {
    if (taken.has(name) || !lotObs.every((f) => f.has(name))) continue;
    cols.push([name, concatColumns(lotObs.map((f) => f.require(name)))]);
  }
  const adata = new AnnDataLite({ X, layers: { counts: X }, obs: new Frame(obsNames, cols), var: varFrame });
  // Every lot's own matrix, copied into the merged arrays, is garbage now: as much memory as the
  // merged matrix, in shared buffers whose size does not prompt V8 to collect (see collectGarbage).
  collectGarbage();
  return { adata, lots: infos, matchedBy, genesNotShared };
}
