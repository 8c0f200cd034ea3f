import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { renderReport } from '../../../src/report/renderReport.js';
import { subsampleIndices } from '../../../src/report/subsampleIndices.js';
import { categoricalPalette } from '../../../src/report/svg/categoricalPalette.js';
import { coord } from '../../../src/report/svg/coord.js';
import { linearScale } from '../../../src/report/svg/linearScale.js';
import { niceTicks } from '../../../src/report/svg/niceTicks.js';
import { renderCategoricalScatter } from '../../../src/report/svg/renderCategoricalScatter.js';
import { renderDotPlot } from '../../../src/report/svg/renderDotPlot.js';
import { renderReadoutScatter } from '../../../src/report/svg/renderReadoutScatter.js';
import { renderStackedBars } from '../../../src/report/svg/renderStackedBars.js';
import { sequentialColor } from '../../../src/report/svg/sequentialColor.js';
import { makeReportFixture } from '../../helpers/reportFixture.js';

const attrs = (html: string, tag: string, attr: string): number[] =>
  [...html.matchAll(new RegExp(`<${tag} class="mark[^"]*"[^>]*? ${attr}="([-0-9.]+)"`, 'g'))].map((m) => Number(m[1]));

describe('scales, ticks and coordinates', () => {
  it('maps linearly and sends a zero-width domain to the middle of the range', () => {
    const s = linearScale(0, 1, 40, 440);
    expect(s(0.5)).toBe(240);
    expect(s(0)).toBe(40);
    expect(linearScale(0, 1, 300, 0)(0.25)).toBe(225);
    expect(linearScale(5, 5, 0, 100)(5)).toBe(50);
  });
  it('picks 1-2-5 ticks that enclose the data', () => {
    expect(niceTicks(0.03, 0.87)).toEqual({ ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], lo: 0, hi: 1 });
    expect(niceTicks(22.7, 77.8, 4).ticks).toEqual([20, 40, 60, 80]);
    expect(niceTicks(0, 0.3, 4).ticks).toEqual([0, 0.1, 0.2, 0.3]);
    // One distinct value is widened, not collapsed.
    const one = niceTicks(5, 5);
    expect(one.lo).toBeLessThan(5);
    expect(one.hi).toBeGreaterThan(5);
  });
  it('rounds coordinates to 0.1 without -0', () => {
    expect(coord(12.345)).toBe('12.3');
    expect(coord(4)).toBe('4');
    expect(coord(-0.04)).toBe('0');
  });
});

describe('colours', () => {
  it('uses Okabe-Ito up to 8 categories and distinct colours beyond', () => {
    expect(categoricalPalette(3)).toEqual(['#E69F00', '#56B4E9', '#009E73']);
    expect(categoricalPalette(8)).toContain('#000000');
    for (const n of [9, 20, 27, 40]) {
      const p = categoricalPalette(n);
      expect(p.length).toBe(n);
      expect(new Set(p).size).toBe(n);
      for (const c of p) expect(c).toMatch(/^#[0-9A-F]{6}$/);
    }
    // More than 8 categories drop black (too heavy in a scatter) and keep the first Okabe-Ito hues.
    expect(categoricalPalette(11).slice(0, 3)).toEqual(['#E69F00', '#56B4E9', '#009E73']);
    expect(categoricalPalette(11)).not.toContain('#000000');
  });
  it('maps [0, 1] to viridis and NaN to grey', () => {
    expect(sequentialColor(0)).toBe('#440154');
    expect(sequentialColor(1)).toBe('#fde725');
    expect(sequentialColor(2)).toBe('#fde725');
    expect(sequentialColor(NaN)).toBe('#d9d9d9');
  });
});

describe('subsampleIndices', () => {
  it('returns k distinct ascending indices, the same for the same seed', () => {
    const a = subsampleIndices(1000, 300, createRng(0).fork('s'));
    const b = subsampleIndices(1000, 300, createRng(0).fork('s'));
    const c = subsampleIndices(1000, 300, createRng(1).fork('s'));
    expect(a.length).toBe(300);
    for (let t = 1; t < a.length; t++) expect(a[t]).toBeGreaterThan(a[t - 1]);
    expect(a[0]).toBeGreaterThanOrEqual(0);
    expect(a[299]).toBeLessThan(1000);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(subsampleIndices(5, 10, createRng(0)).length).toBe(5);
  });
  it('is roughly uniform: each half of the range gets about half the picks', () => {
    const s = subsampleIndices(100_000, 50_000, createRng(7));
    let low = 0;
    for (let t = 0; t < s.length; t++) if (s[t] < 50_000) low++;
    // Hypergeometric sd is about 112; 25,000 +- 600 is > 5 sd.
    expect(Math.abs(low - 25_000)).toBeLessThan(600);
  });
});

describe('renderStackedBars', () => {
  it('stacks segments whose heights are the fractions of a 300 px bar, skipping zero fractions', () => {
    // 2 lots x 3 clusters; lot B has no cells of cluster 1.
    const fractions = Float64Array.of(0.5, 0.25, 0.25, 0.6, 0, 0.4);
    const { svg, nSegments } = renderStackedBars({
      lotNames: ['A', 'B'], clusterNames: ['0', '1', '2'], fractions, colors: ['#111111', '#222222', '#333333'],
      order: [1, 0], annotations: ['9', '3'], annotationLabel: 'potency', ariaLabel: 'bars',
    });
    expect(nSegments).toBe(5);
    // Plot height 300 px: heights 180, 120 (lot B first), then 150, 75, 75 (lot A).
    expect(attrs(svg, 'rect', 'height')).toEqual([180, 120, 150, 75, 75]);
    // Annotations follow the display order: B's value (3) first, then A's (9).
    expect([...svg.matchAll(/<text class="annot"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual(['3', '9']);
    expect(svg).toContain('potency (value above each bar)');
    // B is drawn in the first slot (left of A).
    const xs = attrs(svg, 'rect', 'x');
    expect(xs[0]).toBeLessThan(xs[2]);
  });
  it('rejects a fractions array of the wrong length', () => {
    expect(() => renderStackedBars({
      lotNames: ['A'], clusterNames: ['0', '1'], fractions: Float64Array.of(1), colors: ['#000000', '#111111'],
      order: [0], annotations: null, annotationLabel: '', ariaLabel: 'x',
    })).toThrow(/expected lots x clusters = 2/);
  });
});

describe('renderDotPlot', () => {
  it('draws genes x clusters dots with area proportional to the fraction and colour scaled per gene', () => {
    // 2 genes x 3 clusters. Gene A means 0, 1, 2 -> scaled 0, 0.5, 1. Gene B constant -> middle colour.
    const { svg, nDots } = renderDotPlot({
      genes: ['A', 'B'], clusterNames: ['c0', 'c1', 'c2'],
      meanExpr: Float64Array.of(0, 1, 2, 3, 3, 3), pctExpr: Float64Array.of(1, 0.25, 0, 0.5, 0.5, 0.5), ariaLabel: 'dots',
    });
    expect(nDots).toBe(6);
    // r = 11 * sqrt(pct): 11, 5.5, 0, 7.8, 7.8, 7.8.
    expect(attrs(svg, 'circle', 'r')).toEqual([11, 5.5, 0, 7.8, 7.8, 7.8]);
    const fills = [...svg.matchAll(/<circle class="mark dot"[^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(fills[0]).toBe(sequentialColor(0));
    expect(fills[1]).toBe(sequentialColor(0.5));
    expect(fills[2]).toBe(sequentialColor(1));
    expect(fills.slice(3)).toEqual([sequentialColor(0.5), sequentialColor(0.5), sequentialColor(0.5)]);
  });
});

describe('renderReadoutScatter', () => {
  it('draws one point per lot with finite values and the least-squares line', () => {
    // y = 1 + 2x exactly on the three finite lots; the NaN lot is left out.
    const { svg, nPoints } = renderReadoutScatter([{
      title: 'potency vs cluster 2', subtitle: 'rho = 1, p = 0.0167, padj = 0.05',
      x: Float64Array.of(0, 0.5, 1, 0.7), y: Float64Array.of(1, 2, 3, NaN), labels: ['A', 'B', 'C', 'D'],
      color: '#E69F00', xLabel: 'fraction of cluster 2', yLabel: 'potency',
    }], 'scatter');
    expect(nPoints).toBe(3);
    expect(svg).toContain('least-squares line: y = 1 + 2 x');
    expect(svg).not.toContain('>D:');
    expect(svg).toContain('rho = 1, p = 0.0167, padj = 0.05');
  });
  it('draws points but no line when x is constant', () => {
    const { svg, nPoints } = renderReadoutScatter([{
      title: 't', subtitle: 's', x: Float64Array.of(0.2, 0.2), y: Float64Array.of(1, 2), labels: ['A', 'B'],
      color: '#000000', xLabel: 'x', yLabel: 'y',
    }], 'scatter');
    expect(nPoints).toBe(2);
    expect(svg).not.toContain('class="fit"');
  });
});

describe('renderCategoricalScatter', () => {
  it('keeps the aspect ratio and draws each finite point once in its colour', () => {
    // Points span 10 units in x and 1 in y: with one scale for both axes the y spread is a tenth of x's.
    const x = Float32Array.of(0, 10, 5, NaN), y = Float32Array.of(0, 1, 0.5, 0);
    const { svg, nDrawn } = renderCategoricalScatter({
      x, y, codes: Int32Array.of(0, 1, 1, 0), names: ['a', 'b'], colors: ['#111111', '#222222'], indices: null, ariaLabel: 'u', legendTitle: 'k',
    });
    expect(nDrawn).toBe(3);
    const pts = [...svg.matchAll(/M([-0-9.]+) ([-0-9.]+)h0/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(pts.length).toBe(3);
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const dx = Math.max(...xs) - Math.min(...xs), dy = Math.max(...ys) - Math.min(...ys);
    expect(dy / dx).toBeCloseTo(0.1, 2);
    // Group b (2 points) is painted before group a (1 point), so the small group stays on top.
    expect(svg.indexOf('stroke="#222222"')).toBeLessThan(svg.indexOf('stroke="#111111"'));
    expect(svg).toContain('a (2)');
  });
});

describe('report colours', () => {
  it('gives each cluster the same colour in the UMAP, the bars and the scatter points', () => {
    const data = makeReportFixture();
    const html = renderReport(data);
    const pal = categoricalPalette(6);
    for (let c = 0; c < 6; c++) {
      expect(html).toContain(`<path class="mark pts" stroke="${pal[c]}"`);
      expect(html).toMatch(new RegExp(`<rect class="mark seg"[^>]*fill="${pal[c]}"><title>[^<]*: `));
    }
    const top = data.associations[0];
    expect(html).toMatch(new RegExp(`<circle class="mark pt"[^>]*fill="${pal[Number(top.cluster)]}"`));
  });
});
