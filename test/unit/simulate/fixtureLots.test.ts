import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { setOutputSinks } from '../../../src/cli/output.js';
import { fixture, tempDir } from '../../helpers/paths.js';

/** SHA-256 of every file under `dir`, by relative path. */
function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('fixtures/lots', () => {
  it('is exactly what the command in fixtures/README.md regenerates', async () => {
    const readme = readFileSync(fixture('README.md'), 'utf8');
    const m = /node bin\/cqamine\.js (simulate --out fixtures\/lots[^\n]*)/.exec(readme);
    expect(m).not.toBeNull();
    const out = join(tempDir(), 'lots');
    const argv = m![1].split(/\s+/).map((a) => (a === 'fixtures/lots' ? out : a));
    const lines: string[] = [];
    const restore = setOutputSinks({ stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) });
    let code: number;
    try {
      code = await main(['--quiet', ...argv]);
    } finally {
      restore();
    }
    expect(code, lines.join('')).toBe(0);
    expect(lines.join('')).toContain('wrote 11 samples (3300 cells)');
    const committed = digestTree(fixture('lots'));
    expect(Object.keys(committed)).toHaveLength(11 * 3 + 1 + 4);
    expect(digestTree(out)).toEqual(committed);
  });
});
