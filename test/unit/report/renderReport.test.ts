import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { renderReport } from '../../../src/report/renderReport.js';
import type { ReportData } from '../../../src/report/reportData.js';
import { makeReportFixture } from '../../helpers/reportFixture.js';

const count = (html: string, needle: string | RegExp): number =>
  typeof needle === 'string' ? html.split(needle).length - 1 : (html.match(needle) ?? []).length;

/** Number of `M x y h0` point commands in the scatter paths of one figure. */
function pointsInFigure(html: string, id: string): number {
  const start = html.indexOf(`<figure id="${id}">`);
  const end = html.indexOf('</figure>', start);
  expect(start).toBeGreaterThanOrEqual(0);
  const fig = html.slice(start, end);
  let n = 0;
  for (const m of fig.matchAll(/<path class="mark pts"[^>]* d="([^"]*)"/g)) n += count(m[1], 'h0');
  return n;
}

describe('renderReport on a realistic cohort (11 lots, 6 clusters, 3,000 cells, 2 readouts)', () => {
  const data = makeReportFixture();
  const html = renderReport(data);

  it('is one HTML document with a title, every section and every figure', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<title>cqamine report: simulated MSC cohort</title>');
    for (const id of ['summary', 'inputs', 'embedding', 'composition', 'association', 'markers', 'candidates', 'parameters']) {
      expect(count(html, `<section id="${id}">`), id).toBe(1);
    }
    expect(html).toContain('<footer id="versions">');
    for (const id of ['fig-umap-cluster', 'fig-umap-lot', 'fig-composition', 'fig-association', 'fig-dotplot']) {
      expect(count(html, `<figure id="${id}">`), id).toBe(1);
    }
    expect(count(html, '<figure ')).toBe(5);
    expect(count(html, '<figcaption>')).toBe(5);
    // Every SVG is announced as an image with a label.
    expect(count(html, '<svg ')).toBe(5);
    expect(count(html, /<svg [^>]*role="img" aria-label="[^"]+"/g)).toBe(5);
  });

  it('is self-contained: no scripts, external links, fonts, images or URLs to fetch', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=/i);
    // The only URL is the SVG namespace, which is never fetched.
    const urls = html.match(/https?:\/\/[^"'\s<]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('draws every cell once in each UMAP (one path per colour)', () => {
    expect(pointsInFigure(html, 'fig-umap-cluster')).toBe(3000);
    expect(pointsInFigure(html, 'fig-umap-lot')).toBe(3000);
    // 6 cluster paths + 11 lot paths.
    expect(count(html, '<path class="mark pts"')).toBe(6 + 11);
  });

  it('draws one bar segment per lot x cluster with a fraction > 0, and one readout label per lot', () => {
    const f = data.composition.fractions;
    let positive = 0;
    for (let t = 0; t < f.length; t++) if (f[t] > 0) positive++;
    expect(positive).toBeGreaterThan(50);
    expect(count(html, 'class="mark seg"')).toBe(positive);
    expect(count(html, '<text class="annot"')).toBe(11);
  });

  it('orders the bars by the first readout, ascending', () => {
    const readout = data.composition.readouts.ido_activity;
    const lotsInOrder = [...html.matchAll(/<g class="bar"><rect class="mark seg"[^>]*><title>([^<]*?) \u00b7 /g)].map((m) => m[1]);
    expect(lotsInOrder.length).toBe(11);
    const values = lotsInOrder.map((lot) => readout[data.composition.lotNames.indexOf(lot)]);
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
  });

  it('draws up to 4 association panels with rho, p and padj in the titles and one point per lot', () => {
    expect(count(html, '<g class="panel">')).toBe(4);
    expect(count(html, 'class="mark pt"')).toBe(4 * 11);
    expect(count(html, '<path class="fit"')).toBe(4);
    const a = data.associations[0];
    expect(html).toContain(`${a.readout} vs cluster ${a.cluster}`);
    expect(count(html, /<text class="panel-sub"[^>]*>rho = -?[0-9.]+, p = [0-9.e-]+, padj = [0-9.e-]+<\/text>/g)).toBe(4);
  });

  it('draws one dot per gene x cluster in the dot plot', () => {
    expect(data.dotplot.genes.length).toBe(18);
    expect(count(html, 'class="mark dot"')).toBe(18 * 6);
  });

  it('shows the inputs, QC, candidates and versions tables and pretty parameters', () => {
    expect(count(html, '/data/cohort/LOT-07/filtered_feature_bc_matrix.h5')).toBe(1);
    expect(html).toContain('<th scope="col" class="num">high_mito</th>');
    // 1 header + 10 candidate rows.
    const cand = html.slice(html.indexOf('<section id="candidates">'), html.indexOf('<section id="parameters">'));
    expect(count(cand, '<tr>')).toBe(11);
    expect(html).toContain('&quot;resolution&quot;: 0.8');
    expect(html).toContain('<td>node</td><td>v20.0.0</td>');
  });

  it('is deterministic: rendering twice gives identical bytes', () => {
    expect(renderReport(makeReportFixture())).toBe(html);
  });
});

describe('renderReport escaping', () => {
  it('escapes lot names, gene names, notes and the title everywhere', () => {
    const evil = '<script>&"';
    const base = makeReportFixture({ nLots: 4, nCells: 400, lotNames: ['L1', evil, 'L3', 'L4'] });
    const data: ReportData = {
      ...base,
      title: `Report ${evil}`,
      notes: [`note ${evil}`],
      dotplot: { ...base.dotplot, genes: base.dotplot.genes.map((g, j) => (j === 0 ? evil : g)) },
    };
    const html = renderReport(data);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('&"');
    expect(count(html, '&lt;script&gt;&amp;&quot;')).toBeGreaterThan(8);
    expect(html).toContain('<title>Report &lt;script&gt;&amp;&quot;</title>');
  });
});

describe('renderReport edge cases', () => {
  it('without readouts: bars in input order, no annotation, no association figure, a note instead', () => {
    const html = renderReport(makeReportFixture({ nReadouts: 0, nCandidates: 0 }));
    expect(html).toContain('<figure id="fig-composition">');
    expect(html).not.toContain('<figure id="fig-association">');
    expect(html).not.toContain('<text class="annot"');
    expect(html).toContain('No lot readouts were given');
    expect(html).toContain('No CQA candidates');
    const lots = [...html.matchAll(/<g class="bar"><rect class="mark seg"[^>]*><title>([^<]*?) \u00b7 /g)].map((m) => m[1]);
    expect(lots).toEqual(Array.from({ length: 11 }, (_, l) => `LOT-${String(l + 1).padStart(2, '0')}`));
  });

  it('with NaN readouts: those lots go last, show NA, and are left out of the scatter panels', () => {
    const data = makeReportFixture({ nanReadoutLots: [0, 5] });
    const html = renderReport(data);
    const lots = [...html.matchAll(/<g class="bar"><rect class="mark seg"[^>]*><title>([^<]*?) \u00b7 /g)].map((m) => m[1]);
    expect(lots.slice(-2)).toEqual(['LOT-01', 'LOT-06']);
    expect(count(html, '<text class="annot"')).toBe(11);
    expect(count(html, />NA<\/text>/g)).toBe(2);
    expect(count(html, 'class="mark pt"')).toBe(4 * 9);
  });

  it('with a single lot and a single cluster, and associations skipped', () => {
    const base = makeReportFixture({ nLots: 1, nClusters: 1, nCells: 200, nReadouts: 0, genesPerCluster: 2 });
    const html = renderReport({ ...base, associations: [] });
    expect(pointsInFigure(html, 'fig-umap-cluster')).toBe(200);
    expect(count(html, 'class="mark seg"')).toBe(1);
    expect(count(html, 'class="mark dot"')).toBe(2);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('leaves out panels with fewer than two lots that have a readout', () => {
    // 3 lots, 2 of them without readouts: no panel can show a relationship.
    const html = renderReport(makeReportFixture({ nLots: 3, nCells: 300, nanReadoutLots: [0, 2] }));
    expect(html).not.toContain('<figure id="fig-association">');
    expect(html).toContain('No cluster-readout associations are available');
    expect(html).toContain('<p class="lede">300 cells analysed from 3 input lots; 6 clusters; readouts:');
  });

  it('with readouts but no associations (skipped), shows a note instead of the scatter', () => {
    const html = renderReport({ ...makeReportFixture(), associations: [] });
    expect(html).not.toContain('<figure id="fig-association">');
    expect(html).toContain('No cluster-readout associations are available');
  });

  it('with no marker genes, shows a note instead of the dot plot', () => {
    const base = makeReportFixture();
    const html = renderReport({ ...base, dotplot: { genes: [], clusterNames: base.dotplot.clusterNames, meanExpr: new Float64Array(0), pctExpr: new Float64Array(0) } });
    expect(html).not.toContain('<figure id="fig-dotplot">');
    expect(html).toContain('No marker genes to show.');
  });

  it('never prints NaN, undefined or Infinity for the realistic cohort', () => {
    expect(renderReport(makeReportFixture({ nanReadoutLots: [2] }))).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('honours the panel count and point cap, and rejects invalid options', () => {
    const data = makeReportFixture({ nCells: 500 });
    const html = renderReport(data, { nAssociationPanels: 2, maxPoints: 100 });
    expect(html.split('<g class="panel">').length - 1).toBe(2);
    expect(pointsInFigure(html, 'fig-umap-cluster')).toBe(100);
    expect(html).toContain('subsample of 100 of 500 cells (seed 0)');
    expect(() => renderReport(data, { maxPoints: 0 })).toThrow(UsageError);
    expect(() => renderReport(data, { nAssociationPanels: -1 })).toThrow(UsageError);
  });

  it('rejects arrays whose lengths disagree', () => {
    const base = makeReportFixture({ nCells: 100 });
    expect(() => renderReport({ ...base, embedding: { ...base.embedding, x: new Float32Array(99) } })).toThrow(/differ in length/);
  });
});

describe('renderReport at 100k cells', () => {
  it('subsamples to 50,000 points deterministically, says so, and stays under 10 MB', () => {
    const data = makeReportFixture({ nCells: 100_000, seed: 3 });
    const html = renderReport(data);
    const bytes = Buffer.byteLength(html, 'utf8');
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
    expect(pointsInFigure(html, 'fig-umap-cluster')).toBe(50_000);
    expect(pointsInFigure(html, 'fig-umap-lot')).toBe(50_000);
    expect(html).toContain('subsample of 50,000 of 100,000 cells');
    expect(renderReport(data)).toBe(html);
  });
});
