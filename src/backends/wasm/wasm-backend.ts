import type { ExecRequest } from '../exec-request.js';
import { guestEnvironment } from '../../policy/environment.js';
import { BufferedInput, emptyInput, type InputSource } from '../../wasi/common/stdio.js';
import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backend.js';
import type { Platform } from '../platform.js';
import { resolveProgram, WasmRun, withWorkingFolder, workingFolder } from './wasm-run.js';

/**
 * WebAssembly on the calling thread: the program (a `.wasm` path, bytes, or
 * a catalog tool) runs under the WASI host, with the run's zones, limiter,
 * network gate and descriptor budget, all closed when it ends.
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm';

  constructor(private readonly platform: Platform) {}

  async run(job: BackendJob): Promise<RunOutcome> {
    const { policy, request, reporter } = job;
    const authority = reportingAuthority(reporter);
    const resolved = await resolveProgram(this.platform, policy, request.program, authority);
    const started = performance.now();
    const args = [request.argv0 ?? resolved.argv0, ...(request.args ?? [])];
    const cwd = workingFolder(request.cwd ?? policy.cwd);
    const env = withWorkingFolder(guestEnvironment(policy.env, this.platform.hostEnv(), request.env, resolved.env), cwd);
    reporter.started({ program: resolved.name, programKind: resolved.program.kind, args, backend: 'wasm', env });

    const run = new WasmRun(this.platform, job, authority, started);
    try {
      const stdio = { stdin: stdinOf(request.stdin, request.terminal?.stdin ?? false), stdout: run.sink('stdout'), stderr: run.sink('stderr') };
      run.mount([...policy.zones, ...resolved.mounts], stdio);
      run.checkWorkingFolder(cwd);
      const ended = run.runProgram(resolved.program, args, env, cwd, stdio, run.preopens());
      return run.outcome(ended, { name: resolved.name, kind: resolved.program.kind });
    } finally {
      run.close();
    }
  }
}

export function stdinOf(stdin: ExecRequest['stdin'], isTerminal: boolean): InputSource {
  if (stdin === undefined) return emptyInput;
  if (typeof stdin === 'string') return new BufferedInput(new TextEncoder().encode(stdin));
  if (stdin instanceof Uint8Array) return new BufferedInput(stdin);
  return isTerminal ? { read: (max, wait) => stdin.read(max, wait), isTerminal } : stdin;
}
