import type { Backend, BackendJob, RunOutcome } from '../backends/backend.js';
import type { ExecRequest } from '../backends/exec-request.js';
import type { Platform } from '../backends/platform.js';
import { chooseBackend, dockerOnly, platformBackends, type BackendName, type NativeBackend } from '../backends/registry.js';
import type { Policy } from '../policy/types.js';
import { runsInWebAssembly } from '../shell/command-names.js';
import { findTool, isShellCommand } from '../tools/catalog.js';

/**
 * Which backend runs REQUEST under the policy's `backend`. With `auto`, a
 * shell (`sh`, `bash`) runs in WebAssembly when every command of its line
 * is a builtin, a function it defines or a catalog tool, and on NATIVE
 * (the platform's backend for native programs) otherwise (see
 * `runsInWebAssembly`); any other program as {@link chooseBackend} says.
 */
export function backendNameFor(
  policy: Policy,
  request: Pick<ExecRequest, 'program' | 'args'>,
  native: () => NativeBackend = dockerOnly,
): BackendName {
  const { program } = request;
  if (policy.backend === 'auto' && typeof program === 'string' && isShellCommand(program)) {
    return runsInWebAssembly(request.args ?? [], (name) => findTool(name) !== undefined) ? 'wasm' : native();
  }
  return chooseBackend(policy.backend, program, native);
}

/**
 * The backends runs go to on a platform: the one {@link backendNameFor}
 * names, and goodbot's shell for `sh` and `bash` on WebAssembly (in a
 * container they are the image's own shell).
 */
export class RunBackends {
  private readonly backends: Readonly<Record<BackendName, Backend>>;
  private readonly shell: Backend;

  constructor(private readonly platform: Platform) {
    this.backends = platformBackends(platform);
    this.shell = new LoadedOnFirstRun(() => import('../shell/shell-backend.js').then(({ ShellBackend }) => new ShellBackend(platform)));
  }

  for(policy: Policy, request: Pick<ExecRequest, 'program' | 'args'>): Backend {
    const name = backendNameFor(policy, request, () => this.platform.nativeBackend?.() ?? 'docker');
    return name === 'wasm' && typeof request.program === 'string' && isShellCommand(request.program) ? this.shell : this.backends[name];
  }
}

/**
 * A backend whose code loads on its first run (goodbot's shell: its
 * interpreter is a fifth of the code a command line loads, and a run of
 * anything else never needs it).
 */
class LoadedOnFirstRun implements Backend {
  readonly name = 'wasm';
  private backend: Promise<Backend> | undefined;

  constructor(private readonly load: () => Promise<Backend>) {}

  async run(job: BackendJob): Promise<RunOutcome> {
    this.backend ??= this.load();
    return (await this.backend).run(job);
  }
}
