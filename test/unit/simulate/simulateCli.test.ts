import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { setOutputSinks } from '../../../src/cli/output.js';
import { tempDir } from '../../helpers/paths.js';

/** Runs the CLI in-process and captures stdout and stderr. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const restore = setOutputSinks({ stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  try {
    const code = await main(['--quiet', ...argv]);
    return { code, stdout, stderr };
  } finally {
    restore();
  }
}

describe('cqamine simulate', () => {
  it('writes a cohort and prints a JSON summary with --json', async () => {
    const out = join(tempDir(), 'c');
    const r = await run(['simulate', '--out', out, '--lots', '4', '--cells-per-lot', '30-50', '--genes', '300', '--seed', '7', '--effect', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ out, samples: 4, potency_subpop: 'SP3', marker: 'LRRC75A' });
    expect(summary.n_cells).toBeGreaterThanOrEqual(120);
    expect(summary.n_cells).toBeLessThanOrEqual(200);
    const params = JSON.parse(readFileSync(join(out, 'truth', 'params.json'), 'utf8'));
    expect(params.params).toMatchObject({ lots: 4, cellsMin: 30, cellsMax: 50, genes: 300, seed: 7, effect: 0 });
  });

  it('renames the marker with --marker and uses h5 with --format h5', async () => {
    const out = join(tempDir(), 'c');
    const r = await run(['simulate', '--out', out, '--lots', '2', '--cells-per-lot', '20', '--genes', '300', '--marker', 'MYMARK', '--format', 'h5']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'BM01.h5'))).toBe(true);
    expect(readFileSync(join(out, 'truth', 'markers.tsv'), 'utf8')).toMatch(/\tMYMARK\t4\t1\t1\n/);
    expect(readFileSync(join(out, 'samples.csv'), 'utf8')).toContain('\nBM01,BM01.h5,normoxia,bone_marrow,');
  });

  it.each([
    [['--lots', '0'], /lots must be/],
    [['--cells-per-lot', '5'], /cells per lot/],
    [['--cells-per-lot', '400-200'], /range/],
    [['--cells-per-lot', 'many'], /expected N or MIN-MAX/],
    [['--genes', '2.5'], /expected an integer/],
    [['--subpops', '1'], /subpops must be/],
    [['--low-quality-rate', '1'], /low-quality-rate/],
    [['--doublet-rate', '0.99'], /doublet-rate/],
    [['--depth', 'x'], /expected a number/],
    [['--format', 'loom'], /Allowed choices/],
    [['--conditions', 'normoxia,heat'], /conditions must be/],
    [['--gzip-level', '0'], /gzip level/],
  ])('exits 2 on %j', async (flags, msg) => {
    const out = join(tempDir(), 'c');
    const r = await run(['simulate', '--out', out, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 without --out', async () => {
    const r = await run(['simulate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out/);
  });
});
