import { spawnSync } from 'node:child_process';
import { GoodbotError } from '../../errors.js';
import { namespaceTools } from './namespace-tools.js';

/** Whether the namespace backend can run here, and why not. */
export type NamespaceAvailability = { readonly works: true } | { readonly works: false; readonly reason: string; readonly hint?: string };

let known: NamespaceAvailability | undefined;

/**
 * Whether the namespace backend works on this machine: bubblewrap, goodbot's
 * helpers and the root filesystem are there, and bubblewrap can make the
 * namespaces (a kernel or a container may forbid user namespaces). Probed
 * once per process (a few milliseconds).
 */
export function namespaceAvailability(): NamespaceAvailability {
  if (known !== undefined) return known;
  try {
    const tools = namespaceTools();
    const probe = spawnSync(tools.bwrap, ['--unshare-all', '--ro-bind', '/', '/', '--', '/bin/true'], { encoding: 'utf8', timeout: 10_000 });
    known =
      probe.status === 0
        ? { works: true }
        : {
            works: false,
            reason: `bubblewrap cannot make namespaces here: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}`,
            hint: 'allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the container runtime must permit them)',
          };
  } catch (error) {
    known =
      error instanceof GoodbotError
        ? { works: false, reason: error.message, ...(error.hint !== undefined && { hint: error.hint }) }
        : { works: false, reason: String(error) };
  }
  return known;
}

/** The backend `auto` gives native programs: namespace where it works, else docker. */
export function nativeBackend(): 'namespace' | 'docker' {
  return namespaceAvailability().works ? 'namespace' : 'docker';
}
