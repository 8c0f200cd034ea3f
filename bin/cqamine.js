#!/usr/bin/env node
// Launcher: run the CLI and exit with its code. Everything else lives in dist/cli/main.js.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
