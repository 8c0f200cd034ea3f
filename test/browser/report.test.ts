/**
 * The rendered report in a real browser: Debian's headless Chromium (never a downloaded one),
 * driven with playwright-core. Checks that the page loads from file:// with no console errors and
 * no requests other than the file itself, that every figure's SVG has a size and drawn marks, and
 * writes a full-page screenshot to test-output/report/report.png for a visual check.
 *
 * CI installs the browser with `apt-get install -y chromium`. When it is missing (or playwright-core
 * is not installed) the test logs why and returns early.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/renderReport.js';
import { makeReportFixture } from '../helpers/reportFixture.js';
import { testOutputDir } from '../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

type Playwright = typeof import('playwright-core');

async function loadPlaywright(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (install it with: apt-get install -y chromium)`;
  try {
    return await import('playwright-core');
  } catch (e) {
    return `playwright-core is not installed (npm install --save-dev playwright-core): ${(e as Error).message}`;
  }
}

/** What the page reports about one figure. */
interface FigureInfo {
  id: string;
  nSvg: number;
  width: number;
  height: number;
  marks: number;
  caption: string;
}

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
    const url = pathToFileURL(htmlPath).href;

    const profile = mkdtempSync(join(tmpdir(), 'cqamine-chromium-'));
    const context = await pw.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      const failed: string[] = [];
      const requested: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
      page.on('request', (r) => requested.push(r.url()));

      const response = await page.goto(url, { waitUntil: 'load' });
      expect(response === null || response.ok()).toBe(true);

      const figures: FigureInfo[] = await page.$$eval('figure', (els) => els.map((f) => {
        const svgs = f.querySelectorAll('svg');
        const box = svgs[0]?.getBoundingClientRect();
        return {
          id: f.id,
          nSvg: svgs.length,
          width: box ? box.width : 0,
          height: box ? box.height : 0,
          // Marks with a painted area: non-empty paths, positive radii, positive rect sizes.
          marks: Array.from(f.querySelectorAll('svg .mark')).filter((m) => {
            const b = (m as SVGGraphicsElement).getBBox();
            return m.tagName === 'path' ? (m.getAttribute('d') ?? '').length > 0 : b.width > 0 && b.height > 0;
          }).length,
          caption: f.querySelector('figcaption')?.textContent ?? '',
        };
      }));
      const title = await page.title();
      await page.screenshot({ path: join(outDir, 'report.png'), fullPage: true });

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
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
