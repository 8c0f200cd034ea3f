/**
 * Analytic Pearson residuals (Lause, Berens & Kobak 2021, Genome Biol 22:258; scanpy
 * `normalize_pearson_residuals`): under a negative binomial with fixed overdispersion theta and
 * the rank-one mean mu_ij = s_i * t_j / T (cell total s_i, gene total t_j, grand total T),
 * r_ij = (x_ij - mu_ij) / sqrt(mu_ij + mu_ij^2 / theta), clipped to [-c, c] with c = sqrt(nObs).
 * The output is dense (every zero count has a non-zero residual), so it is computed only for the
 * selected genes (the HVGs): nObs x nGenes Float32, e.g. 200k x 2000 x 4 B = 1.6 GB.
 */
import type { CsrMatrix } from '../core/sparse.js';
import type { DenseMatrix } from '../core/dense.js';
import { AnalysisError, UsageError } from '../core/errors.js';
import { defineStep } from '../core/step.js';

/** Parameters of {@link pearsonResiduals}. */
export interface PearsonResidualsParams {
  /** Negative-binomial overdispersion theta (Lause et al.: 100 for UMI data). @default 100 */
  theta: number;
  /** Clip residuals to [-clip, clip]; null = sqrt(nObs). @default null */
  clip: number | null;
}

/**
 * Kernel: dense residuals for the columns `genes` of the counts (in that order). Totals use all genes.
 * Computed in Float64, stored Float32.
 * @param counts - raw counts, cells x genes
 * @param genes - column indices to compute
 */
export function pearsonResidualsKernel(counts: CsrMatrix, genes: Int32Array, p: PearsonResidualsParams): DenseMatrix {
  const { nRows, nCols, indptr, indices, data } = counts;
  const cellTotal = new Float64Array(nRows);
  const geneTotal = new Float64Array(nCols);
  let total = 0;
  for (let i = 0; i < nRows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      cellTotal[i] += data[k];
      geneTotal[indices[k]] += data[k];
    }
    total += cellTotal[i];
  }
  const clip = p.clip ?? Math.sqrt(nRows);
  const m = genes.length;
  const colOf = new Int32Array(nCols).fill(-1);
  for (let t = 0; t < m; t++) colOf[genes[t]] = t;
  const out = new Float32Array(nRows * m);
  const invTheta = 1 / p.theta;
  const rowRes = new Float64Array(m);
  for (let i = 0; i < nRows; i++) {
    const si = total > 0 ? cellTotal[i] / total : 0;
    // Zero-count residuals first, then overwrite the stored entries.
    for (let t = 0; t < m; t++) {
      const mu = si * geneTotal[genes[t]];
      rowRes[t] = mu > 0 ? -mu / Math.sqrt(mu + mu * mu * invTheta) : 0;
    }
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const t = colOf[indices[k]];
      if (t < 0) continue;
      const mu = si * geneTotal[genes[t]];
      rowRes[t] = mu > 0 ? (data[k] - mu) / Math.sqrt(mu + mu * mu * invTheta) : 0;
    }
    const base = i * m;
    for (let t = 0; t < m; t++) {
      const r = rowRes[t];
      out[base + t] = r > clip ? clip : r < -clip ? -clip : r;
    }
  }
  return { nRows, nCols: m, data: out };
}

/**
 * Step `pearson_residuals`: residuals of the HVGs (var `highly_variable`) from `layers.counts`
 * (or X when no counts layer), stored as obsm `X_scaled` for PCA (uns `scale` records the method and genes).
 * @example await pearsonResiduals(adata, { theta: 100 });
 */
export const pearsonResiduals = defineStep<PearsonResidualsParams>({
  name: 'pearson_residuals',
  defaults: { theta: 100, clip: null },
  validate: (p) => {
    if (!(p.theta > 0)) throw new UsageError(`theta must be > 0, got ${p.theta}`);
    if (p.clip !== null && !(p.clip > 0)) throw new UsageError(`clip must be null or > 0, got ${p.clip}`);
  },
  run: (adata, p) => {
    const hv = adata.var.get('highly_variable');
    if (!hv || hv.kind !== 'bool') throw new AnalysisError("pearson_residuals needs var 'highly_variable'; run select_hvgs first");
    let m = 0;
    for (let j = 0; j < hv.values.length; j++) m += hv.values[j];
    const genes = new Int32Array(m);
    for (let j = 0, t = 0; j < hv.values.length; j++) if (hv.values[j]) genes[t++] = j;
    const res = pearsonResidualsKernel(adata.layers.counts ?? adata.X, genes, p);
    return adata.with({
      obsm: { ...adata.obsm, X_scaled: res },
      uns: { ...adata.uns, scale: { method: 'pearson_residuals', genes, theta: p.theta, clip: p.clip ?? Math.sqrt(adata.nObs) } },
    });
  },
});
