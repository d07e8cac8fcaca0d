/**
 * The streams a command reads and writes. `gregor` passes the process's own; tests pass captured
 * ones, so that what a command prints and the code it exits with can be checked without starting a
 * process for it.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable & { readonly isTTY?: boolean };
  readonly stderr: Writable & { readonly isTTY?: boolean };
}

// Getters: process.stdin is opened only by a command that reads it.
export const PROCESS_IO: CliIo = {
  get stdin() {
    return process.stdin;
  },
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
};
