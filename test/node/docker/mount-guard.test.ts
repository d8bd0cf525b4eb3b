import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedPart, ContainerMounts } from '../../../src/node/docker/mount-guard.js';
import { GoodbotError } from '../../../src/errors.js';
import type { DockerSettings, ZoneSpec } from '../../../src/policy/types.js';
import { makeTree, removeTree, tempDir } from '../../helpers/guests.js';

/** Host paths are resolved and checked before a container may mount them. */

let base: string;
let settings: DockerSettings;
const socket = '/var/run/docker.sock';
const zone = (name: string, hostPath: string, access: 'ro' | 'rw' = 'ro'): ZoneSpec => ({
  name,
  kind: 'host',
  access,
  guestPath: `/${name}`,
  hostPath,
});
/** The mounts for ZONES as the engine is given them (the held sources let go at once). */
const bindMounts = (zones: ZoneSpec[]) => {
  const mounts = ContainerMounts.open(zones, settings, socket);
  mounts.close();
  return mounts.binds.map(({ source, target, readOnly }) => ({ source, target, readOnly }));
};
const refusal = (zones: ZoneSpec[]) => {
  try {
    bindMounts(zones);
  } catch (error) {
    expect(error).toBeInstanceOf(GoodbotError);
    return error as GoodbotError;
  }
  throw new Error('the mount was not refused');
};

beforeAll(() => {
  base = tempDir('goodbot-mounts-');
  makeTree(base, {
    'root/data/file.txt': 'data',
    'root/home/.ssh/id_ed25519': 'KEY',
    'root/project/.git/hooks/pre-commit': '#!/bin/sh',
    'root/project/src/main.c': 'int main;',
    'root/.aws/credentials': 'SECRET',
    'outside/secret.txt': 'SECRET',
  });
  symlinkSync(join(base, 'outside'), join(base, 'root', 'link-out'));
  symlinkSync(join(base, 'root', 'home', '.ssh'), join(base, 'root', 'innocent'));
  mkdirSync(join(base, 'root', 'project', 'env'));
  settings = { mountRoots: [join(base, 'root')], cpus: 1, pids: 64, memoryBytes: 64 << 20 };
});
afterAll(() => removeTree(base));

describe('container mounts', () => {
  it('mount a folder under a mount root, resolved, read-only as the zone says', () => {
    expect(bindMounts([zone('data', join(base, 'root', 'data'))])).toEqual([{ source: join(base, 'root', 'data'), target: '/data', readOnly: true }]);
  });

  it('attack: a symlink inside a mount root that points outside it is resolved and refused', () => {
    const error = refusal([zone('out', join(base, 'root', 'link-out'))]);
    expect(error.message).toContain(join(base, 'outside'));
    expect(error.field).toBe('sandbox.docker.mountRoots');
  });

  it('attack: a folder outside every mount root is refused', () => {
    expect(refusal([zone('out', join(base, 'outside'))]).field).toBe('sandbox.docker.mountRoots');
  });

  it('attack: an innocently named symlink to ~/.ssh is refused for what it resolves to', () => {
    expect(refusal([zone('keys', join(base, 'root', 'innocent'))]).message).toContain('.ssh');
  });

  it('attack: a folder that holds credentials at its top (.ssh, .aws) is refused', () => {
    expect(refusal([zone('home', join(base, 'root', 'home'))]).message).toContain('.ssh');
    expect(refusal([zone('root', join(base, 'root'))]).message).toContain('.aws');
  });

  it('attack: .git/hooks itself cannot be a zone; a read-write project gets its whole .git read-only', () => {
    expect(refusal([zone('hooks', join(base, 'root', 'project', '.git', 'hooks'), 'rw')]).message).toContain('.git/hooks');
    expect(bindMounts([zone('project', join(base, 'root', 'project'), 'rw')])).toEqual([
      { source: join(base, 'root', 'project'), target: '/project', readOnly: false },
      { source: join(base, 'root', 'project', '.git'), target: '/project/.git', readOnly: true },
    ]);
  });

  it("attack: the engine's socket (Docker's, podman's, the policy's) and the folders holding it are blocked", () => {
    expect(blockedPart('/var/run/docker.sock', socket)).toBeDefined();
    expect(blockedPart('/run/user/1000/podman/podman.sock', socket)).toBe('podman.sock');
    expect(blockedPart('/srv/engines/my-engine.sock', '/srv/engines/my-engine.sock')).toBeDefined();
    expect(blockedPart('/srv/engines', '/srv/engines/my-engine.sock')).toBeDefined();
    expect(blockedPart('/var/run', socket)).toBeDefined();
    expect(blockedPart('/', socket)).toBeDefined();
    expect(blockedPart('/srv/data', socket)).toBeUndefined();
    expect(blockedPart('/home/me/.gnupg/x', socket)).toBe('.gnupg');
  });

  it('a missing host folder is a zone error naming it', () => {
    const error = refusal([zone('gone', join(base, 'root', 'missing'))]);
    expect(error.kind).toBe('zone');
    expect(error.path).toBe(join(base, 'root', 'missing'));
  });
});
