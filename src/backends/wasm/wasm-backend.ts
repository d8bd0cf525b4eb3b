import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backend.js';
import type { Platform } from '../platform.js';
import { programFor, resolveProgram, startWasmRun, wasmRunEnvironment } from './wasm-run.js';

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
    // Chosen (and loaded, if need be) before the run's clock starts.
    const environment = wasmRunEnvironment(this.platform, job, resolved.env);
    const program = await programFor(resolved, args, environment.env);
    const { run, stdio, env, cwd } = startWasmRun(
      this.platform,
      job,
      authority,
      { program: resolved.name, programKind: program.kind, args, toolEnv: resolved.env, toolZones: resolved.mounts },
      environment,
    );
    try {
      const ended = run.runProgram(program, args, env, cwd, stdio, run.preopens());
      return run.outcome(ended, { name: resolved.name, kind: resolved.program.kind });
    } finally {
      run.close();
    }
  }
}
