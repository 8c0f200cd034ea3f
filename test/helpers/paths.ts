/** Paths to shared real data and reference outputs (../shared beside the project root). */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(PROJECT_ROOT, '..', 'shared');
export const SHARED_DATA = join(SHARED, 'data');
export const SHARED_REFERENCE = join(SHARED, 'reference');
export const FIXTURES = join(PROJECT_ROOT, 'fixtures');

/** Path under ../shared/data. */
export const sharedData = (...parts: string[]): string => join(SHARED_DATA, ...parts);
/** Path under ../shared/reference. */
export const sharedReference = (...parts: string[]): string => join(SHARED_REFERENCE, ...parts);
/** Path under fixtures/. */
export const fixture = (...parts: string[]): string => join(FIXTURES, ...parts);

/** A fresh temporary directory for one test. */
export function tempDir(prefix = 'cqamine-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A directory under test-output/ (kept after the run, e.g. for screenshots). */
export function testOutputDir(name: string): string {
  const dir = join(PROJECT_ROOT, 'test-output', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
