import { describe, expect, it } from 'vitest';
import { makeGeneNames, MIN_GENES, MSC_GENES, MT_GENES, STRESS_GENES } from '../../../src/simulate/geneNames.js';
import { UsageError } from '../../../src/core/errors.js';

describe('makeGeneNames', () => {
  it('gives unique symbol-like names with the role genes in place and MT genes last', () => {
    const g = makeGeneNames(2000, 'LRRC75A');
    expect(new Set(g.symbols).size).toBe(2000);
    expect(new Set(g.ids).size).toBe(2000);
    expect(g.symbols[g.marker]).toBe('LRRC75A');
    expect(Array.from(g.msc, (j) => g.symbols[j])).toEqual([...MSC_GENES]);
    expect(Array.from(g.stress, (j) => g.symbols[j])).toEqual([...STRESS_GENES]);
    expect(g.symbols.slice(-13)).toEqual([...MT_GENES]);
    expect(g.symbols.filter((s) => s.startsWith('MT-'))).toHaveLength(13);
    expect(g.generic.length).toBe(2000 - 1 - MSC_GENES.length - STRESS_GENES.length - 13);
    for (const s of g.symbols) expect(s).toMatch(/^[A-Z][A-Z0-9-]*$/);
    for (const id of g.ids) expect(id).toMatch(/^ENSG\d{11}$/);
  });

  it('is deterministic and independent of anything but size and marker', () => {
    expect(makeGeneNames(500, 'LRRC75A').symbols).toEqual(makeGeneNames(500, 'LRRC75A').symbols);
    const renamed = makeGeneNames(500, 'MYMARKER');
    expect(renamed.symbols[renamed.marker]).toBe('MYMARKER');
  });

  it('scales to 20k genes', () => {
    const g = makeGeneNames(20_000, 'LRRC75A');
    expect(new Set(g.symbols).size).toBe(20_000);
  });

  it('rejects too few genes and a marker that collides with a built-in gene', () => {
    expect(() => makeGeneNames(MIN_GENES - 1, 'LRRC75A')).toThrow(UsageError);
    expect(() => makeGeneNames(500, 'VEGFA')).toThrow(/must differ/);
  });
});
