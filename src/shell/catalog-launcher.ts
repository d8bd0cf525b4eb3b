import type { Authority } from '../policy/authority.js';
import type { Policy } from '../policy/types.js';
import type { Platform } from '../backends/platform.js';
import type { GuestOutcome } from '../backends/wasm/outcome.js';
import type { ProcessThreads } from '../backends/wasm/process/process-threads.js';
import { programFor, resolveProgram, withWorkingFolder, type ResolvedProgram, type WasmRun } from '../backends/wasm/wasm-run.js';
import { ErrnoError } from '../errno.js';
import { ExitStatus } from '../errors.js';
import { LimitInterrupt } from '../limits/limit-interrupt.js';
import { isMetered } from '../limits/run-limiter.js';
import { findTool, isToolName } from '../tools/catalog.js';
import type { ProcessLauncher, ProcessRequest } from './interpreter/interpreter.js';
import { bufferedStdio, childStarter, isPiped, stdioOf } from './program-streams.js';

const encoder = new TextEncoder();

/**
 * How the shell of a WebAssembly run starts programs: catalog tools under
 * the policy's tools.allow, in the run (its zones, audit and limits). A
 * program runs on the run's thread, unless it reads or writes a pipe of the
 * line (then it runs on a thread of its own, so the pipe streams), may start
 * commands (it waits for them there while the shell runs them), runs under
 * `timeout` (there it can be stopped on its own) or in a background job.
 */
export class CatalogLauncher implements ProcessLauncher {
  readonly streams: boolean;
  private readonly programs = new Map<string, Promise<ResolvedProgram>>();

  constructor(
    private readonly platform: Platform,
    private readonly policy: Policy,
    private readonly authority: Authority,
    private readonly wasmRun: WasmRun,
    private readonly threads: ProcessThreads | undefined,
    /** The shell's name in messages. */
    private readonly shellName: string,
  ) {
    this.streams = threads !== undefined;
  }

  find(command: string): string | undefined {
    return isToolName(command) && findTool(command) !== undefined ? `/usr/bin/${command}` : undefined;
  }

  async run(process: ProcessRequest): Promise<number> {
    const command = process.argv[0]!;
    if (!this.authority.mayRunTool(this.policy.tools, command)) {
      return this.refuse(process, `${this.shellName}: ${command}: the policy does not allow this tool (sandbox.tools.allow)`, 126);
    }
    const resolved = await this.resolve(command);
    const { argv0, mounts } = resolved;
    const started = {
      args: [argv0, ...process.argv.slice(1)],
      env: withWorkingFolder(process.env, process.cwd),
      cwd: process.cwd,
      preopens: this.wasmRun.preopens({ mounts }),
    };
    const program = await programFor(resolved, started.args, started.env);
    const apart = isPiped(process) || findTool(command)?.startsPrograms === true || process.deadline !== undefined || process.background === true;
    const { threads, policy } = this;
    if (apart && threads !== undefined && program.portable !== undefined) {
      try {
        return exitStatusOf(
          await threads.run({
            ...started,
            program: program.portable(isMetered(policy.limits) || process.deadline !== undefined, policy.limits.memoryBytes),
            ...(process.deadline !== undefined && { deadline: process.deadline }),
            stdin: process.stdin,
            stdout: process.stdout,
            stderr: process.stderr,
            startChild: childStarter(process),
          }),
        );
      } catch (error) {
        if (!(error instanceof ErrnoError && error.errno === 'AGAIN')) throw error;
        return this.refuse(process, `${this.shellName}: ${command}: ${error.detail}`, 126);
      }
    }
    if (process.deadline !== undefined) {
      const why = "cannot be stopped on its own in this run (deterministic, or with network access); the run's own timeout applies";
      return this.refuse(process, `timeout: ${command}: ${why}`, 125);
    }
    const buffered = isPiped(process) ? await bufferedStdio(process) : undefined;
    const ended = this.wasmRun.runProgram(program, started.args, started.env, started.cwd, buffered?.stdio ?? stdioOf(process), started.preopens);
    await buffered?.deliver();
    return exitStatusOf(ended);
  }

  /** COMMAND's program, loaded once per run. */
  private resolve(command: string): Promise<ResolvedProgram> {
    let resolving = this.programs.get(command);
    if (resolving === undefined) {
      resolving = resolveProgram(this.platform, this.policy, command, this.authority);
      this.programs.set(command, resolving);
    }
    return resolving;
  }

  private async refuse(process: ProcessRequest, message: string, status: number): Promise<number> {
    await process.stderr.write(encoder.encode(`${message}\n`));
    return status;
  }
}

/** A program's exit status as the shell sees it; a limit ends the whole run. */
function exitStatusOf(ended: GuestOutcome): number {
  if (ended.kind === 'exit') return ended.code;
  if (ended.kind === 'limit') throw new LimitInterrupt(ended.limit);
  return ExitStatus.trap;
}
