import { describe, expect, it } from 'vitest';
import { associatePotency, associatePotencyKernel, cqaTables, ASSOCIATE_POTENCY_DEFAULTS } from '../../../src/cqa/associatePotency.js';
import { AnnDataLite } from '../../../src/core/adata.js';
import { Frame, categoricalFrom } from '../../../src/core/frame.js';
import { vstackCsr } from '../../../src/core/sparse.js';
import { createRng } from '../../../src/core/rng.js';
import { formatTable } from '../../../src/io/writeTable.js';
import { simulateLots } from './simulateLots.js';

/** The simulated cohort as the pipeline would hand it over: half the cells clustered (the pool). */
function adataOf(seed: number): { adata: AnnDataLite; truth: Int32Array } {
  const sim = simulateLots(seed);
  const n = sim.lot.length;
  const lotNames = Array.from({ length: 11 }, (_, l) => `BM${String(l + 1).padStart(2, '0')}`);
  const clusterLabels = ['0', '1', '2', '3', '4', '5'];
  // Every other cell is in the pool and keeps its cluster; the rest are missing (code -1).
  const clusterCodes = Int32Array.from(sim.cluster, (c, i) => (i % 2 === 0 ? c : -1));
  const vegfPerCell = Float64Array.from(sim.lot, (l) => sim.vegf[l]);
  const obs = new Frame(Array.from({ length: n }, (_, i) => `c${i}`), [
    ['lot', categoricalFrom(Array.from(sim.lot, (l) => lotNames[l]), lotNames)],
    ['cluster', { kind: 'categorical', codes: clusterCodes, categories: clusterLabels, ordered: false }],
    ['n_counts', { kind: 'numeric', values: sim.nCounts }],
    ['vegf_hypoxia', { kind: 'numeric', values: vegfPerCell }],
  ]);
  const adata = new AnnDataLite({
    X: sim.x, obs, var: new Frame(sim.genes),
    obsm: { X_pca: { nRows: n, nCols: 2, data: sim.pcs } },
  });
  return { adata, truth: sim.cluster };
}

describe('associatePotency step', () => {
  it('runs composition, associations and candidates; the planted marker tops the list', async () => {
    const { adata, truth } = adataOf(4);
    const out = await associatePotency(adata, { clusterPermutations: 20_000, genePermutations: 10_000 }, { rng: createRng(1) });
    const cqa = out.uns.cqa as Record<string, Record<string, unknown>>;
    const comp = cqa.composition as { lot: string[]; cluster: string[]; n_cells: Float64Array; fraction: Float64Array };
    // Well-separated clusters: the kNN vote recovers every unpooled cell's true cluster, so the
    // composition equals the true counts over all cells.
    const trueCounts = new Float64Array(66);
    const lotCol = adata.obs.require('lot') as { codes: Int32Array };
    for (let i = 0; i < truth.length; i++) trueCounts[lotCol.codes[i] * 6 + truth[i]]++;
    expect(Array.from(comp.n_cells)).toEqual(Array.from(trueCounts));
    expect(comp.lot[0]).toBe('BM01');
    // n_counts varies within lots, so vegf_hypoxia is the only readout found.
    const ca = cqa.cluster_association as { readout: string[]; cluster: string[]; rho: Float64Array; padj: Float64Array };
    expect(new Set(ca.readout)).toEqual(new Set(['vegf_hypoxia']));
    const best = Array.from(ca.padj).indexOf(Math.min(...ca.padj));
    expect(ca.cluster[best]).toBe('3');
    expect(ca.rho[best]).toBeGreaterThan(0.5);
    const cand = cqa.candidates as { gene: string[]; cluster: string[] };
    expect(cand.gene[0]).toBe('LRRC75A');
    expect(cand.cluster[0]).toBe('3');
    expect((cqa.methods as Record<string, string>).composition).toContain('majority vote of k=15');
    expect(out.history.at(-1)!.step).toBe('associate_potency');
  });

  it('produces file-ready tables with the documented columns (kernel on typed inputs, all cells clustered)', async () => {
    const sim = simulateLots(5);
    const res = await associatePotencyKernel({
      x: sim.x, genes: sim.genes, geneIds: sim.genes, lotCodes: sim.lot, lotNames: Array.from({ length: 11 }, (_, l) => `L${l}`),
      clusterCodes: sim.cluster, clusterNames: ['0', '1', '2', '3', '4', '5'], readouts: [{ name: 'vegf', values: sim.vegf }], markers: null,
    }, { ...ASSOCIATE_POTENCY_DEFAULTS, clusterPermutations: 1000, genePermutations: 1000 }, createRng(3), () => { throw new Error('no vote needed'); });
    const tables = cqaTables(res);
    expect(Object.keys(tables)).toEqual(['composition.tsv', 'cluster_association.tsv', 'gene_association.tsv', 'cqa_candidates.tsv']);
    expect(formatTable(tables['cluster_association.tsv'], 'tsv').split('\n')[0]).toBe('readout\tcluster\tn_lots\trho\tpval\tpadj\tpearson_r\tmodel_coef\tmodel_pval\tloo_min_abs_rho\tloo_sign_flips');
    expect(formatTable(tables['cqa_candidates.tsv'], 'tsv').split('\n')[0]).toBe('readout\trank\tgene\tgene_id\tcluster\tscore\tmarker_log2fc\tmarker_auc\tmarker_padj\tcluster_rho\tcluster_padj\tgene_rho\tgene_pval\tgene_padj\tdirection\tloo_min_abs_rho');
    expect(formatTable(tables['composition.tsv'], 'tsv').split('\n').length).toBe(1 + 66 + 1);
  });

  it('rejects unknown parameters and a missing readout column', async () => {
    const { adata } = adataOf(6);
    await expect(associatePotency(adata, { nope: 1 } as never)).rejects.toThrow(/unknown parameter 'nope'/);
    await expect(associatePotency(adata, { readouts: ['il6'] })).rejects.toThrow(/readout 'il6' is not an obs column/);
  });
});

describe('associatePotency with two conditions', () => {
  it('analyses the chosen condition, maps the other by kNN vote and reports zero shift for identical copies', async () => {
    const { adata } = adataOf(8);
    const n = adata.nObs;
    // Second condition: an exact copy of every cell (same expression and PCs), clustered jointly
    // (it carries cluster codes), which the step must ignore and re-assign by the vote.
    const lot = adata.obs.require('lot') as { codes: Int32Array; categories: string[] };
    const cl = adata.obs.require('cluster') as { codes: Int32Array; categories: string[] };
    const vegf = adata.obs.require('vegf_hypoxia') as { values: Float64Array };
    const twice = <T extends Int32Array | Float64Array>(a: T): T => { const o = new (a.constructor as new (n: number) => T)(2 * n); o.set(a); o.set(a, n); return o; };
    const pcs = adata.obsm.X_pca.data as Float32Array;
    const pcs2 = new Float32Array(4 * n); pcs2.set(pcs); pcs2.set(pcs, 2 * n);
    const obs = new Frame(Array.from({ length: 2 * n }, (_, i) => `c${i}`), [
      ['lot', { kind: 'categorical', codes: twice(lot.codes), categories: lot.categories, ordered: false }],
      ['cluster', { kind: 'categorical', codes: twice(cl.codes), categories: cl.categories, ordered: false }],
      ['condition', categoricalFrom(Array.from({ length: 2 * n }, (_, i) => (i < n ? 'ischemia' : 'normoxia')))],
      ['vegf_hypoxia', { kind: 'numeric', values: twice(vegf.values) }],
    ]);
    const both = new AnnDataLite({ X: vstackCsr([adata.X, adata.X]), obs, var: adata.var, obsm: { X_pca: { nRows: 2 * n, nCols: 2, data: pcs2 } } });
    const out = await associatePotency(both, { condition: 'ischemia', clusterPermutations: 5000, genePermutations: 2000 }, { rng: createRng(4) });
    const cqa = out.uns.cqa as Record<string, Record<string, unknown>>;
    const shift = cqa.condition_shift as { condition: string[]; lot: string[]; shift: Float64Array; n_lots: Int32Array };
    expect(new Set(shift.condition)).toEqual(new Set(['normoxia']));
    expect(shift.lot.filter((l) => l === 'mean').length).toBe(6);
    for (const v of shift.shift) expect(v).toBeCloseTo(0, 12);
    // The association used the ischemia cells only: same composition as the one-condition run.
    const single = await associatePotency(adata, { clusterPermutations: 5000, genePermutations: 2000 }, { rng: createRng(4) });
    const a = (cqa.composition as { n_cells: Float64Array }).n_cells;
    const b = ((single.uns.cqa as Record<string, Record<string, unknown>>).composition as { n_cells: Float64Array }).n_cells;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect((cqa.candidates as { gene: string[] }).gene[0]).toBe('LRRC75A');
    expect((cqa.methods as Record<string, string>).condition).toContain("clusters defined on condition 'ischemia'");
  });
});
