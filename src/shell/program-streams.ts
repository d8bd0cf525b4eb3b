/*
 * The streams of a program the shell starts, as the place it runs needs
 * them: the shell's descriptors read and written on the shell's thread,
 * kept whole for a piped program that must run there, and a child's
 * streams for a program on a thread that starts one.
 */
import type { ChildStart } from '../backends/wasm/process/process-threads.js';
import type { GuestStdio } from '../backends/wasm/wasm-run.js';
import type { ChildResult } from '../wasi/common/child-program.js';
import { pipeSink, type InputSource, type OutputSink } from '../wasi/common/stdio.js';
import type { ProcessRequest } from './interpreter/interpreter.js';
import {
  BrokenPipe,
  BytesInput,
  CapturedOutput,
  closedInput,
  discardOutput,
  PipeInput,
  PipeOutput,
  readWhole,
  type ShellInput,
  type ShellOutput,
} from './interpreter/io.js';

/** The most a child's kept stdout or stderr may hold (python's `capture_output`). */
const childCaptureLimit = 16 * 1024 * 1024;

/**
 * How a program on a thread starts a command (xargs, find -exec, env CMD):
 * the shell runs it with the program's own streams, or with nothing, bytes,
 * or a kept stream in their place.
 */
export function childStarter(process: ProcessRequest): (child: ChildStart) => Promise<ChildResult> {
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
export function isPiped(process: ProcessRequest): boolean {
  return process.stdin.readSync === undefined || process.stdout.writeSync === undefined || process.stderr.writeSync === undefined;
}

/** The program's standard streams: the shell's descriptors, read and written on this thread. */
export function stdioOf(process: ProcessRequest): { stdin: InputSource; stdout: OutputSink; stderr: OutputSink } {
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
export async function bufferedStdio(process: ProcessRequest): Promise<{ stdio: GuestStdio; deliver: () => Promise<void> }> {
  const stdin = process.stdin.readSync === undefined ? new BytesInput(await readWhole(process.stdin, bufferedPipeLimit)) : process.stdin;
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
