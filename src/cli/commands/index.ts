/** Every subcommand, in the order `--help` lists them. Each module registers one command. */
import type { Command } from 'commander';
import { registerSimulate } from './simulate.js';

export type RegisterCommand = (program: Command) => Command;

export const COMMANDS: RegisterCommand[] = [registerSimulate];
