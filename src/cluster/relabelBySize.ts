/**
 * Renumbers cluster labels by size: the largest cluster becomes 0, the next 1, and so on; equal
 * sizes are ordered by their smallest member index, so the numbering is a pure function of the
 * partition (not of the ids an algorithm happened to use).
 */

/**
 * Labels 0..K-1 ordered by decreasing cluster size, ties by smallest member index.
 *
 * @param labels cluster id per cell (any non-negative integers; negative = unassigned, kept -1).
 * @returns new labels (a new array) and the size of each new cluster.
 * @example
 * relabelBySize(Int32Array.of(5, 5, 2, 9, 9, 9)).labels; // [1, 1, 2, 0, 0, 0]
 */
export function relabelBySize(labels: Int32Array): { labels: Int32Array; sizes: Int32Array } {
  let maxId = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > maxId) maxId = labels[i];
  const count = new Int32Array(maxId + 1);
  const first = new Int32Array(maxId + 1).fill(-1);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c < 0) continue;
    if (count[c] === 0) first[c] = i;
    count[c]++;
  }
  let k = 0;
  for (let c = 0; c <= maxId; c++) if (count[c] > 0) k++;
  const ids = new Int32Array(k);
  k = 0;
  for (let c = 0; c <= maxId; c++) if (count[c] > 0) ids[k++] = c;
  ids.sort((a, b) => count[b] - count[a] || first[a] - first[b]);
  const map = new Int32Array(maxId + 1).fill(-1);
  const sizes = new Int32Array(k);
  for (let t = 0; t < k; t++) {
    map[ids[t]] = t;
    sizes[t] = count[ids[t]];
  }
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] < 0 ? -1 : map[labels[i]];
  return { labels: out, sizes };
}
