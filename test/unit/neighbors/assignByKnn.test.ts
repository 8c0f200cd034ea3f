import { describe, expect, it } from 'vitest';
import { assignByKnn } from '../../../src/neighbors/assignByKnn.js';

describe('assignByKnn', () => {
  // Reference on a line: cells at 0, 1, 2 labelled 0; cells at 10, 11, 12 labelled 1; one
  // unlabelled cell (-1) at 5.
  const ref = { nRows: 7, nCols: 1, data: Float32Array.from([0, 1, 2, 10, 11, 12, 5]) };
  const labels = Int32Array.from([0, 0, 0, 1, 1, 1, -1]);

  it('takes the majority label of the k nearest reference cells', async () => {
    const query = { nRows: 3, nCols: 1, data: Float32Array.from([0.4, 11.6, 7.9]) };
    const res = await assignByKnn(ref, labels, query, 3);
    // 0.4 -> {0,1,2} all label 0; 11.6 -> {11,12,10} label 1;
    // 7.9 -> 5 (unlabelled, 2.9), 10 (2.1), 11 (3.1): votes label 1 x2 -> 1.
    expect(Array.from(res.labels)).toEqual([0, 1, 1]);
    expect(res.agreement[0]).toBe(1);
    expect(res.agreement[2]).toBeCloseTo(2 / 3, 12);
  });

  it('breaks a tied vote in favour of the label with the closest voter', async () => {
    // Query at 6, k = 3: 5 (unlabelled, dist 1), then 2 and 10 both at dist 4 (index 2 ranks first).
    // Votes: label 0 x1 (rank 1), label 1 x1 (rank 2) -> tie, label 0 has the closer voter.
    const query = { nRows: 1, nCols: 1, data: Float32Array.from([6]) };
    const res = await assignByKnn(ref, labels, query, 3);
    expect(Array.from(res.labels)).toEqual([0]);
  });
});
