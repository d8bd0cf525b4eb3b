import { reportingAuthority, type Backend, type BackendJob, type RunOutcome } from '../backends/backend.js';
import type { Platform } from '../backends/platform.js';
import { requireTool, startWasmRun } from '../backends/wasm/wasm-run.js';
import { LimitInterrupt } from '../limits/limit-interrupt.js';
import { LimitExceeded } from '../limits/run-limiter.js';
import { CatalogLauncher } from './catalog-launcher.js';
import { runShell } from './shell.js';

/**
 * `sh` and `bash` on WebAssembly: goodbot's shell runs the command line,
 * and each program it names runs as a catalog tool in the same run, under
 * the same policy, zones, audit and limits (one budget of fuel, time and
 * output for the whole line); {@link CatalogLauncher} says where each
 * program runs.
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
    const carried = request.session;
    let shellState = carried?.shell;
    const program = { name, kind: 'shell' } as const;
    let outcome: RunOutcome | undefined;
    try {
      const launcher = new CatalogLauncher(this.platform, policy, authority, run, threads, argv0);
      const status = await runShell({
        name: argv0,
        args,
        env,
        cwd,
        preopens: run.preopens(),
        ...stdio,
        launcher,
        wait: run.limiter,
        ...(carried !== undefined && { session: { resume: carried.shell, keep: (state: string) => (shellState = state) } }),
      });
      outcome = run.outcome({ kind: 'exit', code: status }, program);
    } catch (error) {
      // A limit reached in a host call (a wait, the shell's own checks) or by the shell's own output.
      const limit = error instanceof LimitInterrupt ? error.limit : error instanceof LimitExceeded ? error : undefined;
      if (limit === undefined) throw error;
      outcome = run.outcome({ kind: 'limit', limit }, program);
    } finally {
      await threads?.stopAll();
      // After every program has ended: what the session's scratch zones hold now.
      if (outcome !== undefined && carried !== undefined) {
        outcome = { ...outcome, session: { ...(shellState !== undefined && { shell: shellState }), zones: run.changedZones() } };
      }
      run.close();
    }
    return outcome;
  }
}
