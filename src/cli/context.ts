/** Global CLI options shared by every subcommand, and the logger they configure. */
import type { Command } from 'commander';
import { createLogger, type Logger, type Level } from '../core/log.js';

export interface GlobalOptions {
  logLevel: Level;
  quiet: boolean;
  verbose: boolean;
}

/** Reads the root program's global options from any subcommand. */
export function globalOptions(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts() as Partial<GlobalOptions>;
  return { logLevel: o.logLevel ?? 'info', quiet: o.quiet ?? false, verbose: o.verbose ?? false };
}

let cached: { key: string; log: Logger } | undefined;

/** The logger for a subcommand: `--quiet` silences everything but errors. */
export function loggerFor(cmd: Command): Logger {
  const g = globalOptions(cmd);
  const level = g.quiet ? 'error' : g.verbose ? 'debug' : g.logLevel;
  const key = `${level}`;
  if (!cached || cached.key !== key) cached = { key, log: createLogger(level) };
  return cached.log;
}
