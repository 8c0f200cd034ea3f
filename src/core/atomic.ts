/**
 * Atomic output: everything is written to a temporary sibling and renamed into place only on
 * success, so an existing output is replaced only by a complete one and a failure leaves nothing.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { OutputError } from './errors.js';

let counter = 0;

/** A unique temporary path next to `target` (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  counter++;
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${counter}`);
}

/**
 * Calls `write(tmpPath)` and renames the result onto `target`. On any error the temporary file is
 * removed and the error rethrown (filesystem errors become OutputError, exit 5).
 */
export async function writeAtomic(target: string, write: (tmpPath: string) => void | Promise<void>): Promise<void> {
  const dir = dirname(target);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot create output directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const tmp = tempPathFor(target);
  try {
    await write(tmp);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true, recursive: true });
    if (e instanceof Error && 'code' in e && typeof (e as NodeJS.ErrnoException).code === 'string' && !(e as { exitCode?: number }).exitCode) {
      throw new OutputError(`cannot write ${target}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Writes `content` (string or bytes) to `target` atomically, fsynced before the rename. */
export async function writeFileAtomic(target: string, content: string | Uint8Array): Promise<void> {
  await writeAtomic(target, (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}
