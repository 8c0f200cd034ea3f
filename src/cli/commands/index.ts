/** Every subcommand, in the order `--help` lists them. Each module registers one command. */
import type { Command } from 'commander';
import { registerRun } from './run.js';
import { registerDefaults } from './defaults.js';
import { registerSimulate } from './simulate.js';
import { registerInspect } from './inspect.js';
import { registerConvert } from './convert.js';
import { registerValidate } from './validate.js';
import { registerQc } from './qc.js';
import { registerNormalize } from './normalize.js';
import { registerReduce } from './reduce.js';
import { registerNeighbors } from './neighbors.js';
import { registerCluster } from './cluster.js';
import { registerUmap } from './umap.js';
import { registerMarkers } from './markers.js';
import { registerAssociate } from './associate.js';
import { registerReport } from './report.js';

export type RegisterCommand = (program: Command) => Command;

export const COMMANDS: RegisterCommand[] = [registerRun, registerDefaults, registerSimulate, registerInspect, registerConvert, registerValidate,
  registerQc, registerNormalize, registerReduce, registerNeighbors, registerCluster, registerUmap, registerMarkers, registerAssociate, registerReport];
