/**
 * Delimited-text records (CSV as in RFC 4180, or TSV) streamed line by line: a quoted field may
 * hold delimiters, doubled quotes and newlines; the record then spans several lines.
 */
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import { readLines } from './lineReader.js';

/** One record and the (1-based) line it starts on. */
export interface DelimitedRecord {
  /** Field values with CSV quoting removed (not trimmed). */
  readonly fields: string[];
  /** 1-based line number where the record starts (a quoted field may span several lines). */
  readonly line: number;
}

/** The delimiter a file's name implies: tab for .tsv/.tab/.txt, comma for .csv (.gz stripped); null if unknown. */
export function delimiterFromName(path: string): ',' | '\t' | null {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  const ext = extname(name);
  if (ext === '.csv') return ',';
  if (ext === '.tsv' || ext === '.tab' || ext === '.txt') return '\t';
  return null;
}

/**
 * Splits `text` into fields. Returns null when a quoted field is still open at the end (the record
 * continues on the next line).
 */
function splitFields(text: string, delim: string, path: string, line: number): string[] | null {
  const fields: string[] = [];
  let t = 0;
  const n = text.length;
  for (;;) {
    if (text[t] === '"') {
      // Quoted field: runs to the next quote not followed by another quote.
      let value = '';
      let s = t + 1;
      for (;;) {
        const q = text.indexOf('"', s);
        if (q < 0) return null;
        value += text.slice(s, q);
        if (text[q + 1] === '"') {
          value += '"';
          s = q + 2;
          continue;
        }
        t = q + 1;
        break;
      }
      fields.push(value);
      if (t >= n) return fields;
      if (text[t] !== delim) {
        throw new InputError(`${path} line ${line}, field ${fields.length}: expected '${delim === '\t' ? '\\t' : delim}' or end of line after a closing quote, got '${text[t]}'`);
      }
      t++;
    } else {
      const d = text.indexOf(delim, t);
      if (d < 0) {
        fields.push(text.slice(t));
        return fields;
      }
      fields.push(text.slice(t, d));
      t = d + 1;
    }
  }
}

/**
 * Yields the records of a CSV or TSV file (plain or gzipped). The delimiter is `delimiter`, else
 * implied by the extension, else sniffed from the first line (tab when it has more tabs than commas).
 * Blank lines are skipped.
 * @example
 * for await (const { fields, line } of readRecords('sheet.csv')) ...
 */
export async function* readRecords(path: string, delimiter?: ',' | '\t'): AsyncGenerator<DelimitedRecord> {
  let delim: string | null = delimiter ?? delimiterFromName(path);
  let lineNo = 0;
  let pending: string | null = null;
  let pendingLine = 0;
  for await (const raw of readLines(path)) {
    lineNo++;
    // Spreadsheet exports often start with a UTF-8 byte-order mark; it is not part of the first field.
    const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (delim === null) {
      const tabs = line.split('\t').length;
      const commas = line.split(',').length;
      delim = tabs > commas ? '\t' : ',';
    }
    const text: string = pending === null ? line : `${pending}\n${line}`;
    const start = pending === null ? lineNo : pendingLine;
    if (pending === null && line === '') continue;
    const fields = splitFields(text, delim, path, start);
    if (fields === null) {
      pending = text;
      pendingLine = start;
      continue;
    }
    pending = null;
    yield { fields, line: start };
  }
  if (pending !== null) {
    throw new InputError(`${path} line ${pendingLine}: expected a closing quote, got end of file`);
  }
}
