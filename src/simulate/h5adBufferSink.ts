/**
 * Sample sink for `--format h5ad`: an h5ad holds the whole matrix in one CSR, so the sample's
 * cells are gathered in growing typed arrays (memory is one sample, not the cohort) and handed
 * to the project's `writeH5ad` at the end, with counts in both X and `layers.counts`, var
 * `gene_ids` / `feature_types` as scanpy's `read_10x_mtx` makes them, and obs `lot`/`condition`.
 */
import { AnnDataLite } from '../core/adata.js';
import { Frame, categoricalFrom } from '../core/frame.js';
import type { CsrMatrix } from '../core/sparse.js';
import { writeH5ad } from '../io/writeH5ad.js';
import { stripHdf5Timestamps } from '../io/write10xH5.js';
import type { Features10x } from '../io/write10xMtx.js';

/** Buffers one sample and writes it as h5ad on {@link H5adBufferSink.finish}. */
export class H5adBufferSink {
  private indices = new Int32Array(1 << 16);
  private data = new Float32Array(1 << 16);
  private indptr = new Float64Array(1024);
  private readonly barcodes: string[] = [];
  private nnz = 0;
  /** Never blocks. */
  readonly needsDrain = false;

  /**
   * @param path Final .h5ad path.
   * @param nGenes Number of genes.
   * @param meta Lot and condition written as obs columns.
   */
  constructor(
    readonly path: string,
    readonly nGenes: number,
    private readonly meta: { lot: string; condition: string },
  ) {}

  /** Appends one cell (0-based increasing gene indices, zero values skipped). */
  addCell(barcode: string, genes: ArrayLike<number>, counts: ArrayLike<number>, n: number): void {
    if (this.nnz + n > this.indices.length) {
      const cap = Math.max(this.indices.length * 2, this.nnz + n);
      const gi = new Int32Array(cap);
      gi.set(this.indices.subarray(0, this.nnz));
      const gd = new Float32Array(cap);
      gd.set(this.data.subarray(0, this.nnz));
      this.indices = gi;
      this.data = gd;
    }
    for (let k = 0; k < n; k++) {
      if (counts[k] === 0) continue;
      this.indices[this.nnz] = genes[k];
      this.data[this.nnz] = counts[k];
      this.nnz++;
    }
    this.barcodes.push(barcode);
    if (this.barcodes.length + 1 > this.indptr.length) {
      const g = new Float64Array(this.indptr.length * 2);
      g.set(this.indptr);
      this.indptr = g;
    }
    this.indptr[this.barcodes.length] = this.nnz;
  }

  /** Nothing to wait for. */
  async drain(): Promise<void> {}

  /** Builds the AnnDataLite and writes it. */
  async finish(features: Features10x): Promise<void> {
    const nCells = this.barcodes.length;
    const indptr = this.nnz < 2 ** 32 ? Uint32Array.from(this.indptr.subarray(0, nCells + 1)) : this.indptr.slice(0, nCells + 1);
    const X: CsrMatrix = { format: 'csr', nRows: nCells, nCols: this.nGenes, indptr, indices: this.indices.slice(0, this.nnz), data: this.data.slice(0, this.nnz) };
    const obs = new Frame(this.barcodes, [
      ['lot', categoricalFrom(new Array<string>(nCells).fill(this.meta.lot))],
      ['condition', categoricalFrom(new Array<string>(nCells).fill(this.meta.condition))],
    ]);
    const var_ = new Frame(features.symbols, [
      ['gene_ids', { kind: 'string', values: [...features.ids] }],
      ['feature_types', categoricalFrom(features.types ? [...features.types] : new Array<string>(this.nGenes).fill('Gene Expression'))],
    ]);
    await writeH5ad(this.path, new AnnDataLite({ X, obs, var: var_, layers: { counts: X } }));
    // HDF5 stamps object times; zero them so the same seed gives the same bytes.
    stripHdf5Timestamps(this.path);
  }

  /** Drops the buffers (nothing is on disk before finish). */
  async abort(): Promise<void> {
    this.barcodes.length = 0;
  }
}
