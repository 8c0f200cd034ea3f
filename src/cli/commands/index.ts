/** Every subcommand, in the order `--help` lists them. Each module registers one command. */
import type { Command } from 'commander';
import { registerRun } from './run.js';
import { registerDefaults } from './defaults.js';
import { registerSimulate } from './simulate.js';
import { registerInspect } from './inspect.js';
import { registerConvert } from './convert.js';
import { registerValidate } from './validate.js';

export type RegisterCommand = (program: Command) => Command;

export const COMMANDS: RegisterCommand[] = [registerRun, registerDefaults, registerSimulate, registerInspect, registerConvert, registerValidate];
