/**
 * The sample sheet: one row per lot, naming its count matrix and its lot-level metadata.
 *
 * Required columns `lot` and `path` (relative to the sheet's folder, or absolute); optional
 * `condition` and `source`. Every other column is a readout candidate: a column with at least one
 * numeric value is a readout (potency, viability, ...) and must hold numbers or be empty (`NA` and
 * `NaN` count as missing too); a column with no numeric value at all is free-text metadata
 * (`extra`). CSV or TSV by extension, else sniffed.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { readRecords } from './readRecords.js';

/** One lot of a {@link SampleSheet}. */
export interface SampleSheetLot {
  /** Lot identifier, unique within the sheet. */
  readonly lot: string;
  /** Absolute path of the lot's count matrix (any format `readMatrix` reads). */
  readonly path: string;
  /** Experimental condition, when the sheet has a `condition` column and the cell is not empty. */
  readonly condition?: string;
  /** Donor or tissue source, when the sheet has a `source` column and the cell is not empty. */
  readonly source?: string;
  /** Numeric readouts by column name; null = missing. */
  readonly readouts: Readonly<Record<string, number | null>>;
  /** Other (text) columns by name. */
  readonly extra: Readonly<Record<string, string>>;
}

/** A validated sample sheet. */
export interface SampleSheet {
  /** Absolute path of the sheet file. */
  readonly path: string;
  /** Lots in sheet order. */
  readonly lots: readonly SampleSheetLot[];
  /** Readout column names in sheet order. */
  readonly readoutNames: readonly string[];
  /** Free-text metadata column names in sheet order. */
  readonly extraNames: readonly string[];
}

const MISSING = new Set(['', 'na', 'nan', 'n/a']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads and validates a sample sheet. Errors are `InputError`s naming file, line and column:
 * missing `lot`/`path` columns, empty or duplicate lot IDs, a path that does not exist, a
 * non-numeric value in a readout column, a row with a different number of fields than the header.
 * @param path - the sheet (.csv or .tsv, optionally gzipped)
 * @example
 * const sheet = await readSampleSheet('fixtures/tiny/lots/samples.csv');
 * sheet.lots[0].readouts.potency // 0.5
 */
export async function readSampleSheet(path: string): Promise<SampleSheet> {
  const sheetPath = resolve(path);
  const baseDir = dirname(sheetPath);
  let header: string[] | null = null;
  const rows: { fields: string[]; line: number }[] = [];
  for await (const rec of readRecords(sheetPath)) {
    const fields = rec.fields.map((f) => f.trim());
    if (header === null) {
      header = fields;
      continue;
    }
    if (fields.length !== header.length) {
      throw new InputError(`${path} line ${rec.line}: expected ${header.length} fields as in the header, got ${fields.length}`);
    }
    rows.push({ fields, line: rec.line });
  }
  if (header === null) throw new InputError(`${path}: expected a header row with 'lot' and 'path' columns, got an empty sheet`);
  const lower = header.map((h) => h.toLowerCase());
  const seenNames = new Set<string>();
  header.forEach((h, c) => {
    if (h === '') throw new InputError(`${path} line 1, column ${c + 1}: expected a column name, got an empty header cell`);
    if (seenNames.has(lower[c])) throw new InputError(`${path} line 1, column ${c + 1}: expected unique column names, got '${h}' twice`);
    seenNames.add(lower[c]);
  });
  const lotCol = lower.indexOf('lot');
  const pathCol = lower.indexOf('path');
  const missing = [lotCol < 0 ? "'lot'" : '', pathCol < 0 ? "'path'" : ''].filter((s) => s !== '');
  if (missing.length > 0) {
    throw new InputError(`${path} line 1: expected columns 'lot' and 'path', missing ${missing.join(' and ')} (got: ${header.join(', ')})`);
  }
  if (rows.length === 0) throw new InputError(`${path}: expected at least one lot row after the header, got none`);
  const condCol = lower.indexOf('condition');
  const sourceCol = lower.indexOf('source');
  // Classify the remaining columns: any numeric value makes a readout column.
  const readoutCols: number[] = [];
  const extraCols: number[] = [];
  for (let c = 0; c < header.length; c++) {
    if (c === lotCol || c === pathCol || c === condCol || c === sourceCol) continue;
    const numeric = rows.some((r) => NUMBER.test(r.fields[c]));
    (numeric ? readoutCols : extraCols).push(c);
  }
  const lots: SampleSheetLot[] = [];
  const seenLots = new Map<string, number>();
  for (const { fields, line } of rows) {
    const lot = fields[lotCol];
    if (lot === '') throw new InputError(`${path} line ${line}, column 'lot': expected a lot ID, got an empty cell`);
    // A lot may appear once per condition (the same lot measured under normoxia and ischemia).
    const condition = condCol >= 0 ? fields[condCol] : '';
    const key = `${lot}\u0000${condition}`;
    const prev = seenLots.get(key);
    if (prev !== undefined) {
      const per = condCol >= 0 ? ` per condition ('${condition}')` : '';
      throw new InputError(`${path} line ${line}, column 'lot': expected unique lot IDs${per}, got '${lot}' again (first on line ${prev})`);
    }
    seenLots.set(key, line);
    const rel = fields[pathCol];
    if (rel === '') throw new InputError(`${path} line ${line}, column 'path': expected the path of lot '${lot}', got an empty cell`);
    const abs = isAbsolute(rel) ? rel : resolve(baseDir, rel);
    if (!existsSync(abs)) throw new InputError(`${path} line ${line}, column 'path': expected an existing file or folder for lot '${lot}', got '${rel}' (${abs} does not exist)`);
    const readouts: Record<string, number | null> = {};
    for (const c of readoutCols) {
      const s = fields[c];
      if (MISSING.has(s.toLowerCase())) readouts[header[c]] = null;
      else if (NUMBER.test(s)) readouts[header[c]] = Number(s);
      else throw new InputError(`${path} line ${line}, column '${header[c]}': expected a number or an empty cell (readout), got '${s.slice(0, 40)}'`);
    }
    const extra: Record<string, string> = {};
    for (const c of extraCols) extra[header[c]] = fields[c];
    const entry: { -readonly [K in keyof SampleSheetLot]: SampleSheetLot[K] } = { lot, path: abs, readouts, extra };
    if (condCol >= 0 && fields[condCol] !== '') entry.condition = fields[condCol];
    if (sourceCol >= 0 && fields[sourceCol] !== '') entry.source = fields[sourceCol];
    lots.push(entry);
  }
  return { path: sheetPath, lots, readoutNames: readoutCols.map((c) => header[c]), extraNames: extraCols.map((c) => header[c]) };
}
