import { errnoError } from '../../errno.js';
import type { ChildRequest, ChildResult } from '../common/child-program.js';
import type { HostCalls, HostState } from './host-state.js';

/** Flags of `goodbot_process.run` (wasm-tools/lib/process/goodbot-process.h). */
const STDIN_BYTES = 1;
const STDIN_NULL = 2;
const STDOUT_CAPTURE = 4;
const STDOUT_NULL = 8;
const STDERR_CAPTURE = 16;
const STDERR_NULL = 32;
const STDERR_STDOUT = 64;

/**
 * `goodbot_process`: the process interface of goodbot's WASI tools. `run`
 * starts a command as the guest's child and waits for it; `output` hands
 * over what it wrote to a kept stream. Without the capability (a program
 * on the run's own thread) `run` fails with ENOSYS.
 */
export function processCalls({ ctx, memory }: HostState): HostCalls {
  let last: ChildResult | undefined;
  return {
    run: (
      argvPtr: number,
      argvLen: number,
      envPtr: number,
      envLen: number,
      cwdPtr: number,
      cwdLen: number,
      flags: number,
      inputPtr: number,
      inputLen: number,
      statusPtr: number,
      outLenPtr: number,
      errLenPtr: number,
    ) => {
      if (ctx.startChild === undefined) throw errnoError('NOSYS', 'this program runs where it cannot start others');
      const argv = strings(memory.string(argvPtr, argvLen));
      if (argv.length === 0) throw errnoError('INVAL', 'no command to run');
      const env = strings(memory.string(envPtr, envLen)).map((entry): [string, string] => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      });
      const request: ChildRequest = {
        argv,
        env,
        cwd: memory.string(cwdPtr, cwdLen) || '/',
        stdin: flags & STDIN_BYTES ? memory.slice(inputPtr, inputLen).slice() : flags & STDIN_NULL ? 'null' : 'inherit',
        stdout: flags & STDOUT_CAPTURE ? 'capture' : flags & STDOUT_NULL ? 'null' : 'inherit',
        stderr: flags & STDERR_STDOUT ? 'stdout' : flags & STDERR_CAPTURE ? 'capture' : flags & STDERR_NULL ? 'null' : 'inherit',
      };
      last = ctx.startChild(request);
      memory.setU32(statusPtr, last.status);
      memory.setU32(outLenPtr, last.stdout?.length ?? 0);
      memory.setU32(errLenPtr, last.stderr?.length ?? 0);
    },
    output: (which: number, bufPtr: number, len: number) => {
      const kept = which === 1 ? last?.stdout : which === 2 ? last?.stderr : undefined;
      if (kept === undefined) throw errnoError('INVAL', 'no kept output of that stream');
      memory.writeBytes(bufPtr, kept.subarray(0, len));
    },
  };
}

/** The NUL-terminated strings of TEXT. */
function strings(text: string): string[] {
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}
