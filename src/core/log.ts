/**
 * pino logger on stderr. JSON lines by default (machine-readable in CI); human-readable when
 * stderr is a TTY. Kernels never log; steps log start/finish.
 */
import { pino, type Logger, type Level } from 'pino';

export type { Logger, Level };

/** Creates the process logger; `pretty` defaults to whether stderr is a terminal. */
export function createLogger(level: Level | 'silent', pretty = process.stderr.isTTY === true): Logger {
  if (pretty) {
    return pino({
      level,
      base: undefined,
      transport: { target: 'pino-pretty', options: { destination: 2, sync: true, colorize: true } },
    });
  }
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything; for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
