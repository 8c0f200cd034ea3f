import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureCliOutput } from '../helpers/cliOutput.js';
import { PROJECT_ROOT, fixture, sharedData } from '../helpers/paths.js';

const io = captureCliOutput();

interface Summary {
  format: string;
  n_cells: number;
  n_genes: number;
  nnz: number;
  density: number;
  integer_valued: boolean;
  gene_id_column: string | null;
  gene_symbol_column: string | null;
  total_counts: Record<string, number>;
  detected_genes: Record<string, number>;
  duplicates: { barcodes: number; gene_symbols: number | null; gene_ids: number | null };
}

describe('cqamine inspect', () => {
  it('summarises the tiny v3 folder as JSON: dims, nnz, integer counts, one duplicated symbol', async () => {
    const code = await main(['--quiet', 'inspect', fixture('tiny', 'v3_mtx'), '--json']);
    expect(code).toBe(0);
    const [s] = JSON.parse(io.out) as Summary[];
    expect(s.format).toBe('10x-mtx');
    expect([s.n_cells, s.n_genes, s.nnz]).toEqual([40, 50, 1353]);
    expect(s.density).toBeCloseTo(1353 / 2000, 12);
    expect(s.integer_valued).toBe(true);
    expect(s.gene_id_column).toBe('gene_ids');
    expect(s.duplicates).toEqual({ barcodes: 0, gene_symbols: 1, gene_ids: 0 });
    expect(s.total_counts.min).toBeLessThanOrEqual(s.total_counts.p50);
    expect(s.detected_genes.max).toBeLessThanOrEqual(50);
  });

  it('reports pbmc3k per-cell quantiles; the max detected genes equals the densest cell', async () => {
    const code = await main(['--quiet', 'inspect', sharedData('pbmc3k'), '--json']);
    expect(code).toBe(0);
    const [s] = JSON.parse(io.out) as Summary[];
    expect([s.n_cells, s.n_genes, s.nnz]).toEqual([2700, 32738, 2286884]);
    // Seurat's pbmc3k: nCount_RNA ranges 548..15,844 and nFeature_RNA 212..3,422 before QC
    expect(s.total_counts.min).toBe(548);
    expect(s.total_counts.max).toBe(15844);
    expect(s.detected_genes.min).toBe(212);
    expect(s.detected_genes.max).toBe(3422);
    // 10x v2 genes.tsv has duplicated symbols but unique Ensembl IDs
    expect(s.duplicates.gene_ids).toBe(0);
    expect(s.duplicates.gene_symbols).toBeGreaterThan(0);
  });

  it('prints a human-readable table for several inputs', async () => {
    const code = await main(['--quiet', 'inspect', fixture('tiny', 'v3_mtx'), fixture('tiny', 'csv', 'genes_by_cells.csv')]);
    expect(code).toBe(0);
    expect(io.out).toContain('cells x genes   40 x 50');
    expect(io.out).toContain('cells x genes   3 x 3');
    expect(io.out).toMatch(/total counts\s+22\s/);
    expect(io.out).toMatch(/duplicates\s+barcodes 0, gene symbols 1, gene ids 0/);
  });

  it('exits 3 with a one-line message naming file and line for a malformed matrix', async () => {
    const code = await main(['--quiet', 'inspect', fixture('tiny', 'bad_mtx', 'index_zero')]);
    expect(code).toBe(3);
    expect(io.out).toBe('');
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).toMatch(/^cqamine: .*matrix\.mtx line 4: field 1 \(gene index\): expected an index in 1\.\.3, got 0/);
  });

  it('exits 3 for a missing path and 2 without arguments', async () => {
    expect(await main(['--quiet', 'inspect', fixture('tiny', 'does-not-exist')])).toBe(3);
    expect(io.err).toMatch(/does not exist/);
    expect(await main(['--quiet', 'inspect'])).toBe(2);
  });
});

/** True when dist/cli/main.js exists and is newer than every file under src/. */
function distIsFresh(): boolean {
  const built = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const stack = [join(PROJECT_ROOT, 'src')];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (statSync(p).mtimeMs > builtAt) return false;
    }
  }
  return true;
}

describe('bin/cqamine.js (built)', () => {
  it('runs inspect --json in a child process and exits 0', () => {
    // `npm run build` without the type check (tsc --noCheck; typecheck is its own CI step), so
    // the emit takes seconds. Type errors elsewhere would not stop the emit either.
    // Skipped when dist/ is newer than every source file.
    if (!distIsFresh()) {
      execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noCheck'], {
        cwd: PROJECT_ROOT,
        stdio: 'pipe',
      });
    }
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'cqamine.js'), '--quiet', 'inspect', 'fixtures/tiny/v3_mtx', '--json'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [s] = JSON.parse(r.stdout) as Summary[];
    expect([s.n_cells, s.n_genes]).toEqual([40, 50]);
  });
});
