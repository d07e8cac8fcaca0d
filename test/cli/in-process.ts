/**
 * Runs a console tool's command function in this process, as `gregor <command> <argv>` would, and
 * returns its exit code and what it wrote: a UsageError becomes exit 2 with its message on stderr,
 * as main.ts prints it. No child process, so nothing here waits on a process start.
 */
import { jest } from '@jest/globals';
import { UsageError } from '../../src/cli/usage.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runTool(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<ToolResult> {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  try {
    const code = await run(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } catch (x) {
    if (x instanceof UsageError) return { code: 2, stdout: out.join(''), stderr: `${err.join('')}${x.message}\n` };
    throw x;
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
