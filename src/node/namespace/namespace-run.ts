import type { ContainerJob, ContainerOutcome } from '../../backends/container.js';
import { formatMiB } from '../../policy/units.js';
import type { Policy } from '../../policy/types.js';
import { PreparedSandbox, type SandboxShape } from './prepared-sandbox.js';
import { startRelayProxy, type RelayProxy } from './relay-proxy.js';
import { certificateLifetime } from '../docker/run-certificates.js';
import type { ResourceControl } from './run-cgroup.js';
import { WarmSandboxes } from './warm-sandboxes.js';

/** A namespace run's outcome: a container's, how its memory and processes were capped, and whether its sandbox was made ahead. */
export interface NamespaceOutcome extends ContainerOutcome {
  readonly resourceControl: ResourceControl;
  readonly prestarted: boolean;
}

let made = 0;

/** Sandboxes made ahead, shared by every sandbox of this process. */
export const warmSandboxes = new WarmSandboxes<SandboxShape, PreparedSandbox>((shape) => PreparedSandbox.start(shape, `prestart${made++}`));

/**
 * Runs JOB in new Linux namespaces through bubblewrap, under the policy:
 * the tools image's userland read-only, host zones as bind mounts of the
 * folders goodbot checked and held open (handed over as descriptors, so no
 * path can be swapped in between), in-memory zones as sized tmpfs, the
 * environment and stdin passed through descriptors, a seccomp filter, and
 * caps on memory and processes (a cgroup where this machine allows, else
 * rlimits); see {@link PreparedSandbox}.
 *
 * With PRESTART, a run without network grants takes a sandbox made ahead
 * for its policy when one waits and still fits, and leaves one made for the
 * next run of the same policy: its start-up is then off the run's path.
 */
export async function runNamespace(job: ContainerJob, toolDirs: readonly string[] = [], prestart = false): Promise<NamespaceOutcome> {
  const { policy } = job;
  const key = prestart && job.network === undefined ? shapeKey(policy, toolDirs) : undefined;
  const shape: SandboxShape = { policy, toolDirs };
  let sandbox = key === undefined ? undefined : warmSandboxes.take(key, shape);
  const prestarted = sandbox !== undefined;
  let relay: RelayProxy | undefined;
  try {
    if (job.network !== undefined) relay = await startRelayProxy(job.network, certificateLifetime(policy));
    sandbox ??= PreparedSandbox.start({ ...shape, ...(relay !== undefined && { relay }) }, job.runId);
    const exitCode = await sandbox.run(job, relay?.environment);
    if (sandbox.oomKilled()) {
      const memoryBytes = policy.limits.memoryBytes ?? policy.docker.memoryBytes;
      job.limiter.trip('memory-limit', `the sandbox ran out of memory at its ${formatMiB(memoryBytes)} limit`);
    }
    return { exitCode, image: sandbox.image, resourceControl: sandbox.resourceControl, prestarted };
  } finally {
    if (sandbox !== undefined) ending(sandbox.dispose());
    await relay?.close();
    if (key !== undefined) warmSandboxes.refill(key, shape);
  }
}

/** Sandboxes being ended after their run (bwrap's exit, then the cgroup's removal), off the run's path. */
const disposals = new Set<Promise<void>>();

function ending(disposal: Promise<void>): void {
  disposals.add(disposal);
  void disposal.finally(() => disposals.delete(disposal));
}

/** Ends every sandbox made ahead, and waits until those of past runs are gone (their cgroups removed). */
export async function endNamespaceSandboxes(): Promise<void> {
  await warmSandboxes.clear();
  await Promise.all([...disposals]);
}

/** What a sandbox made ahead depends on: two runs with the same key can use the same kind of sandbox. */
function shapeKey(policy: Policy, toolDirs: readonly string[]): string {
  const { zones, docker } = policy;
  return JSON.stringify({ zones, docker, memoryBytes: policy.limits.memoryBytes, files: policy.limits.files, toolDirs });
}
