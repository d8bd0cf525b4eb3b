import { spawnSync } from 'node:child_process';
import type Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine, engineStatus, PID_LABEL, RUN_LABEL } from '../../../src/node/docker/engine.js';
import { ensureToolsImage } from '../../../src/node/docker/image.js';
import { findOrphanContainers } from '../../../src/node/docker/orphans.js';
import { isProcessAlive } from '../../../src/node/host/process-alive.js';
import { goodbot } from '../../helpers/cli.js';
import { containerExists } from '../../helpers/docker.js';
import { repoRoot } from '../../helpers/guests.js';
import { namespaceTools } from '../../../src/node/namespace/namespace-tools.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `goodbot doctor` against the real engine, as a user runs it. */
const engine = dockerEngine();
let image: string;
const created: Docker.Container[] = [];

beforeAll(async () => {
  image = await ensureToolsImage({ onProgress: (line) => console.error(line) });
}, 20 * 60_000);

afterEach(async () => {
  for (const container of created.splice(0)) await container.remove({ force: true }).catch(() => {});
});

/** A container labelled as goodbot's, for run RUN of host process PID. */
async function goodbotContainer(run: string, pid: number): Promise<Docker.Container> {
  const container = await engine.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { [RUN_LABEL]: run, [PID_LABEL]: String(pid) },
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none' },
  });
  created.push(container);
  return container;
}

/** The pid of a process that has ended (and, checked, is not reused yet). */
function deadPid(): number {
  const pid = spawnSync('true').pid;
  expect(isProcessAlive(pid)).toBe(false);
  return pid;
}

describe('goodbot doctor', () => {
  it('reports the engine, its version and the tools image, and exits 0', async () => {
    const status = await engineStatus();
    const { status: exit, stdout } = goodbot(repoRoot, ['doctor']);
    expect(stdout).toContain(`reachable on ${status.socket} (Docker ${status.version}, API ${status.apiVersion}, cgroup v`);
    expect(stdout).toMatch(new RegExp(`^tools image: ${image} present \\(\\d+\\.\\d MiB\\)$`, 'm'));
    expect(exit).toBe(0);
  });

  it('removes a container whose goodbot process is gone, and keeps one whose process lives', async () => {
    const orphan = await goodbotContainer('x', deadPid());
    const owned = await goodbotContainer('y', process.pid);
    const { status, stdout } = goodbot(repoRoot, ['doctor']);
    expect(stdout).toMatch(new RegExp(`^orphans: +removed ${orphan.id.slice(0, 12)} of run x \\(created\\): its process \\d+ is gone$`, 'm'));
    expect(stdout).not.toContain(owned.id.slice(0, 12));
    expect(status).toBe(0);
    expect(await containerExists(orphan.id)).toBe(false);
    expect(await containerExists(owned.id)).toBe(true);
  });

  it('removes the network and host firewall rules of a run with grants whose process is gone', async () => {
    const pid = deadPid();
    const network = await engine.createNetwork({
      Name: 'goodbot-orphan-test',
      Internal: true,
      Labels: { [RUN_LABEL]: 'net-orphan', [PID_LABEL]: String(pid) },
    });
    const rule = ['INPUT', '-i', 'gb-orphantest', '-m', 'comment', '--comment', `${RUN_LABEL}=net-orphan ${PID_LABEL}=${pid}`, '-j', 'DROP'];
    expect(spawnSync('iptables', ['-w', '-I', ...rule]).status).toBe(0);
    try {
      const { status, stdout } = goodbot(repoRoot, ['doctor']);
      expect(stdout).toMatch(/^orphans: +removed network goodbot-orphan-test of run net-orphan: its process \d+ is gone$/m);
      expect(stdout).toMatch(/^orphans: +removed the host firewall rules of run net-orphan: its process is gone$/m);
      expect(status).toBe(0);
      expect(spawnSync('iptables', ['-w', '-S', 'INPUT'], { encoding: 'utf8' }).stdout).not.toContain('net-orphan');
      expect(await engine.listNetworks({ filters: { label: [`${RUN_LABEL}=net-orphan`] } })).toEqual([]);
    } finally {
      await network.remove().catch(() => {});
      spawnSync('iptables', ['-w', '-D', ...rule]);
    }
  });

  it('counts an exited container of a live process as orphaned once its grace period is over', async () => {
    const exited = await goodbotContainer('z', process.pid);
    await exited.start();
    await exited.wait();
    const ids = async (exitedGraceMs?: number) => (await findOrphanContainers(engine, { exitedGraceMs })).map((orphan) => orphan.id);
    expect(await ids()).not.toContain(exited.id);
    expect(await ids(0)).toContain(exited.id);
  });

  it('exits 125 and says how to start an engine when none answers', () => {
    const { status, stdout, stderr } = goodbot(repoRoot, ['doctor'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(status).toBe(125);
    // The namespace backend needs no engine: its line comes first, whatever the engine does.
    expect(stdout).toMatch(/^namespace: +works \(/);
    expect(stdout).not.toContain('engine:');
    expect(stderr).toContain('no Docker engine answers on /nonexistent.sock');
    expect(stderr).toContain('starts dockerd');
  });

  it('says the namespace backend works, with its verified root filesystem and how it caps resources', () => {
    const { status, stdout } = goodbot(repoRoot, ['doctor']);
    expect(status).toBe(0);
    expect(stdout).toMatch(
      /^namespace: +works \(\/\S*bwrap, root filesystem goodbot\/tools:[0-9a-f]{16} verified; memory and processes capped by (a cgroup v[12] per run|rlimits)/m,
    );
  });

  it('says why the namespace backend does not work when its root filesystem was changed, and how to mend it', () => {
    const rootfs = namespaceTools().rootfs;
    const planted = join(rootfs.root, 'etc', 'planted-by-test');
    writeFileSync(planted, 'x');
    try {
      const { stdout } = goodbot(repoRoot, ['doctor']);
      expect(stdout).toContain(`namespace:   does not work: the namespace backend's root filesystem ${rootfs.root} changed since it was unpacked`);
      expect(stdout).toContain('goodbot namespace build-rootfs --force');
    } finally {
      rmSync(planted);
    }
  });

  it('explains itself with --help and refuses arguments', () => {
    const help = goodbot(repoRoot, ['doctor', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: goodbot doctor$/m);
    expect(goodbot(repoRoot, ['doctor', 'now']).status).toBe(125);
  });
});
