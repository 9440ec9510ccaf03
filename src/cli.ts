#!/usr/bin/env node
/** The `scx-metrics` executable: runs the CLI and turns usage errors into one line and exit status 2. */
import { main } from './cli/main.js';
import { UsageError } from './plugin/flags.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`scx-metrics: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`scx-metrics: error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
