/**
 * Column frames for obs (per cell) and var (per gene): an index of unique names plus typed
 * columns. Mirrors what anndata stores: numeric arrays, booleans, strings and categoricals.
 */

export type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array;

/** One column; categoricals keep codes (-1 = missing) and category labels, as pandas does. */
export type Column =
  | { readonly kind: 'numeric'; readonly values: NumericArray }
  | { readonly kind: 'bool'; readonly values: Uint8Array }
  | { readonly kind: 'string'; readonly values: readonly string[] }
  | { readonly kind: 'categorical'; readonly codes: Int32Array; readonly categories: readonly string[]; readonly ordered: boolean };

/** Length of a column. */
export function columnLength(c: Column): number {
  return c.kind === 'categorical' ? c.codes.length : c.values.length;
}

/** Value `i` of a column as a display string ('' for a missing categorical or NaN). */
export function columnValueString(c: Column, i: number): string {
  switch (c.kind) {
    case 'numeric': {
      const v = c.values[i];
      return Number.isNaN(v) ? '' : String(v);
    }
    case 'bool':
      return c.values[i] ? 'true' : 'false';
    case 'string':
      return c.values[i];
    case 'categorical': {
      const code = c.codes[i];
      return code < 0 ? '' : c.categories[code];
    }
  }
}

/** Builds a categorical column from strings; categories in first-seen order unless given. */
export function categoricalFrom(values: readonly string[], categories?: readonly string[]): Column {
  const cats = categories ? [...categories] : [];
  const lookup = new Map<string, number>();
  cats.forEach((c, t) => lookup.set(c, t));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let code = lookup.get(v);
    if (code === undefined) {
      if (categories) {
        code = -1;
      } else {
        code = cats.length;
        cats.push(v);
        lookup.set(v, code);
      }
    }
    codes[i] = code;
  }
  return { kind: 'categorical', codes, categories: cats, ordered: false };
}

/** Strings of a string or categorical column (throws for other kinds). */
export function columnStrings(c: Column): string[] {
  const n = columnLength(c);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = columnValueString(c, i);
  return out;
}

/** Rows `rows` of a column, in that order. */
export function subsetColumn(c: Column, rows: ArrayLike<number>): Column {
  switch (c.kind) {
    case 'numeric': {
      const out = new (c.values.constructor as Float64ArrayConstructor)(rows.length);
      for (let t = 0; t < rows.length; t++) out[t] = c.values[rows[t]];
      return { kind: 'numeric', values: out as NumericArray };
    }
    case 'bool': {
      const out = new Uint8Array(rows.length);
      for (let t = 0; t < rows.length; t++) out[t] = c.values[rows[t]];
      return { kind: 'bool', values: out };
    }
    case 'string': {
      const out = new Array<string>(rows.length);
      for (let t = 0; t < rows.length; t++) out[t] = c.values[rows[t]];
      return { kind: 'string', values: out };
    }
    case 'categorical': {
      const out = new Int32Array(rows.length);
      for (let t = 0; t < rows.length; t++) out[t] = c.codes[rows[t]];
      return { kind: 'categorical', codes: out, categories: c.categories, ordered: c.ordered };
    }
  }
}

/** Concatenates columns of the same kind (categoricals get the union of categories). */
export function concatColumns(parts: readonly Column[]): Column {
  const kind = parts[0].kind;
  for (const p of parts) {
    if (p.kind !== kind) {
      // Mixed kinds fall back to strings, as pandas falls back to object.
      return { kind: 'string', values: parts.flatMap((q) => columnStrings(q)) };
    }
  }
  if (kind === 'categorical') {
    const all: string[] = [];
    for (const p of parts) all.push(...columnStrings(p));
    const cats: string[] = [];
    const seen = new Set<string>();
    for (const p of parts as Extract<Column, { kind: 'categorical' }>[]) {
      for (const c of p.categories) if (!seen.has(c)) { seen.add(c); cats.push(c); }
    }
    return categoricalFrom(all, cats);
  }
  if (kind === 'string') return { kind: 'string', values: parts.flatMap((p) => columnStrings(p)) };
  const total = parts.reduce((s, p) => s + columnLength(p), 0);
  if (kind === 'bool') {
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts as Extract<Column, { kind: 'bool' }>[]) { out.set(p.values, off); off += p.values.length; }
    return { kind: 'bool', values: out };
  }
  const out = new Float64Array(total);
  let off = 0;
  for (const p of parts as Extract<Column, { kind: 'numeric' }>[]) {
    for (let t = 0; t < p.values.length; t++) out[off + t] = p.values[t];
    off += p.values.length;
  }
  return { kind: 'numeric', values: out };
}

/** An immutable table: unique row names plus named columns in insertion order. */
export class Frame {
  private readonly cols: ReadonlyMap<string, Column>;

  constructor(
    /** Row names (obs_names / var_names). */
    readonly index: readonly string[],
    columns: Iterable<[string, Column]> = [],
  ) {
    const m = new Map<string, Column>();
    for (const [name, col] of columns) {
      if (columnLength(col) !== index.length) {
        throw new Error(`column '${name}' has ${columnLength(col)} rows, frame has ${index.length}`);
      }
      m.set(name, col);
    }
    this.cols = m;
  }

  get nRows(): number {
    return this.index.length;
  }

  /** Column names in order. */
  get columnNames(): string[] {
    return [...this.cols.keys()];
  }

  has(name: string): boolean {
    return this.cols.has(name);
  }

  /** The column `name`, or undefined. */
  get(name: string): Column | undefined {
    return this.cols.get(name);
  }

  /** The column `name`; throws a plain Error naming what is missing. */
  require(name: string): Column {
    const c = this.cols.get(name);
    if (!c) throw new Error(`frame has no column '${name}' (columns: ${this.columnNames.join(', ') || 'none'})`);
    return c;
  }

  /** A copy with `name` set (replaced in place when present, appended otherwise). */
  with(name: string, col: Column): Frame {
    const entries = [...this.cols.entries()];
    const at = entries.findIndex(([n]) => n === name);
    if (at >= 0) entries[at] = [name, col];
    else entries.push([name, col]);
    return new Frame(this.index, entries);
  }

  /** A copy with numeric column `name` holding `values`. */
  withNumeric(name: string, values: NumericArray): Frame {
    return this.with(name, { kind: 'numeric', values });
  }

  /** A copy without `name`. */
  without(name: string): Frame {
    return new Frame(this.index, [...this.cols.entries()].filter(([n]) => n !== name));
  }

  /** A copy with another index (same length). */
  withIndex(index: readonly string[]): Frame {
    return new Frame(index, this.cols.entries());
  }

  /** Rows `rows`, in that order. */
  subset(rows: ArrayLike<number>): Frame {
    const index = new Array<string>(rows.length);
    for (let t = 0; t < rows.length; t++) index[t] = this.index[rows[t]];
    return new Frame(index, [...this.cols.entries()].map(([n, c]) => [n, subsetColumn(c, rows)]));
  }

  entries(): IterableIterator<[string, Column]> {
    return this.cols.entries();
  }
}
