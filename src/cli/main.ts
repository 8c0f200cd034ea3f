/**
 * The cqamine program: global options, one subcommand per file under commands/, and the mapping
 * from error classes to exit codes. `main()` returns the exit code instead of exiting, so tests
 * run the CLI in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, ScError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { writeError } from './output.js';
import { COMMANDS } from './commands/index.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  internal error (a bug; rerun with --verbose for the stack trace)
  2  usage error: bad flag, unknown parameter, out-of-range value
  3  bad input: unreadable or malformed file, missing field (the message names file and line/field)
  4  analysis precondition failed: e.g. no cells left after QC, too few lots
  5  cannot write an output file or directory`;

/** Builds the commander program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('cqamine')
    .description('Single-cell heterogeneity analysis of cell-therapy products: find the subpopulations and genes that track lot potency.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
    .option('-q, --quiet', 'log errors only and draw no progress bars', false)
    .option('--verbose', 'debug logs, and stack traces for internal errors', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => writeError(s.trimEnd()), writeOut: (s) => process.stdout.write(s) });
  for (const register of COMMANDS) {
    const sub = register(program);
    sub.exitOverride();
    sub.addHelpText('after', EXIT_CODES_HELP);
  }
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    return exitCodeFor(e, argv.includes('--verbose'));
  }
}

/** Maps an error to its exit code and prints the one-line message. */
export function exitCodeFor(e: unknown, verbose: boolean): number {
  if (e instanceof CommanderError) {
    // Help and version exit 0; commander already printed them.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  if (e instanceof ScError) {
    writeError(`cqamine: ${e.message}`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  writeError(`cqamine: internal error: ${err.message}`);
  if (verbose && err.stack) writeError(err.stack);
  return EXIT.internal;
}
