/**
 * Column-typed result tables (QC summaries, markers, lot associations) written as TSV, CSV
 * (RFC 4180 quoting), JSON (array of row objects) or Apache Arrow IPC files.
 *
 * Numbers print deterministically as the shortest text that reads back to the same value
 * (ECMAScript Number-to-String for doubles; the shortest of 1..9 significant digits that rounds
 * back for Float32 storage), so tables diff cleanly between runs. NaN is `NA` in TSV/CSV (as R
 * writes it) and null in JSON; infinities are `Inf`/`-Inf` in TSV/CSV and null in JSON.
 */
import { extname } from 'node:path';
import { Bool, Table as ArrowTable, Utf8, makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';

/** One named column; the array type decides how it is printed and stored. */
export interface TableColumn {
  /** Column header. */
  readonly name: string;
  /**
   * Values: strings; Float64Array/Float32Array (printed as the shortest round-trip text, NaN =
   * missing); Int32Array/Uint32Array (integers); Uint8Array (booleans: 0 = false, else true).
   */
  readonly values: readonly string[] | Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
}

/** A table: columns of equal length, in output order. */
export interface Table {
  readonly columns: readonly TableColumn[];
}

/** Text formats {@link formatTable} produces. */
export type TextTableFormat = 'tsv' | 'csv' | 'json';
/** All formats {@link writeTable} writes. */
export type TableFormat = TextTableFormat | 'arrow';

/** The table format implied by a path's extension (.tsv, .csv, .json, .arrow/.feather); TSV otherwise. */
export function tableFormatFromPath(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow';
  return 'tsv';
}

/** Shortest decimal text that rounds back to the same float32 value. */
function shortestFloat32(v: number): string {
  for (let p = 1; p < 10; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** Text of a numeric cell for TSV/CSV; `NA` for NaN. */
function numberText(v: number, float32: boolean): string {
  if (Number.isNaN(v)) return 'NA';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0'; // also -0
  return float32 ? shortestFloat32(v) : String(v);
}

function columnLength(c: TableColumn): number {
  return c.values.length;
}

function checkTable(table: Table): number {
  if (table.columns.length === 0) throw new UsageError('expected a table with at least one column, got none');
  const n = columnLength(table.columns[0]);
  const names = new Set<string>();
  for (const c of table.columns) {
    if (columnLength(c) !== n) {
      throw new UsageError(`expected columns of equal length, got '${table.columns[0].name}' with ${n} rows and '${c.name}' with ${columnLength(c)}`);
    }
    if (names.has(c.name)) throw new UsageError(`expected unique column names, got '${c.name}' twice`);
    names.add(c.name);
  }
  return n;
}

/** Cell `i` of column `c` as delimited text (before quoting). */
function cellText(c: TableColumn, i: number): string {
  const v = c.values;
  if (v instanceof Float64Array) return numberText(v[i], false);
  if (v instanceof Float32Array) return numberText(v[i], true);
  if (v instanceof Int32Array || v instanceof Uint32Array) return String(v[i]);
  if (v instanceof Uint8Array) return v[i] ? 'true' : 'false';
  return (v as readonly string[])[i];
}

/** RFC 4180: quote a field holding the delimiter, a quote or a line break; double inner quotes. */
function quoteField(s: string, delim: string): string {
  if (s.includes(delim) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

/** Cell `i` of column `c` as a JSON value. */
function jsonValue(c: TableColumn, i: number): string | number | boolean | null {
  const v = c.values;
  if (v instanceof Float64Array || v instanceof Float32Array) {
    const x = v[i];
    if (!Number.isFinite(x)) return null;
    // JSON.stringify prints the shortest double text; for float32 storage use the shorter float32 text.
    return v instanceof Float32Array ? Number(shortestFloat32(x)) : x;
  }
  if (v instanceof Int32Array || v instanceof Uint32Array) return v[i];
  if (v instanceof Uint8Array) return v[i] !== 0;
  return (v as readonly string[])[i];
}

/**
 * Formats a table as text: `tsv` and `csv` with a header row and one line per row (`\n` line
 * ends), `json` as an array of row objects (keys in column order).
 * @example
 * formatTable({ columns: [{ name: 'gene', values: ['A'] }, { name: 'score', values: Float64Array.of(0.1) }] }, 'csv')
 * // 'gene,score\nA,0.1\n'
 */
export function formatTable(table: Table, format: TextTableFormat): string {
  const n = checkTable(table);
  const cols = table.columns;
  if (format === 'json') {
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const row: Record<string, string | number | boolean | null> = {};
      for (const c of cols) row[c.name] = jsonValue(c, i);
      rows.push(JSON.stringify(row));
    }
    return rows.length === 0 ? '[]\n' : `[\n${rows.map((r) => `  ${r}`).join(',\n')}\n]\n`;
  }
  if (format !== 'tsv' && format !== 'csv') throw new UsageError(`expected table format tsv, csv or json, got '${String(format)}'`);
  const delim = format === 'csv' ? ',' : '\t';
  const lines = new Array<string>(n + 1);
  lines[0] = cols.map((c) => quoteField(c.name, delim)).join(delim);
  const cells = new Array<string>(cols.length);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < cols.length; t++) cells[t] = quoteField(cellText(cols[t], i), delim);
    lines[i + 1] = cells.join(delim);
  }
  return lines.join('\n') + '\n';
}

/** Builds the Arrow table: Float64 for floating columns, Int32 for integers, Utf8 for strings, Bool for flags. */
function toArrow(table: Table): ArrowTable {
  checkTable(table);
  const vectors: Record<string, Vector> = {};
  for (const c of table.columns) {
    const v = c.values;
    if (v instanceof Float64Array) vectors[c.name] = makeVector(v);
    else if (v instanceof Float32Array) vectors[c.name] = makeVector(Float64Array.from(v));
    else if (v instanceof Int32Array) vectors[c.name] = makeVector(v);
    else if (v instanceof Uint32Array) {
      // Int32 holds these unless a value reaches 2^31; then Float64 keeps them exact.
      let fits = true;
      for (let i = 0; i < v.length; i++) if (v[i] > 0x7fffffff) fits = false;
      vectors[c.name] = fits ? makeVector(Int32Array.from(v)) : makeVector(Float64Array.from(v));
    } else if (v instanceof Uint8Array) vectors[c.name] = vectorFromArray(Array.from(v, (b) => b !== 0), new Bool());
    else vectors[c.name] = vectorFromArray(v as readonly string[], new Utf8());
  }
  return new ArrowTable(vectors);
}

/**
 * Writes a table atomically (temporary file renamed into place). The format is `format`, else the
 * path's extension: `.tsv` (default), `.csv`, `.json` or `.arrow` (Arrow IPC file format).
 * @param path - output file
 * @param table - the columns
 * @param format - overrides the extension
 * @example
 * await writeTable('out/qc.arrow', { columns: [{ name: 'n_genes', values: nGenes }] });
 */
export async function writeTable(path: string, table: Table, format?: TableFormat): Promise<void> {
  const f = format ?? tableFormatFromPath(path);
  if (f === 'arrow') {
    await writeFileAtomic(path, tableToIPC(toArrow(table), 'file'));
    return;
  }
  await writeFileAtomic(path, formatTable(table, f));
}
