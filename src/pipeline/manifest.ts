/**
 * The run manifest: what produced the results (versions, parameters, seed), from which inputs
 * (paths, sizes, SHA-256) and what came out (names, sizes, SHA-256), with step timings.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One hashed file. */
export interface FileDigest {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly cqamine: string;
  readonly node: string;
  readonly seed: number;
  readonly params: unknown;
  readonly inputs: readonly FileDigest[];
  readonly steps: readonly { step: string; ms: number }[];
  readonly outputs: readonly FileDigest[];
}

/** SHA-256 of a file, streamed (inputs can be gigabytes). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/** Digests of a file, or of every file under a directory (10x MTX folders), sorted by path. */
export async function digestPath(path: string, label = path): Promise<FileDigest[]> {
  const st = statSync(path);
  if (!st.isDirectory()) return [{ path: label, bytes: st.size, sha256: await sha256File(path) }];
  const out: FileDigest[] = [];
  for (const name of readdirSync(path).sort()) {
    out.push(...(await digestPath(join(path, name), `${label}/${name}`)));
  }
  return out;
}
