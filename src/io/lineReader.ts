/**
 * Line-by-line reading of small text files (barcodes, features, sample sheets) on top of
 * {@link readChunks}: chunks are split at newline bytes, so multi-byte UTF-8 characters never get cut
 * and the file is never held as one string.
 */
import { readChunks } from './readChunks.js';

/**
 * Yields each line of a plain or gzipped text file without its line terminator (`\n` or `\r\n`).
 * A final line without a newline is yielded too; a trailing empty line is not.
 * @example
 * let lineNo = 0;
 * for await (const line of readLines('barcodes.tsv.gz')) { lineNo++; ... }
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  let carry: Buffer | null = null;
  for await (const chunk of readChunks(path)) {
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl >= 0) {
      let piece: Buffer = chunk.subarray(start, nl);
      if (carry !== null) {
        piece = Buffer.concat([carry, piece]);
        carry = null;
      }
      const end = piece.length > 0 && piece[piece.length - 1] === 13 ? piece.length - 1 : piece.length;
      yield piece.toString('utf8', 0, end);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      // Copy the tail: the stream may reuse the chunk's memory.
      const tail = Buffer.from(chunk.subarray(start));
      carry = carry === null ? tail : Buffer.concat([carry, tail]);
    }
  }
  if (carry !== null && carry.length > 0) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield carry.toString('utf8', 0, end);
  }
}
