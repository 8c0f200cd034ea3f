import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { setOutputSinks } from '../../../src/cli/output.js';
import { fixture, tempDir } from '../../helpers/paths.js';
import { digestTree } from '../../helpers/digestTree.js';


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
