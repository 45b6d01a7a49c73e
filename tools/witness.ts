#!/usr/bin/env node
/**
 * The witness's own entry point: `node dist/tools/witness.js SUBCOMMAND ...` runs exactly what
 * `sealtrail witness SUBCOMMAND ...` runs. A witness is a separate program from the log it watches.
 */
import { runWitness } from '../src/witness/cli.js';

process.exitCode = await runWitness(process.argv.slice(2));
