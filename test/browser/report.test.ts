/**
 * The rendered report in a real browser: Debian's headless Chromium (never a downloaded one),
 * driven with playwright-core. Checks that the page loads from file:// with no console errors and
 * no requests other than the file itself, that every figure's SVG has a size and drawn marks, and
 * writes a full-page screenshot to test-output/report/report.png for a visual check.
 *
 * CI installs the browser with `apt-get install -y chromium`. When it is missing (or playwright-core
 * is not installed) the test logs why and returns early.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/renderReport.js';
import { makeReportFixture } from '../helpers/reportFixture.js';
import { testOutputDir } from '../helpers/paths.js';
import { inspectPage, loadPlaywright, withChromium } from '../helpers/browser.js';

describe('report in headless Chromium', () => {
  it('loads offline without errors; every figure has a sized SVG with drawn marks; screenshot written; edge cases render', async () => {
    const pw = await loadPlaywright();
    if (typeof pw === 'string') {
      console.warn(`browser report test skipped: ${pw}`);
      return;
    }
    const outDir = testOutputDir('report');
    const htmlPath = join(outDir, 'report.html');
    writeFileSync(htmlPath, renderReport(makeReportFixture()));
    await withChromium(pw, async (page) => {
      const { ok, title, consoleErrors, failed, requested, figures, url } = await inspectPage(page, htmlPath, join(outDir, 'report.png'));
      expect(ok).toBe(true);

      expect(consoleErrors).toEqual([]);
      expect(failed).toEqual([]);
      expect(requested).toEqual([url]);
      expect(title).toBe('cqamine report: simulated MSC cohort');
      expect(figures.map((f) => f.id)).toEqual(['fig-umap-cluster', 'fig-umap-lot', 'fig-composition', 'fig-association', 'fig-dotplot']);
      for (const f of figures) {
        expect(f.nSvg, f.id).toBe(1);
        expect(f.width, f.id).toBeGreaterThan(100);
        expect(f.height, f.id).toBeGreaterThan(100);
        expect(f.marks, f.id).toBeGreaterThanOrEqual(1);
        expect(f.caption.length, f.id).toBeGreaterThan(20);
      }
      // Expected mark counts: 6 cluster paths, 11 lot paths, 4 panels x 11 lots, 18 genes x 6 clusters
      // (all dots have a positive fraction in the fixture except the zeros it draws on purpose).
      const byId = Object.fromEntries(figures.map((f) => [f.id, f.marks]));
      expect(byId['fig-umap-cluster']).toBe(6);
      expect(byId['fig-umap-lot']).toBe(11);
      expect(byId['fig-association']).toBe(44);
      expect(byId['fig-dotplot']).toBeGreaterThan(80);
      expect(existsSync(join(outDir, 'report.png'))).toBe(true);

      // Edge cases in the same browser: a lot named like markup, no readouts (association skipped),
      // one marker gene per cluster. The hostile name must show as text and never become an element.
      const evil = '<script>&"';
      const edge = makeReportFixture({ nLots: 3, nCells: 600, nReadouts: 0, genesPerCluster: 1, nCandidates: 0, lotNames: ['A', evil, 'C'] });
      const edgePath = join(outDir, 'report-edge.html');
      writeFileSync(edgePath, renderReport({ ...edge, title: `Edge ${evil}` }));
      await page.goto(pathToFileURL(edgePath).href, { waitUntil: 'load' });
      const edgeInfo = await page.evaluate(() => ({
        title: document.title,
        scripts: document.querySelectorAll('script').length,
        figures: Array.from(document.querySelectorAll('figure')).map((f) => {
          const b = f.querySelector('svg')!.getBoundingClientRect();
          return { id: f.id, area: b.width * b.height, marks: f.querySelectorAll('svg .mark').length };
        }),
        lotCell: Array.from(document.querySelectorAll('#inputs td')).some((td) => td.textContent === '<script>&"'),
      }));
      expect(consoleErrors).toEqual([]);
      expect(failed).toEqual([]);
      expect(edgeInfo.title).toBe('Edge <script>&"');
      expect(edgeInfo.scripts).toBe(0);
      expect(edgeInfo.lotCell).toBe(true);
      expect(edgeInfo.figures.map((f) => f.id)).toEqual(['fig-umap-cluster', 'fig-umap-lot', 'fig-composition', 'fig-dotplot']);
      for (const f of edgeInfo.figures) {
        expect(f.area, f.id).toBeGreaterThan(10_000);
        expect(f.marks, f.id).toBeGreaterThanOrEqual(1);
      }
    });
  });
});
