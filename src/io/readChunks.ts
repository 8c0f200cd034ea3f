/**
 * Streams the bytes of a plain or gzip-compressed file in large chunks. Compression is detected by
 * the gzip magic bytes (1f 8b), not by the extension, so a mislabelled file still reads. zlib runs
 * on the libuv thread pool, so decompression of the next chunk overlaps with parsing of this one.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { InputError } from '../core/errors.js';

/** Options of {@link readChunks}. */
export interface ReadChunksOptions {
  /** Bytes per chunk handed to the parser; large chunks keep per-chunk overhead negligible. @default 1 MiB */
  chunkSize?: number;
}

/** True when the first two bytes of `path` are the gzip magic number. */
function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Yields the (decompressed) bytes of `path` chunk by chunk. Throws `InputError` naming the file for
 * a missing or empty file and for corrupt or truncated gzip data.
 * @example
 * for await (const chunk of readChunks('matrix.mtx.gz')) parse(chunk);
 */
export async function* readChunks(path: string, options: ReadChunksOptions = {}): AsyncGenerator<Buffer> {
  const chunkSize = options.chunkSize ?? 1 << 20;
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError(`expected a file at ${path}, got a directory`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (size === 0) throw new InputError(`${path}: expected content, got an empty file (0 bytes)`);
  const gz = isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: chunkSize });
  const stream = gz ? raw.pipe(createGunzip({ chunkSize })) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      yield chunk;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const msg = (e as Error).message;
    if (gz) {
      throw new InputError(
        `${path}: expected valid gzip data, got corrupt or truncated gzip after ${total} decompressed bytes (zlib: ${msg})`,
        { cause: e },
      );
    }
    throw new InputError(`cannot read ${path}: ${msg}`, { cause: e });
  } finally {
    raw.destroy();
    if (gz) stream.destroy();
  }
  if (total === 0) throw new InputError(`${path}: expected content, got an empty file (gzip stream decompresses to 0 bytes)`);
}
