import { describe, expect, it } from 'vitest';
import { relabelBySize } from '../../../src/cluster/relabelBySize.js';

describe('relabelBySize', () => {
  it('numbers clusters by decreasing size, ties by smallest member index', () => {
    // id 9: 3 cells; id 5: 2 cells (first at 0); id 7: 2 cells (first at 3); id 2: 1 cell.
    const { labels, sizes } = relabelBySize(Int32Array.from([5, 5, 2, 7, 9, 9, 9, 7]));
    expect(Array.from(labels)).toEqual([1, 1, 3, 2, 0, 0, 0, 2]);
    expect(Array.from(sizes)).toEqual([3, 2, 2, 1]);
  });

  it('keeps unassigned cells (negative ids) at -1', () => {
    expect(Array.from(relabelBySize(Int32Array.from([-1, 4, 4, -3])).labels)).toEqual([-1, 0, 0, -1]);
  });
});
