/**
 * Progress of long steps: a bar redrawn in place on a TTY stderr, or an info log line every 10%
 * elsewhere (CI, pipes), or nothing with --quiet.
 */
import type { Logger } from '../core/log.js';

export type ProgressFn = (step: string, fraction: number) => void;

/** Chooses the progress reporter for this process. */
export function createProgress(log: Logger, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressFn {
  if (quiet) return () => {};
  let lastStep = '';
  let lastDecile = -1;
  if (stream.isTTY) {
    return (step, fraction) => {
      const width = 30;
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
      const line = `${step.padEnd(18)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
      stream.write(`\r${line}${fraction >= 1 ? '\n' : ''}`);
    };
  }
  return (step, fraction) => {
    const decile = Math.floor(fraction * 10);
    if (step !== lastStep) {
      lastStep = step;
      lastDecile = -1;
    }
    if (decile > lastDecile) {
      lastDecile = decile;
      log.info({ step, progress: Math.min(100, decile * 10) }, 'progress');
    }
  };
}
