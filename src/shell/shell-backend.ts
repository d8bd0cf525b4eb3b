import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backends/backend.js';
import type { Platform } from '../backends/platform.js';
import type { GuestOutcome } from '../backends/wasm/outcome.js';
import { requireTool, resolveProgram, startWasmRun, withWorkingFolder, type ResolvedProgram } from '../backends/wasm/wasm-run.js';
import { ExitStatus, GoodbotError } from '../errors.js';
import { LimitInterrupt } from '../limits/limit-interrupt.js';
import { LimitExceeded } from '../limits/run-limiter.js';
import { findTool, isToolName } from '../tools/catalog.js';
import type { InputSource, OutputSink } from '../wasi/common/stdio.js';
import type { ProcessLauncher, ProcessRequest } from './interpreter/interpreter.js';
import type { ShellInput, ShellOutput } from './interpreter/io.js';
import { runShell } from './shell.js';

/**
 * `sh` and `bash` on WebAssembly: goodbot's shell runs the command line,
 * and each program it names runs as a catalog tool in the same run, under
 * the same policy, zones, audit and limits (one budget of fuel, time and
 * output for the whole line). Programs run on this thread, one at a time;
 * so a pipeline between programs runs its commands in turn, each pipe kept
 * whole.
 */
export class ShellBackend implements Backend {
  readonly name = 'wasm';

  constructor(private readonly platform: Platform) {}

  async run(job: BackendJob): Promise<RunOutcome> {
    const { policy, request, reporter } = job;
    const name = request.program as string;
    const authority = reportingAuthority(reporter);
    requireTool(policy, name, authority);
    const argv0 = request.argv0 ?? name;
    const args = request.args ?? [];
    const { run, stdio, env, cwd } = startWasmRun(this.platform, job, authority, { program: name, programKind: 'shell', args: [argv0, ...args] });
    try {
      const programs = new Map<string, Promise<ResolvedProgram>>();
      const launcher: ProcessLauncher = {
        streams: false,
        find: (command) => (isToolName(command) && findTool(command) !== undefined ? `/usr/bin/${command}` : undefined),
        run: async (process) => {
          const command = process.argv[0]!;
          if (!authority.mayRunTool(policy.tools, command)) {
            await process.stderr.write(new TextEncoder().encode(`${argv0}: ${command}: the policy does not allow this tool (sandbox.tools.allow)\n`));
            return 126;
          }
          let resolving = programs.get(command);
          if (resolving === undefined) {
            resolving = resolveProgram(this.platform, policy, command, authority);
            programs.set(command, resolving);
          }
          const program = await resolving;
          const ended = run.runProgram(
            program.program,
            [program.argv0, ...process.argv.slice(1)],
            withWorkingFolder(process.env, process.cwd),
            process.cwd,
            stdioOf(process),
            run.preopens(program),
          );
          return exitStatusOf(ended);
        },
      };
      const status = await runShell({
        name: argv0,
        args,
        env,
        cwd,
        preopens: run.preopens(),
        ...stdio,
        launcher,
        wait: run.limiter,
      });
      return run.outcome({ kind: 'exit', code: status }, { name, kind: 'shell' });
    } catch (error) {
      // A limit reached in a host call (a wait, the shell's own checks) or by the shell's own output.
      if (error instanceof LimitInterrupt) return run.outcome({ kind: 'limit', limit: error.limit }, { name, kind: 'shell' });
      if (error instanceof LimitExceeded) return run.outcome({ kind: 'limit', limit: error }, { name, kind: 'shell' });
      throw error;
    } finally {
      run.close();
    }
  }
}

/** A program's exit status as the shell sees it; a limit ends the whole run. */
function exitStatusOf(ended: GuestOutcome): number {
  if (ended.kind === 'exit') return ended.code;
  if (ended.kind === 'limit') throw new LimitInterrupt(ended.limit);
  return ExitStatus.trap;
}

/** The program's standard streams: the shell's descriptors, read and written on this thread. */
function stdioOf(process: ProcessRequest): { stdin: InputSource; stdout: OutputSink; stderr: OutputSink } {
  return { stdin: inputOf(process.stdin), stdout: outputOf(process.stdout), stderr: outputOf(process.stderr) };
}

function inputOf(input: ShellInput): InputSource {
  if (input.readSync === undefined) throw unsupportedPipe();
  return { read: (max) => input.readSync!(max) };
}

function outputOf(output: ShellOutput): OutputSink {
  if (output.writeSync === undefined) throw unsupportedPipe();
  return { write: (data) => output.writeSync!(data) };
}

function unsupportedPipe(): GoodbotError {
  return new GoodbotError('runtime', 'a program cannot read or write a pipe whose other end is a shell command on the same thread', {
    hint: 'this is a goodbot bug; please report it with the command line',
  });
}
