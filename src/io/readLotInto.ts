/**
 * One lot read in a worker thread, for `loadLots` with several threads: decompressing and parsing
 * a lot (MTX text, HDF5) takes most of loading, lots are independent, and each worker writes its
 * lot's entries straight into the merged shared arrays at the offset the lots' header counts give
 * (so the main thread neither copies nor collects the lots' own matrices).
 *
 * What crosses the thread boundary is plain data (structured clone): the lot's index pointer, its
 * obs and var tables as names and columns, the log records of the reader, and an expected failure
 * as name and message, rebuilt on the main thread into the same error class.
 */
import { pino } from 'pino';
import { AnalysisError, InputError, OutputError, ScError, UsageError } from '../core/errors.js';
import { Frame, type Column } from '../core/frame.js';
import type { Logger } from '../core/log.js';
import { parallelMap } from '../core/parallel.js';
import { nnzOf, type CsrMatrix, type Indptr } from '../core/sparse.js';
import { readMatrix, type MatrixFormat } from './readMatrix.js';

/** A lot as read by {@link readLotInto}: everything `loadLots` uses of `readMatrix`'s result. */
export interface LotParts {
  readonly format: MatrixFormat;
  readonly countsSource?: 'layers/counts' | 'raw/X' | 'X';
  readonly nVars: number;
  /** Index pointer of the lot's counts (from 0); its entries are in the merged arrays. */
  readonly indptr: Indptr;
  readonly obsNames: readonly string[];
  readonly obsColumns: [string, Column][];
  readonly varNames: readonly string[];
  readonly varColumns: [string, Column][];
  /** The reader's log records (pino JSON objects), replayed on the main thread's logger. */
  readonly records: Record<string, unknown>[];
  /** Milliseconds the read took. */
  readonly ms: number;
}

/** An expected failure of the reader (an `ScError`), carried as data. */
export interface LotFailure {
  readonly failure: { readonly name: string; readonly message: string };
}

/** A logger that keeps its records (as the JSON objects pino writes) instead of printing them. */
function recordingLogger(records: Record<string, unknown>[]): Logger {
  return pino({ level: 'info', base: undefined, timestamp: false }, { write: (line: string) => void records.push(JSON.parse(line)) });
}

/**
 * Worker task: reads the lot at `path` with `readMatrix` (default options) and writes its counts'
 * indices and values into `indices` / `data` from `offset` on.
 * @param room - entries reserved for this lot (its header count, an upper bound of what the reader keeps)
 */
export async function readLotInto(path: string, indices: Int32Array, data: Float32Array, offset: number, room: number): Promise<LotParts | LotFailure> {
  const t0 = performance.now();
  const records: Record<string, unknown>[] = [];
  let res;
  try {
    res = await readMatrix(path, { log: recordingLogger(records) });
  } catch (e) {
    if (e instanceof ScError) return { failure: { name: e.name, message: e.message } };
    throw e;
  }
  const { adata, format, countsSource } = res;
  const counts: CsrMatrix = adata.layers.counts ?? adata.X;
  const nnz = nnzOf(counts);
  if (nnz > room) throw new Error(`${path}: ${nnz} stored entries, more than the ${room} its header announced`);
  indices.set(counts.indices.subarray(0, nnz), offset);
  data.set(counts.data.subarray(0, nnz), offset);
  const columns = (f: Frame): [string, Column][] => f.columnNames.map((name) => [name, f.require(name)]);
  return {
    format,
    ...(countsSource ? { countsSource } : {}),
    nVars: adata.nVars,
    indptr: counts.indptr,
    obsNames: adata.obsNames,
    obsColumns: columns(adata.obs),
    varNames: adata.varNames,
    varColumns: columns(adata.var),
    records,
    ms: Math.round(performance.now() - t0),
  };
}

/**
 * Runs {@link readLotInto} once per task (its argument list) on `threads` workers; results in task order.
 */
export function readLotsInto(tasks: unknown[][], threads: number): Promise<(LotParts | LotFailure)[]> {
  return parallelMap<LotParts | LotFailure>(import.meta.url, 'readLotInto', tasks, threads);
}

/** The error `readLotInto` caught, as its own class again. */
export function lotError(f: LotFailure): ScError {
  const { name, message } = f.failure;
  switch (name) {
    case 'UsageError':
      return new UsageError(message);
    case 'AnalysisError':
      return new AnalysisError(message);
    case 'OutputError':
      return new OutputError(message);
    default:
      return new InputError(message);
  }
}

/** Writes a worker's log records to `log` at their own levels. */
export function replayRecords(records: readonly Record<string, unknown>[], log: Logger): void {
  for (const { level, msg, ...fields } of records) {
    const label = pino.levels.labels[level as number] as 'info' | 'warn' | 'error' | undefined;
    if (label === 'info' || label === 'warn' || label === 'error') log[label](fields, String(msg ?? ''));
  }
}
