/**
 * AnnDataLite: the one object that flows through every step, cells x genes as in h5ad.
 * Immutable: a step returns `adata.with({...})`, a shallow copy with some slots replaced.
 * Slot and key names follow scanpy (`X_pca`, `connectivities`, `counts`), so our h5ad opens in scanpy.
 */
import type { CsrMatrix } from './sparse.js';
import type { DenseMatrix } from './dense.js';
import { Frame } from './frame.js';
import { entriesOfRows, headRows, headRowsSharing, isIdentitySelection, isLargePrefixSelection, nnzOf, subsetCols, subsetColsSharing, subsetRows, subsetRowsSharing } from './sparse.js';
import { headDenseRows, subsetDenseRows } from './dense.js';
import { isIncreasing, subsetCsrInPlace, subsetCsrParallel, subsetValuesParallel } from './subsetCsr.js';

/** JSON-like values stored in `uns`; typed arrays are allowed so they write as HDF5 datasets. */
export type Json =
  | null
  | boolean
  | number
  | string
  | readonly Json[]
  | Float64Array
  | Float32Array
  | Int32Array
  | { readonly [key: string]: Json };

/** One analysis step applied to the data (Seurat LogSeuratCommand, scanpy `uns[..]['params']`). */
export interface StepRecord {
  readonly step: string;
  readonly params: Json;
  readonly seed: number | null;
  readonly ms: number;
  readonly version: string;
}

export interface AnnDataInit {
  X: CsrMatrix;
  obs: Frame;
  var: Frame;
  layers?: Readonly<Record<string, CsrMatrix>>;
  obsm?: Readonly<Record<string, DenseMatrix>>;
  varm?: Readonly<Record<string, DenseMatrix>>;
  obsp?: Readonly<Record<string, CsrMatrix>>;
  uns?: Readonly<Record<string, Json>>;
  history?: readonly StepRecord[];
}

export class AnnDataLite {
  readonly X: CsrMatrix;
  readonly obs: Frame;
  readonly var: Frame;
  readonly layers: Readonly<Record<string, CsrMatrix>>;
  readonly obsm: Readonly<Record<string, DenseMatrix>>;
  readonly varm: Readonly<Record<string, DenseMatrix>>;
  readonly obsp: Readonly<Record<string, CsrMatrix>>;
  readonly uns: Readonly<Record<string, Json>>;
  readonly history: readonly StepRecord[];

  constructor(init: AnnDataInit) {
    this.X = init.X;
    this.obs = init.obs;
    this.var = init.var;
    this.layers = init.layers ?? {};
    this.obsm = init.obsm ?? {};
    this.varm = init.varm ?? {};
    this.obsp = init.obsp ?? {};
    this.uns = init.uns ?? {};
    this.history = init.history ?? [];
    this.checkShapes();
  }

  get nObs(): number {
    return this.X.nRows;
  }

  get nVars(): number {
    return this.X.nCols;
  }

  /** Cell names. */
  get obsNames(): readonly string[] {
    return this.obs.index;
  }

  /** Gene names. */
  get varNames(): readonly string[] {
    return this.var.index;
  }

  /** A shallow copy with the given slots replaced. */
  with(changes: Partial<AnnDataInit>): AnnDataLite {
    return new AnnDataLite({
      X: changes.X ?? this.X,
      obs: changes.obs ?? this.obs,
      var: changes.var ?? this.var,
      layers: changes.layers ?? this.layers,
      obsm: changes.obsm ?? this.obsm,
      varm: changes.varm ?? this.varm,
      obsp: changes.obsp ?? this.obsp,
      uns: changes.uns ?? this.uns,
      history: changes.history ?? this.history,
    });
  }

  /**
   * Cells `rows` (in that order); obsp graphs are dropped because they refer to the old cells.
   * Memory: selecting every cell in order reuses the matrices (they are immutable); selecting the
   * leading cells in order (most of the entries) gives views of them; and a layer that shares X's
   * indptr/indices (counts beside a log-normalized X) keeps sharing them in the subset.
   * {@link subset} does the same copies in worker threads.
   */
  subsetObs(rows: ArrayLike<number>): AnnDataLite {
    const identity = isIdentitySelection(rows, this.nObs);
    const head = !identity && isLargePrefixSelection(rows, this.X);
    const n = rows.length;
    const X = identity ? this.X : head ? headRows(this.X, n) : subsetRows(this.X, rows);
    const layers: Record<string, CsrMatrix> = {};
    // A layer that is X itself (counts before normalization) stays X itself, stored once.
    for (const [k, m] of Object.entries(this.layers)) {
      if (identity || m === this.X) layers[k] = identity ? m : X;
      else if (this.sharesStructure(m)) layers[k] = head ? headRowsSharing(m, X) : subsetRowsSharing(m, rows, X);
      else layers[k] = head ? headRows(m, n) : subsetRows(m, rows);
    }
    return this.assemble(identity ? null : rows, null, X, layers);
  }

  /**
   * Genes `cols` (increasing order keeps indices sorted); varm is subset too. Selecting every gene
   * in order reuses the matrices, and layers sharing X's structure keep sharing it (see subsetObs).
   */
  subsetVars(cols: ArrayLike<number>): AnnDataLite {
    const identity = isIdentitySelection(cols, this.nVars);
    const X = identity ? this.X : subsetCols(this.X, cols);
    const increasing = isIncreasing(cols);
    const layers: Record<string, CsrMatrix> = {};
    for (const [k, m] of Object.entries(this.layers)) {
      layers[k] = identity ? m : m === this.X ? X : increasing && this.sharesStructure(m) ? subsetColsSharing(m, cols, X) : subsetCols(m, cols);
    }
    return this.assemble(null, identity ? null : cols, X, layers);
  }

  /**
   * Cells `rows` (in that order; null = all) and genes `cols` (increasing; null = all) at once: one
   * copy of each matrix, made by `threads` workers. The result equals `subsetObs(rows).subsetVars(cols)`,
   * with the same reuse of matrices and structure (views for a leading-cells selection of all genes).
   */
  async subset(rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, threads: number): Promise<AnnDataLite> {
    const rowSel = rows === null || isIdentitySelection(rows, this.nObs) ? null : rows;
    const colSel = cols === null || isIdentitySelection(cols, this.nVars) ? null : cols;
    if (colSel !== null && !isIncreasing(colSel)) {
      const byRows = rowSel ? await this.subset(rowSel, null, threads) : this;
      return byRows.subsetVars(colSel);
    }
    if (colSel === null && (rowSel === null || isLargePrefixSelection(rowSel, this.X))) {
      return rowSel === null ? this : this.subsetObs(rowSel);
    }
    const X = await subsetCsrParallel(this.X, rowSel, colSel, threads);
    const layers: Record<string, CsrMatrix> = {};
    for (const [k, m] of Object.entries(this.layers)) {
      if (m === this.X) layers[k] = X;
      else if (this.sharesStructure(m)) layers[k] = await subsetValuesParallel(m, rowSel, colSel, X, threads);
      else layers[k] = await subsetCsrParallel(m, rowSel, colSel, threads);
    }
    return this.assemble(rowSel, colSel, X, layers);
  }

  /**
   * {@link subset} written over this object's own X (see `subsetCsrInPlace`), for a caller that owns
   * it and drops this object. It falls back to `subset` where that copies nothing (all cells, or a
   * large leading block, of all genes), where other layers would be overwritten with X, for genes
   * out of order, and for a selection of under half the entries (the result keeps X's whole buffers).
   */
  async subsetInPlace(rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, threads: number): Promise<AnnDataLite> {
    const rowSel = rows === null || isIdentitySelection(rows, this.nObs) ? null : rows;
    const colSel = cols === null || isIdentitySelection(cols, this.nVars) ? null : cols;
    const viewsOnly = colSel === null && (rowSel === null || isLargePrefixSelection(rowSel, this.X));
    const otherLayers = Object.values(this.layers).some((m) => m !== this.X);
    const unordered = colSel !== null && !isIncreasing(colSel);
    const small = rowSel !== null && 2 * entriesOfRows(this.X, rowSel) < nnzOf(this.X);
    if (viewsOnly || otherLayers || unordered || small) return this.subset(rows, cols, threads);
    const X = await subsetCsrInPlace(this.X, rowSel, colSel, threads);
    const layers: Record<string, CsrMatrix> = {};
    for (const k of Object.keys(this.layers)) layers[k] = X;
    return this.assemble(rowSel, colSel, X, layers);
  }

  /**
   * The object for new matrices X and layers cut by `rows` / `cols` (null = unchanged): obs, obsm
   * and var, varm follow the selections; obsp is dropped when cells change.
   */
  private assemble(rows: ArrayLike<number> | null, cols: ArrayLike<number> | null, X: CsrMatrix, layers: Record<string, CsrMatrix>): AnnDataLite {
    const head = rows !== null && isLargePrefixSelection(rows, this.X);
    const obsm: Record<string, DenseMatrix> = {};
    for (const [k, m] of Object.entries(this.obsm)) obsm[k] = rows === null ? m : head ? headDenseRows(m, rows.length) : subsetDenseRows(m, rows);
    const varm: Record<string, DenseMatrix> = {};
    for (const [k, m] of Object.entries(this.varm)) varm[k] = cols === null ? m : subsetDenseRows(m, cols);
    return new AnnDataLite({
      X,
      obs: rows === null ? this.obs : this.obs.subset(rows),
      var: cols === null ? this.var : this.var.subset(cols),
      layers,
      obsm,
      varm,
      obsp: rows === null ? this.obsp : {},
      uns: this.uns,
      history: this.history,
    });
  }

  /** True when layer `m` is a different matrix with the very same indptr and indices arrays as X. */
  private sharesStructure(m: CsrMatrix): boolean {
    return m !== this.X && m.indptr === this.X.indptr && m.indices === this.X.indices && m.nRows === this.X.nRows && m.nCols === this.X.nCols;
  }

  private checkShapes(): void {
    const { nRows, nCols } = this.X;
    if (this.obs.nRows !== nRows) throw new Error(`obs has ${this.obs.nRows} rows, X has ${nRows}`);
    if (this.var.nRows !== nCols) throw new Error(`var has ${this.var.nRows} rows, X has ${nCols} columns`);
    for (const [k, m] of Object.entries(this.layers)) {
      if (m.nRows !== nRows || m.nCols !== nCols) throw new Error(`layer '${k}' is ${m.nRows} x ${m.nCols}, X is ${nRows} x ${nCols}`);
    }
    for (const [k, m] of Object.entries(this.obsm)) {
      if (m.nRows !== nRows) throw new Error(`obsm '${k}' has ${m.nRows} rows, X has ${nRows}`);
    }
    for (const [k, m] of Object.entries(this.varm)) {
      if (m.nRows !== nCols) throw new Error(`varm '${k}' has ${m.nRows} rows, X has ${nCols} columns`);
    }
    for (const [k, m] of Object.entries(this.obsp)) {
      if (m.nRows !== nRows || m.nCols !== nRows) throw new Error(`obsp '${k}' is ${m.nRows} x ${m.nCols}, expected ${nRows} x ${nRows}`);
    }
  }
}

/** An empty frame for `n` rows named by `index`. */
export function frameOf(index: readonly string[]): Frame {
  return new Frame(index);
}
