#!/usr/bin/env node
/** The `gregor` executable: runs the command line (run.ts) and exits with its code. */
import { run } from './run.js';

void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
