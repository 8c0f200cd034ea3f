/**
 * Dense CSV/TSV output of a count matrix, the layout {@link readDelimitedMatrix} reads: by default
 * genes x cells with a header of cell names (after an empty corner cell) and gene names in the
 * first column, as R's write.csv writes a matrix. Written row by row through a stream (gzipped
 * when the name ends in .gz) into a temporary file that is renamed into place.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import { once } from 'node:events';
import type { AnnDataLite } from '../core/adata.js';
import { writeAtomic } from '../core/atomic.js';
import { toCsc, type CompressedMatrix } from '../core/sparse.js';
import { delimiterFromName } from './readRecords.js';

/** Options of {@link writeDelimitedMatrix}. */
export interface WriteDelimitedMatrixOptions {
  /** Write cells as rows (default: genes as rows). @default false */
  cellsAsRows: boolean;
  /** Field delimiter; by default from the extension (.tsv tab, else comma). */
  delimiter?: ',' | '\t';
}

/** RFC 4180 quoting of a name when it holds the delimiter, a quote or a line break. */
function quote(s: string, delim: string): string {
  return s.includes(delim) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Text of one value: integers as-is, others as the shortest float32 round-trip text. */
function valueText(v: number): string {
  if (v === 0) return '0';
  if (Number.isInteger(v)) return String(v);
  for (let p = 1; p < 10; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/**
 * Writes the counts (`layers.counts`, else `X`) of `adata` as a dense table.
 * @param path - .csv, .tsv or .txt, optionally .gz
 * @example
 * await writeDelimitedMatrix('out/counts.csv.gz', adata); // genes x cells
 */
export async function writeDelimitedMatrix(path: string, adata: AnnDataLite, options: Partial<WriteDelimitedMatrixOptions> = {}): Promise<void> {
  const cellsAsRows = options.cellsAsRows ?? false;
  const delim = options.delimiter ?? delimiterFromName(path) ?? ',';
  const counts = adata.layers.counts ?? adata.X;
  // Output rows are cells (CSR rows) or genes (CSC columns of the cells x genes matrix).
  const m: CompressedMatrix = cellsAsRows ? counts : toCsc(counts);
  const rowNames = cellsAsRows ? adata.obsNames : adata.varNames;
  const colNames = cellsAsRows ? adata.varNames : adata.obsNames;
  const nOut = rowNames.length;
  const width = colNames.length;
  await writeAtomic(path, async (tmp) => {
    const file: WriteStream = createWriteStream(tmp);
    const gz: Gzip | null = path.toLowerCase().endsWith('.gz') ? createGzip({ level: 6 }) : null;
    if (gz) gz.pipe(file);
    const sink = gz ?? file;
    const done = once(file, 'close');
    const write = async (text: string): Promise<void> => {
      if (!sink.write(text)) await once(sink, 'drain');
    };
    await write(['', ...colNames.map((n) => quote(n, delim))].join(delim) + '\n');
    const row = new Float64Array(width);
    const parts = new Array<string>(width + 1);
    let buffer = '';
    for (let r = 0; r < nOut; r++) {
      row.fill(0);
      const end = m.indptr[r + 1];
      for (let k = m.indptr[r]; k < end; k++) row[m.indices[k]] = m.data[k];
      parts[0] = quote(rowNames[r], delim);
      for (let c = 0; c < width; c++) parts[c + 1] = valueText(row[c]);
      buffer += parts.join(delim) + '\n';
      // Batch rows into ~1 MB writes so stream overhead stays small.
      if (buffer.length > 1 << 20) {
        await write(buffer);
        buffer = '';
      }
    }
    if (buffer.length > 0) await write(buffer);
    sink.end();
    await done;
  });
}
