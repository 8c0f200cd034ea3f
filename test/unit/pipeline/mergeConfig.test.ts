import { describe, expect, it } from 'vitest';
import { mergeConfig } from '../../../src/pipeline/mergeConfig.js';
import { UsageError } from '../../../src/core/errors.js';

const defaults = { seed: 0, cellsPerLot: 'min' as string | number, qc: { maxPctMito: 20, mitoPrefix: 'MT-' }, readouts: [] as string[], condition: null as string | null };

describe('mergeConfig', () => {
  it('merges nested keys and keeps the rest at their defaults', () => {
    const out = mergeConfig(defaults, { seed: 7, qc: { maxPctMito: 5 }, cellsPerLot: 250, condition: 'ischemia' }, 'a.json');
    expect(out).toEqual({ seed: 7, cellsPerLot: 250, qc: { maxPctMito: 5, mitoPrefix: 'MT-' }, readouts: [], condition: 'ischemia' });
    expect(defaults.qc.maxPctMito).toBe(20);
  });

  it('rejects unknown keys with their dotted path', () => {
    expect(() => mergeConfig(defaults, { qc: { maxPctMit: 5 } }, 'a.json')).toThrow(UsageError);
    expect(() => mergeConfig(defaults, { qc: { maxPctMit: 5 } }, 'a.json')).toThrow(/unknown config key 'qc.maxPctMit' in a.json/);
  });

  it('rejects values of the wrong JSON type', () => {
    expect(() => mergeConfig(defaults, { seed: 'seven' }, 'a.json')).toThrow(/expected number for config key 'seed' in a.json, got string/);
    expect(() => mergeConfig(defaults, { qc: 3 }, 'a.json')).toThrow(/expected a JSON object at 'qc'/);
    expect(() => mergeConfig(defaults, [1], 'a.json')).toThrow(/got array/);
  });
});
