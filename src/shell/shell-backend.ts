import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backends/backend.js';
import type { Platform } from '../backends/platform.js';
import type { GuestOutcome } from '../backends/wasm/outcome.js';
import { requireTool, resolveProgram, startWasmRun, withWorkingFolder, type GuestStdio, type ResolvedProgram } from '../backends/wasm/wasm-run.js';
import { ExitStatus } from '../errors.js';
import { ErrnoError } from '../errno.js';
import { LimitInterrupt } from '../limits/limit-interrupt.js';
import { isMetered, LimitExceeded } from '../limits/run-limiter.js';
import { findTool, isToolName } from '../tools/catalog.js';
import { pipeSink, type InputSource, type OutputSink } from '../wasi/common/stdio.js';
import type { ProcessLauncher, ProcessRequest } from './interpreter/interpreter.js';
import {
  BrokenPipe,
  BytesInput,
  CapturedOutput,
  closedInput,
  discardOutput,
  PipeInput,
  PipeOutput,
  type ShellInput,
  type ShellOutput,
} from './interpreter/io.js';
import type { ChildStart } from '../backends/wasm/process/process-threads.js';
import type { ChildResult } from '../wasi/common/child-program.js';
import { concatBytes } from '../bytes.js';
import { runShell } from './shell.js';

/**
 * `sh` and `bash` on WebAssembly: goodbot's shell runs the command line,
 * and each program it names runs as a catalog tool in the same run, under
 * the same policy, zones, audit and limits (one budget of fuel, time and
 * output for the whole line). A program runs on this thread, unless it
 * reads or writes a pipe of the line: then it runs on a thread of its own
 * (where the platform has them), so a pipeline's commands run at once and
 * their pipes stream.
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
    const threads = run.processThreads();
    try {
      const programs = new Map<string, Promise<ResolvedProgram>>();
      const launcher: ProcessLauncher = {
        streams: threads !== undefined,
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
          const { program, argv0: programArgv0, mounts } = await resolving;
          const started = {
            args: [programArgv0, ...process.argv.slice(1)],
            env: withWorkingFolder(process.env, process.cwd),
            cwd: process.cwd,
            preopens: run.preopens({ mounts }),
          };
          // A program that reads or writes a pipe of the line runs on a thread of its own, so the pipe streams;
          // so does one that may start commands, which it waits for there while the shell runs them.
          // And so does one that `timeout` runs: there it can be stopped on its own.
          const apart = isPiped(process) || findTool(command)?.startsPrograms === true || process.deadline !== undefined;
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
              await process.stderr.write(new TextEncoder().encode(`${argv0}: ${command}: ${error.detail}\n`));
              return 126;
            }
          }
          if (process.deadline !== undefined) {
            await process.stderr.write(
              new TextEncoder().encode(
                `timeout: ${command}: cannot be stopped on its own in this run (deterministic, or with network access); the run's own timeout applies\n`,
              ),
            );
            return 125;
          }
          const buffered = isPiped(process) ? await bufferedStdio(process) : undefined;
          const ended = run.runProgram(program, started.args, started.env, started.cwd, buffered?.stdio ?? stdioOf(process), started.preopens);
          await buffered?.deliver();
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
      await threads?.stopAll();
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

/** The most a child's kept stdout or stderr may hold (python's `capture_output`). */
const childCaptureLimit = 16 * 1024 * 1024;

/**
 * How a program on a thread starts a command (xargs, find -exec, env CMD):
 * the shell runs it with the program's own streams, or with nothing, bytes,
 * or a kept stream in their place.
 */
function childStarter(process: ProcessRequest): (child: ChildStart) => Promise<ChildResult> {
  return async ({ request, stdin, stdout, stderr }) => {
    const input = request.stdin === 'inherit' ? new PipeInput(stdin) : request.stdin === 'null' ? closedInput : new BytesInput(request.stdin);
    const kept = (what: string) => new CapturedOutput(childCaptureLimit, `a child's kept ${what}`, 'FBIG');
    const out = request.stdout === 'capture' ? kept('stdout') : request.stdout === 'null' ? discardOutput : new PipeOutput(stdout);
    const err =
      request.stderr === 'stdout'
        ? out
        : request.stderr === 'capture'
          ? kept('stderr')
          : request.stderr === 'null'
            ? discardOutput
            : new PipeOutput(stderr);
    const status = await process.runChild({ argv: request.argv, env: request.env, cwd: request.cwd, stdin: input, stdout: out, stderr: err });
    return {
      status,
      ...(out instanceof CapturedOutput && { stdout: out.bytes }),
      ...(err instanceof CapturedOutput && err !== out && { stderr: err.bytes }),
    };
  };
}

/** Does the program read or write a pipe of the line (whose other end is another command, running at the same time)? */
function isPiped(process: ProcessRequest): boolean {
  return process.stdin.readSync === undefined || process.stdout.writeSync === undefined || process.stderr.writeSync === undefined;
}

/** The program's standard streams: the shell's descriptors, read and written on this thread. */
function stdioOf(process: ProcessRequest): { stdin: InputSource; stdout: OutputSink; stderr: OutputSink } {
  return { stdin: inputOf(process.stdin), stdout: outputOf(process.stdout), stderr: outputOf(process.stderr) };
}

function inputOf(input: ShellInput): InputSource {
  return { read: (max) => input.readSync!(max) };
}

function outputOf(output: ShellOutput): OutputSink {
  return pipeSink((data) => output.writeSync!(data));
}

/** The most a piped program that must run on the shell's thread takes in or gives out, kept whole. */
const bufferedPipeLimit = 16 * 1024 * 1024;

/**
 * Streams for a piped program that cannot run on a thread of its own (a
 * component, or a run whose clock or network must stay on this thread):
 * its piped input read whole first, its piped output kept whole and
 * written out once it ends.
 */
async function bufferedStdio(process: ProcessRequest): Promise<{ stdio: GuestStdio; deliver: () => Promise<void> }> {
  const stdin = process.stdin.readSync === undefined ? new BytesInput(await readWhole(process.stdin)) : process.stdin;
  const kept = (output: ShellOutput) =>
    output.writeSync === undefined
      ? new CapturedOutput(bufferedPipeLimit, "a pipe from a program that runs on the shell's thread", 'PIPE')
      : undefined;
  const stdout = kept(process.stdout);
  const stderr = kept(process.stderr);
  return {
    stdio: { stdin: inputOf(stdin), stdout: outputOf(stdout ?? process.stdout), stderr: outputOf(stderr ?? process.stderr) },
    deliver: async () => {
      try {
        if (stdout) await process.stdout.write(stdout.bytes);
        if (stderr) await process.stderr.write(stderr.bytes);
      } catch (error) {
        if (!(error instanceof BrokenPipe)) throw error;
      }
    },
  };
}

/** All of INPUT, up to the buffered limit. */
async function readWhole(input: ShellInput): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let size = 0; size < bufferedPipeLimit;) {
    const chunk = await input.read(Math.min(64 * 1024, bufferedPipeLimit - size));
    if (chunk.length === 0) break;
    chunks.push(chunk);
    size += chunk.length;
  }
  return concatBytes(chunks);
}
