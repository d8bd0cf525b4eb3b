import { ProcessExit, type WasiContext } from '../common/context.js';
import { readInput } from '../common/stdio.js';
import { dispose, type Interfaces } from './resource.js';
import { InputStream, OutputStream } from './streams.js';

/** `wasi:cli/terminal-input` `terminal-input`: only handed out when stdin is a terminal. */
export class TerminalInput {
  [dispose](): void {}
}

/** `wasi:cli/terminal-output` `terminal-output`: only handed out for a terminal stdout/stderr. */
export class TerminalOutput {
  [dispose](): void {}
}

/**
 * `wasi:cli`: arguments, the policy-filtered environment and the working
 * directory from the context; stdio as streams over its sources and sinks;
 * `exit` throws {@link ProcessExit}, which unwinds the guest to the runner.
 * Each `get-std*` call returns a fresh stream object, so a guest dropping one
 * handle never disturbs another.
 */
export function cliInterfaces(ctx: WasiContext): Interfaces {
  return {
    'wasi:cli/environment': {
      getEnvironment: () => ctx.env.map(([key, value]) => [key, value]),
      getArguments: () => [...ctx.args],
      initialCwd: () => ctx.cwd,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: 'ok' | 'err' }) => {
        throw new ProcessExit(status.tag === 'ok' ? 0 : 1);
      },
      exitWithCode: (code: number) => {
        throw new ProcessExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => new InputStream({ read: (max) => readInput(ctx.stdin, max, ctx.limiter) }) },
    'wasi:cli/stdout': { getStdout: () => new OutputStream(ctx.stdout) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(ctx.stderr) },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': {
      getTerminalStdin: () => (ctx.stdin.isTerminal ? new TerminalInput() : undefined),
    },
    'wasi:cli/terminal-stdout': {
      getTerminalStdout: () => (ctx.stdout.isTerminal ? new TerminalOutput() : undefined),
    },
    'wasi:cli/terminal-stderr': {
      getTerminalStderr: () => (ctx.stderr.isTerminal ? new TerminalOutput() : undefined),
    },
  };
}
