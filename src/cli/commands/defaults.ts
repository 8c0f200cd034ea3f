/** `cqamine defaults`: prints the full default configuration of `cqamine run` as JSON. */
import type { Command } from 'commander';
import { defaultConfig } from '../../pipeline/pipelineConfig.js';
import { writeJsonResult } from '../output.js';

export function registerDefaults(program: Command): Command {
  return program
    .command('defaults')
    .description('Print the full default configuration of `cqamine run` (edit a copy and pass it with --config).')
    .addHelpText('after', '\nExample:\n  cqamine defaults > analysis.json')
    .action(() => {
      writeJsonResult(defaultConfig());
    });
}
