import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backend.js';
import type { Platform } from '../platform.js';
import { resolveProgram, startWasmRun } from './wasm-run.js';

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
    const args = [request.argv0 ?? resolved.argv0, ...(request.args ?? [])];
    const { run, stdio, env, cwd } = startWasmRun(this.platform, job, authority, {
      program: resolved.name,
      programKind: resolved.program.kind,
      args,
      toolEnv: resolved.env,
      toolZones: resolved.mounts,
    });
    try {
      const ended = run.runProgram(resolved.program, args, env, cwd, stdio, run.preopens());
      return run.outcome(ended, { name: resolved.name, kind: resolved.program.kind });
    } finally {
      run.close();
    }
  }
}
