/** Captures what the in-process CLI writes to stdout and stderr, fresh for every test. */
import { afterEach, beforeEach } from 'vitest';
import { setOutputSinks } from '../../src/cli/output.js';

/** Captured output; `out`/`err` are reset before each test and may be cleared by the test. */
export interface CliOutput {
  out: string;
  err: string;
}

/** Installs beforeEach/afterEach hooks that route CLI output into the returned object. */
export function captureCliOutput(): CliOutput {
  const io: CliOutput = { out: '', err: '' };
  let restore: () => void = () => {};
  beforeEach(() => {
    io.out = '';
    io.err = '';
    restore = setOutputSinks({ stdout: (t) => void (io.out += t), stderr: (t) => void (io.err += t) });
  });
  afterEach(() => restore());
  return io;
}
