import type { Backend } from '../backends/backend.js';
import type { Platform } from '../backends/platform.js';
import { chooseBackend, platformBackends, type BackendName } from '../backends/registry.js';
import type { Policy } from '../policy/types.js';
import { ShellBackend } from '../shell/shell-backend.js';
import { isShellCommand } from '../tools/catalog.js';

/**
 * The backends runs go to on a platform: the policy's (or, for `auto`, the
 * program's) backend, and goodbot's shell for `sh` and `bash` on
 * WebAssembly (in a container they are the image's own shell).
 */
export class RunBackends {
  private readonly backends: Readonly<Record<BackendName, Backend>>;
  private readonly shell: Backend;

  constructor(platform: Platform) {
    this.backends = platformBackends(platform);
    this.shell = new ShellBackend(platform);
  }

  for(policy: Policy, program: string | Uint8Array): Backend {
    const name = chooseBackend(policy.backend, program);
    return name === 'wasm' && typeof program === 'string' && isShellCommand(program) ? this.shell : this.backends[name];
  }
}
