import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { setOutputSinks } from '../../../src/cli/output.js';
import { fixture, tempDir } from '../../helpers/paths.js';

let restore: () => void;
let stderr = '';
let stdout = '';
beforeEach(() => {
  stderr = '';
  stdout = '';
  restore = setOutputSinks({ stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
});
afterEach(() => restore());

/** TSV rows as objects keyed by header. */
function readTsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split('\t');
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, c) => [cols[c], v])));
}

const CANDIDATES = [
  'readout\trank\tgene\tgene_id\tcluster\tscore',
  'vegf_hypoxia\t2\tGENE_B\tENSG2\t3\t5',
  'vegf_hypoxia\t1\tLRRC75A\tENSG1\t3\t9',
  'hgf\t1\tOTHER\tENSG9\t1\t4',
  'vegf_hypoxia\t3\tABSENT\tENSG3\t3\t1',
].join('\n') + '\n';

describe('cqamine validate', () => {
  it('validates candidates in a bulk table (Ct negated), overall and per source', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cands.tsv'), CANDIDATES);
    // 10 lots: 5 adipose, 5 umbilical cord. LRRC75A Ct falls as VEGF rises (expression rises);
    // GENE_B is keyed by its Ensembl id in the table.
    const rows = ['lot\tsource\tvegf_hypoxia\tLRRC75A\tENSG2'];
    const vegf = [100, 200, 300, 400, 500, 150, 250, 350, 450, 550];
    const ct = [30, 29, 28, 27, 26, 31, 29.5, 30, 28, 27];
    const gb = [1, 5, 2, 4, 3, 'NA', 2, 1, 3, 5];
    for (let l = 0; l < 10; l++) rows.push(`V${l}\t${l < 5 ? 'adipose' : 'umbilical_cord'}\t${vegf[l]}\t${ct[l]}\t${gb[l]}`);
    writeFileSync(join(dir, 'bulk.tsv'), rows.join('\n') + '\n');
    const out = join(dir, 'out');
    const code = await main(['validate', '--candidates', join(dir, 'cands.tsv'), '--bulk', join(dir, 'bulk.tsv'), '--ct',
      '--readout', 'vegf_hypoxia', '--top', '2', '--permutations', '5000', '--out', out, '--quiet']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const t = readTsv(join(out, 'validation.tsv'));
    // top 2 by rank: LRRC75A, GENE_B (found via gene id ENSG2)
    expect(t.map((r) => `${r.group}:${r.gene}`)).toEqual([
      'all:LRRC75A', 'all:ENSG2', 'adipose:LRRC75A', 'adipose:ENSG2', 'umbilical_cord:LRRC75A', 'umbilical_cord:ENSG2',
    ]);
    // adipose: -Ct = (-30..-26) rises with vegf: rho 1, exact p = 2/120
    expect(Number(t[2].rho)).toBe(1);
    expect(Number(t[2].pval)).toBeCloseTo(2 / 120, 12);
    expect(t[2].n_lots).toBe('5');
    // umbilical cord: -Ct = (-31, -29.5, -30, -28, -27): ranks (1,3,2,4,5): rho = 0.9, p = 10/120
    expect(Number(t[4].rho)).toBeCloseTo(0.9, 12);
    expect(Number(t[4].pval)).toBeCloseTo(10 / 120, 12);
    // GENE_B misses one umbilical-cord lot
    expect(t[5].n_lots).toBe('4');
    expect(t[1].n_lots).toBe('9');
  });

  it('validates the planted marker in the committed simulated single-cell cohort (fixtures/lots)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cands.tsv'), CANDIDATES);
    const out = join(dir, 'out');
    const code = await main(['validate', '--candidates', join(dir, 'cands.tsv'), '--samples', fixture('lots', 'samples.csv'),
      '--readout', 'vegf_hypoxia', '--permutations', '5000', '--out', out, '--quiet', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const t = readTsv(join(out, 'validation.tsv'));
    const all = t.find((r) => r.group === 'all' && r.gene === 'LRRC75A')!;
    expect(all.n_lots).toBe('11');
    expect(Number(all.rho)).toBeGreaterThan(0.6);
    expect(Number(all.pval)).toBeLessThan(0.05);
    // one source (bone_marrow): its rows repeat the overall statistics
    const bm = t.find((r) => r.group === 'bone_marrow' && r.gene === 'LRRC75A')!;
    expect(bm.rho).toBe(all.rho);
    expect(bm.pval).toBe(all.pval);
    expect(t.find((r) => r.gene === 'ABSENT')!.found).toBe('false');
    const summary = JSON.parse(stdout) as { lots: number; missing: string[] };
    expect(summary.lots).toBe(11);
    expect(summary.missing).toEqual(['GENE_B', 'ABSENT']);
  });

  it.each([
    [['--bulk', 'x.tsv', '--samples', 'y.csv'], 2],
    [[], 2],
  ])('rejects a bad cohort choice %j with exit %i', async (extra, exit) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cands.tsv'), CANDIDATES);
    const code = await main(['validate', '--candidates', join(dir, 'cands.tsv'), '--readout', 'vegf_hypoxia', '--out', join(dir, 'o'), ...extra]);
    expect(code).toBe(exit);
    expect(stderr).toContain('exactly one of --samples');
  });

  it('names file, line and column for a malformed bulk table (exit 3)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cands.tsv'), CANDIDATES);
    writeFileSync(join(dir, 'bulk.tsv'), 'lot\tvegf_hypoxia\tLRRC75A\nA\t1\t2\nB\t2\tbad\n');
    const code = await main(['validate', '--candidates', join(dir, 'cands.tsv'), '--bulk', join(dir, 'bulk.tsv'), '--readout', 'vegf_hypoxia', '--out', join(dir, 'o')]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/bulk\.tsv line 3, column 'LRRC75A': expected a number or NA, got 'bad'/);
  });

  it('reports a candidate file without rows for the readout (exit 3)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cands.tsv'), CANDIDATES);
    writeFileSync(join(dir, 'bulk.tsv'), 'lot\til6\tLRRC75A\nA\t1\t2\n');
    const code = await main(['validate', '--candidates', join(dir, 'cands.tsv'), '--bulk', join(dir, 'bulk.tsv'), '--readout', 'il6', '--out', join(dir, 'o')]);
    expect(code).toBe(3);
    expect(stderr).toContain("expected candidate rows for readout 'il6'");
  });
});
