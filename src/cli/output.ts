/**
 * The only place that writes to the terminal. Results go to stdout; logs go through pino on
 * stderr. Tests swap the sinks to capture output in-process.
 */

export interface OutputSinks {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processSinks: OutputSinks = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

let sinks: OutputSinks = processSinks;

/** Replaces the sinks (tests); returns a function that restores the previous ones. */
export function setOutputSinks(next: OutputSinks): () => void {
  const prev = sinks;
  sinks = next;
  return () => {
    sinks = prev;
  };
}

/** Writes a result to stdout. */
export function writeResult(text: string): void {
  sinks.stdout(text.endsWith('\n') ? text : text + '\n');
}

/** Writes a JSON result to stdout (2-space indented, stable key order as built). */
export function writeJsonResult(value: unknown): void {
  writeResult(JSON.stringify(value, null, 2));
}

/** Writes a one-line error message to stderr. */
export function writeError(text: string): void {
  sinks.stderr(text.endsWith('\n') ? text : text + '\n');
}
