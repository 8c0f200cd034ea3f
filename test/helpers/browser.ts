/**
 * Opens a report in Debian's headless Chromium (never a downloaded browser) through
 * playwright-core and collects what a reader would see: console errors, failed or extra
 * requests, the title and, per figure, its SVG size and drawn marks. Returns a reason string
 * instead when the browser or playwright-core is not installed (CI installs both).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

type Playwright = typeof import('playwright-core');
type Page = import('playwright-core').Page;

/** What the page shows of one figure. */
export interface FigureInfo {
  id: string;
  nSvg: number;
  width: number;
  height: number;
  marks: number;
  caption: string;
}

/** What loading one page produced. */
export interface PageInspection {
  url: string;
  ok: boolean;
  title: string;
  consoleErrors: string[];
  failed: string[];
  requested: string[];
  figures: FigureInfo[];
}

/** playwright-core, or why it cannot drive Chromium here. */
export async function loadPlaywright(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (install it with: apt-get install -y chromium)`;
  try {
    return await import('playwright-core');
  } catch (e) {
    return `playwright-core is not installed (npm install --save-dev playwright-core): ${(e as Error).message}`;
  }
}

/** Loads `htmlPath` in `page` and collects console errors, requests and figure geometry. */
export async function inspectPage(page: Page, htmlPath: string, screenshotPath?: string): Promise<PageInspection> {
  const url = pathToFileURL(htmlPath).href;
  const consoleErrors: string[] = [];
  const failed: string[] = [];
  const requested: string[] = [];
  page.removeAllListeners('console').removeAllListeners('pageerror').removeAllListeners('requestfailed').removeAllListeners('request');
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
  page.on('request', (r) => requested.push(r.url()));
  const response = await page.goto(url, { waitUntil: 'load' });
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
  if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });
  return { url, ok: response === null || response.ok(), title, consoleErrors, failed, requested, figures };
}

/** Runs `use(page)` in a fresh headless Chromium profile, closing it afterwards. */
export async function withChromium<T>(pw: Playwright, use: (page: Page) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'cqamine-chromium-'));
  const context = await pw.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 },
  });
  try {
    return await use(await context.newPage());
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
