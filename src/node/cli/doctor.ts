import { engineStatus, dockerEngine } from '../docker/engine.js';
import { engineProfile, refuseUnfitEngine } from '../docker/engine-profile.js';
import { toolsImageRef } from '../docker/image-ref.js';
import { removeOrphanFirewallRules } from '../docker/host-firewall.js';
import { removeOrphanContainers, removeOrphanNetworks } from '../docker/orphans.js';
import { GoodbotError } from '../../errors.js';
import { reportFailure } from './command-failure.js';
import { namespaceAvailability } from '../namespace/availability.js';
import { namespaceTools } from '../namespace/namespace-tools.js';
import { cgroupSite, removeOrphanCgroups } from '../namespace/run-cgroup.js';
import { verifyToolsRootfs } from '../namespace/tools-rootfs.js';

export const doctorHelp = `usage: goodbot doctor

Checks which native backends work here, and cleans up after them:
  namespace    whether the namespace backend works: bubblewrap, goodbot's
               helpers, user namespaces, and the root filesystem (checked
               against the digest recorded when it was unpacked); how it caps
               memory and processes (a cgroup v2 or v1, else rlimits)
  engine       whether a Docker engine answers on its socket ($DOCKER_HOST, or
               /var/run/docker.sock), and its version
  runtimes     the engine's OCI runtimes (runsc: gVisor, for
               sandbox.docker.runtime)
  tools image  whether the engine has the current tools image
               (build it: goodbot docker build-image)
  orphans      removes goodbot's containers whose goodbot process is gone, and
               those that have exited

Exit status: 0 when the engine answers, 125 when it does not (with how to
start one); the namespace lines say whether that backend works either way.`;

/** `goodbot doctor`: returns the process exit status. */
export async function doctorCommand(args: string[]): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    console.log(doctorHelp);
    return 0;
  }
  try {
    if (args.length > 0) throw new GoodbotError('usage', `goodbot doctor takes no arguments (got ${args[0]})`, { hint: 'see goodbot doctor --help' });
    checkNamespace();
    await checkEngine();
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

function checkNamespace(): void {
  const availability = namespaceAvailability();
  if (!availability.works) {
    report('namespace', `does not work: ${availability.reason}${availability.hint === undefined ? '' : ` (${availability.hint})`}`);
    return;
  }
  const tools = namespaceTools();
  try {
    verifyToolsRootfs(tools.rootfs);
  } catch (error) {
    report('namespace', `does not work: ${(error as GoodbotError).message} (${(error as GoodbotError).hint})`);
    return;
  }
  const site = cgroupSite();
  const control = site === undefined ? 'rlimits (no cgroup goodbot may make here)' : `a cgroup v${site.version} per run`;
  report('namespace', `works (${tools.bwrap}, root filesystem ${tools.rootfs.ref} verified; memory and processes capped by ${control})`);
  for (const dir of removeOrphanCgroups()) report('orphans', `removed the cgroup ${dir}: its run's process is gone`);
}

async function checkEngine(): Promise<void> {
  const engine = dockerEngine();
  const status = await engineStatus(engine);
  const profile = await engineProfile(engine, status.socket);
  const product = `${profile.product === 'podman' ? 'podman' : 'Docker'} ${profile.version}${profile.rootless ? ', rootless' : ''}`;
  report('engine', `reachable on ${status.socket} (${product}, API ${status.apiVersion}, cgroup v${profile.cgroupVersion ?? '?'})`);
  try {
    refuseUnfitEngine(profile, status.socket, false);
  } catch (error) {
    report('engine', `refused for runs: ${(error as GoodbotError).message} (${(error as GoodbotError).hint})`);
  }

  const runtimes = Object.keys(((await engine.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {}).sort();
  report(
    'runtimes',
    `${runtimes.join(', ')}${runtimes.includes('runsc') ? '' : ' (no runsc: sandbox.docker.runtime runsc needs gVisor registered; npm run setup does it)'}`,
  );

  const ref = toolsImageRef();
  const image = await engine
    .getImage(ref)
    .inspect()
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode === 404) return undefined;
      throw error;
    });
  report('tools image', image ? `${ref} present (${mebibytes(image.Size)})` : `${ref} missing (build it: goodbot docker build-image)`);

  const removed = await removeOrphanContainers(engine);
  const networks = await removeOrphanNetworks(engine);
  const rules = await removeOrphanFirewallRules();
  if (removed.length === 0 && networks.length === 0 && rules.length === 0) report('orphans', 'none');
  for (const orphan of removed) {
    report('orphans', `removed ${orphan.id.slice(0, 12)} of run ${orphan.runId} (${orphan.state}): ${orphan.reason}`);
  }
  for (const orphan of networks) {
    report('orphans', `removed network ${orphan.name} of run ${orphan.runId}: its process ${orphan.pid} is gone`);
  }
  for (const runId of rules) report('orphans', `removed the host firewall rules of run ${runId}: its process is gone`);
}

function report(what: string, text: string): void {
  console.log(`${`${what}:`.padEnd(13)}${text}`);
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
