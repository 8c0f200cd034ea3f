/** A tiny kernel used by the parallel-map tests: sums a range of a shared array. */
export function sumRange(values: Float64Array, start: number, end: number): number {
  let s = 0;
  for (let t = start; t < end; t++) s += values[t];
  return s;
}
