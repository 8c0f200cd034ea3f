#!/usr/bin/env node
/**
 * Assembles src/linalg/simd/kernels.wat (WebAssembly text) into the binary embedded in
 * src/linalg/simd/kernelsBinary.ts. Run `npm run build:wasm` after editing the .wat file; the unit
 * test test/unit/linalg/simdKernels.test.ts fails while the two disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = new URL('../../', import.meta.url);
export const WAT_PATH = fileURLToPath(new URL('src/linalg/simd/kernels.wat', root));
const BINARY_MODULE_PATH = fileURLToPath(new URL('src/linalg/simd/kernelsBinary.ts', root));

/** The module's bytes, assembled from the .wat source. */
export async function assembleSimdKernels() {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat(WAT_PATH, readFileSync(WAT_PATH, 'utf8'), { simd: true });
  try {
    parsed.validate();
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

/** TypeScript source of kernelsBinary.ts for the given bytes. */
export function binaryModuleSource(bytes) {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,100}/g) ?? [];
  return [
    '// Generated from kernels.wat by `npm run build:wasm` (test/tools/assembleSimdKernels.mjs). Do not edit.',
    '/** The SIMD kernels module (kernels.wat assembled), base64. */',
    'export const SIMD_KERNELS_BASE64 =',
    lines.map((l) => `  '${l}'`).join(' +\n') + ';',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await assembleSimdKernels();
  writeFileSync(BINARY_MODULE_PATH, binaryModuleSource(bytes));
  process.stderr.write(`wrote ${BINARY_MODULE_PATH} (${bytes.length} bytes)\n`);
}
