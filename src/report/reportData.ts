/**
 * Everything the HTML report shows, extracted from a finished analysis. The report renders only
 * this structure (it never reads AnnDataLite), so it can be tested on hand-made inputs.
 */

/** A small display table (QC per lot, CQA candidates, parameters). */
export interface ReportTable {
  readonly columns: readonly string[];
  /** Row-major cells; numbers are formatted by the renderer, null shows as an empty cell. */
  readonly rows: readonly (readonly (string | number | null)[])[];
}

/** One input lot. */
export interface ReportInput {
  readonly lot: string;
  readonly path: string;
  readonly format: string;
  readonly nCells: number;
  readonly nGenes: number;
}

export interface ReportData {
  readonly title: string;
  /** cqamine and Node versions, shown in the footer. */
  readonly versions: Readonly<Record<string, string>>;
  /** Full parameters of the run (shown as JSON). */
  readonly params: unknown;
  readonly inputs: readonly ReportInput[];
  /** Per-lot QC: cells in, removed by each filter, kept, pooled. */
  readonly qc: ReportTable;
  /** Notes shown at the top (e.g. "association skipped: fewer than 3 lots with readouts"). */
  readonly notes: readonly string[];
  /** Embedding of the analysed (pooled) cells. */
  readonly embedding: {
    readonly x: Float32Array | Float64Array;
    readonly y: Float32Array | Float64Array;
    /** Cluster code per cell, indexing `clusterNames`. */
    readonly cluster: Int32Array;
    readonly clusterNames: readonly string[];
    /** Lot code per cell, indexing `lotNames`. */
    readonly lot: Int32Array;
    readonly lotNames: readonly string[];
  };
  /** Cluster fractions per lot over all QC-passed cells. */
  readonly composition: {
    readonly lotNames: readonly string[];
    readonly clusterNames: readonly string[];
    /** lots x clusters, row-major; each row sums to 1. */
    readonly fractions: Float64Array;
    /** Readout values per lot (NaN = missing), by readout name; bars are ordered by the first readout. */
    readonly readouts: Readonly<Record<string, Float64Array>>;
  };
  /** Cluster-readout associations, best first; scatter plots are drawn for the top few. */
  readonly associations: readonly {
    readonly readout: string;
    readonly cluster: string;
    readonly rho: number;
    readonly pval: number;
    readonly padj: number;
  }[];
  /** Marker dot plot: genes x clusters mean expression (log-normalized) and fraction expressing. */
  readonly dotplot: {
    readonly genes: readonly string[];
    readonly clusterNames: readonly string[];
    /** genes x clusters, row-major. */
    readonly meanExpr: Float64Array;
    /** genes x clusters, row-major, in [0, 1]. */
    readonly pctExpr: Float64Array;
  };
  /** Top CQA candidates (columns as cqa_candidates.tsv). */
  readonly candidates: ReportTable;
}
