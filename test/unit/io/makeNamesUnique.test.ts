import { describe, expect, it } from 'vitest';
import { makeNamesUnique } from '../../../src/io/makeNamesUnique.js';

describe('makeNamesUnique (anndata var_names_make_unique)', () => {
  it('keeps the first occurrence and numbers later ones -1, -2', () => {
    expect(makeNamesUnique(['A', 'B', 'A', 'A'])).toEqual(['A', 'B', 'A-1', 'A-2']);
  });
  it('skips a suffix that already exists as a name', () => {
    // 'A-1' is taken by the third name, so the second A becomes A-2
    expect(makeNamesUnique(['A', 'A', 'A-1'])).toEqual(['A', 'A-2', 'A-1']);
  });
  it('returns the same array when names are unique', () => {
    const names = ['x', 'y'];
    expect(makeNamesUnique(names)).toBe(names);
  });
});
