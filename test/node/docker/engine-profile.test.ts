import { describe, expect, it } from 'vitest';
import { engineProfile, engineProfileOf, refuseUnfitEngine, type EngineAnswers } from '../../../src/node/docker/engine-profile.js';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import { engineSocket } from '../../../src/node/docker/engine-socket.js';

/**
 * What goodbot learns of an engine, from the parts of its answers it reads
 * (as Docker 20.10 and podman 4.3.1, rootful and rootless, answered on this
 * machine's cgroup v1), and which engines it refuses.
 */
const docker: EngineAnswers = {
  version: { Version: '20.10.24+dfsg1', Components: [{ Name: 'Engine', Version: '20.10.24+dfsg1' }] },
  info: { SecurityOptions: ['name=seccomp,profile=default'], CgroupVersion: '1' },
};
const podmanVersion = { Version: '4.3.1', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] };
// podman's Docker-compatible /info says nothing of rootless: only its own /libpod/info does.
const podmanInfo = { SecurityOptions: ['name=seccomp,profile=default'], CgroupVersion: '1' };
const podman = (rootless: boolean, cgroupVersion = 'v1'): EngineAnswers => ({
  version: podmanVersion,
  info: podmanInfo,
  libpodInfo: { host: { security: { rootless }, cgroupVersion } },
});

describe("an engine's profile", () => {
  it('tells Docker from podman, rootless from rootful, and the cgroup version', () => {
    expect(engineProfileOf(docker)).toEqual({ product: 'docker', version: '20.10.24+dfsg1', rootless: false, cgroupVersion: 1 });
    expect(engineProfileOf(podman(false))).toEqual({ product: 'podman', version: '4.3.1', rootless: false, cgroupVersion: 1 });
    expect(engineProfileOf(podman(true, 'v2'))).toEqual({ product: 'podman', version: '4.3.1', rootless: true, cgroupVersion: 2 });
    const rootlessDocker = { ...docker, info: { SecurityOptions: ['name=seccomp,profile=default', 'name=rootless'], CgroupVersion: '2' } };
    expect(engineProfileOf(rootlessDocker)).toMatchObject({ product: 'docker', rootless: true, cgroupVersion: 2 });
  });

  it("is asked of this machine's engine once, and says what it is", async () => {
    const socket = engineSocket();
    const profile = await engineProfile(dockerEngine(socket), socket);
    expect(profile).toMatchObject({ product: 'docker', rootless: false });
    expect(await engineProfile(dockerEngine(socket), socket)).toBe(profile);
  });
});

describe('engines goodbot refuses', () => {
  const refusal = (answers: EngineAnswers, network = false) => {
    try {
      refuseUnfitEngine(engineProfileOf(answers), '/run/user/1000/podman/podman.sock', network);
      return undefined;
    } catch (error) {
      return error as { kind: string; message: string; field?: string };
    }
  };

  it('takes rootful engines, with or without network grants', () => {
    expect(refusal(docker, true)).toBeUndefined();
    expect(refusal(podman(false), true)).toBeUndefined();
  });

  it('attack: a rootless engine on cgroup v1, which would run the container with no memory or process cap (podman only warns)', () => {
    expect(refusal(podman(true, 'v1'))).toMatchObject({
      kind: 'engine',
      field: 'sandbox.docker.engine',
      message: expect.stringContaining('cgroup v1'),
    });
  });

  it('rootless Docker, whose container users own nothing in the zones', () => {
    const rootlessDocker = { ...docker, info: { SecurityOptions: ['name=rootless'], CgroupVersion: '2' } };
    expect(refusal(rootlessDocker)).toMatchObject({ kind: 'engine', message: expect.stringContaining('rootless Docker') });
  });

  it("network grants on a rootless engine, whose networks goodbot's egress proxy cannot reach", () => {
    expect(refusal(podman(true, 'v2'))).toBeUndefined();
    expect(refusal(podman(true, 'v2'), true)).toMatchObject({ kind: 'engine', message: expect.stringContaining('egress proxy') });
  });
});
