/**
 * Error classes that carry the process exit code (cspell style). Anything that is not a
 * `ScError` is a bug and exits 1.
 */

/** Exit codes, documented in `--help` and the README. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  analysis: 4,
  output: 5,
} as const;

/** Base class of every expected failure; `exitCode` is what the CLI exits with. */
export class ScError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flag, unknown parameter, out-of-range value (exit 2). */
export class UsageError extends ScError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
  }
}

/** Unreadable or malformed input file (exit 3). The message names file, line/field, expected and got. */
export class InputError extends ScError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.input, options);
  }
}

/** Data fail a precondition of an analysis step (exit 4). */
export class AnalysisError extends ScError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.analysis, options);
  }
}

/** Cannot write an output (exit 5). */
export class OutputError extends ScError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.output, options);
  }
}
