/**
 * anndata's `var_names_make_unique` / `make_index_unique` rule, written from its documented
 * behaviour: the first occurrence of a name is kept, every later duplicate gets `-1`, `-2`, ... in
 * order, and a suffix already taken by another name is skipped so the result is always unique.
 */

/**
 * Returns `names` with duplicates renamed the anndata way (`A`, `A` -> `A`, `A-1`). The input is
 * returned unchanged (same array) when it already is unique.
 * @param names - row names in order
 * @param join - separator between a name and its counter. @default '-'
 * @example makeNamesUnique(['A', 'B', 'A', 'A']) // ['A', 'B', 'A-1', 'A-2']
 */
export function makeNamesUnique(names: readonly string[], join = '-'): readonly string[] {
  const seen = new Set<string>();
  let hasDup = false;
  for (let t = 0; t < names.length; t++) {
    if (seen.has(names[t])) {
      hasDup = true;
      break;
    }
    seen.add(names[t]);
  }
  if (!hasDup) return names;
  // All original names are reserved first, so a renamed duplicate never takes a name that appears
  // later in the list (anndata builds its set from every value before renaming).
  const taken = new Set<string>(names);
  const firstSeen = new Set<string>();
  const counter = new Map<string, number>();
  const out = names.slice();
  for (let t = 0; t < names.length; t++) {
    const v = names[t];
    if (!firstSeen.has(v)) {
      firstSeen.add(v);
      continue;
    }
    let c = counter.get(v) ?? 0;
    let candidate: string;
    do {
      c++;
      candidate = `${v}${join}${c}`;
    } while (taken.has(candidate));
    counter.set(v, c);
    taken.add(candidate);
    out[t] = candidate;
  }
  return out;
}
