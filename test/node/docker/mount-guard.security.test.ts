import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { containerOptions } from '../../../src/node/docker/container-config.js';
import { NOBODY } from '../../../src/node/docker/container-user.js';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import { toolsImageRef } from '../../../src/node/docker/image-ref.js';
import { ContainerMounts } from '../../../src/node/docker/mount-guard.js';
import { RunFiles } from '../../../src/node/docker/run-files.js';
import { GoodbotError } from '../../../src/errors.js';
import { createSandbox, type RunResult, type SandboxConfig, type ZoneConfig } from '../../../src/node/index.js';
import type { DockerSettings, ZoneSpec } from '../../../src/policy/types.js';
import { startFlipper } from '../../helpers/flipper.js';
import { makeTree, removeTree, tempDir } from '../../helpers/guests.js';

/**
 * Host paths goodbot derives from what a guest can change (a read-write
 * zone's `.git`, a zone folder inside another run's read-write zone) never
 * become mounts of anything else, against the real engine: a symlink a guest
 * left is never followed out, and a swap between goodbot's check and the
 * engine's mount is caught before the command runs.
 */

let base: string;
let project: string;
const secret = 'SECRET-OUTSIDE-THE-ZONE';

const projectZone = (extra: Partial<ZoneConfig> = {}): ZoneConfig => ({ name: 'project', mode: 'rw', hostPath: project, ...extra });
const config = (zone: ZoneConfig = projectZone()): SandboxConfig => ({
  backend: 'docker',
  zones: [zone],
  docker: { mountRoots: [join(base, 'root')] },
});
const sh = (script: string, zone?: ZoneConfig): Promise<RunResult> =>
  createSandbox(config(zone)).exec({ program: 'sh', args: ['-c', script] }).result;
/** Every file of the outside folder the container could be shown, printed if it can be read. */
const readOutside = 'cat /project/.git/secret.txt /project/.git/hooks/secret.txt /project/secret.txt 2>&1; ls -la /project /project/.git 2>&1';

beforeAll(() => {
  base = tempDir('goodbot-derived-mounts-');
  chmodSync(base, 0o755);
});
afterAll(() => removeTree(base));

beforeEach(() => {
  rmSync(join(base, 'root'), { recursive: true, force: true });
  rmSync(join(base, 'outside'), { recursive: true, force: true });
  project = join(base, 'root', 'project');
  makeTree(base, {
    'root/project/.git/config': '[core]\n\tbare = false\n',
    'root/project/.git/hooks/pre-commit.sample': '#!/bin/sh\n',
    'root/project/main.c': 'int main;\n',
    'outside/secret.txt': secret,
    'outside/hooks/secret.txt': secret,
  });
  chmodSync(join(base, 'root'), 0o755);
  chmodSync(project, 0o777); // the container's user (nobody, as goodbot runs as root here) writes it
});

describe('a read-write zone whose .git a guest changed', () => {
  it('attack: a .git/hooks symlink a guest left, climbing out of the zone, never becomes a host mount', async () => {
    rmSync(join(project, '.git', 'hooks'), { recursive: true });
    symlinkSync('../../../outside/hooks', join(project, '.git', 'hooks'));
    const result = await sh(readOutside);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).toMatch(/hooks -> \.\.\/\.\.\/\.\.\/outside\/hooks/);
  });

  it('attack: a .git that is itself a symlink out of the zone gets no mount of its own', async () => {
    rmSync(join(project, '.git'), { recursive: true });
    symlinkSync('../../outside', join(project, '.git'));
    const result = await sh(readOutside);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).toMatch(/\.git -> \.\.\/\.\.\/outside/);
  });

  it("attack: a guest sets core.fsmonitor or plants a hook in a read-write zone's .git (the owner's next git would run it)", async () => {
    const before = readFileSync(join(project, '.git', 'config'), 'utf8');
    const config = await sh('printf "[core]\\n\\tfsmonitor = touch /tmp/pwned\\n" >> /project/.git/config');
    const hook = await sh('printf "#!/bin/sh\\ntouch /tmp/pwned\\n" > /project/.git/hooks/pre-commit');
    const swap = await sh('mv /project/.git /project/old-git && mkdir /project/.git');
    expect([config.exitCode, hook.exitCode, swap.exitCode]).not.toContain(0);
    expect(config.stderr + hook.stderr + swap.stderr).toMatch(/Read-only file system|Device or resource busy/);
    expect(readFileSync(join(project, '.git', 'config'), 'utf8')).toBe(before);
    expect(existsSync(join(project, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(existsSync(join(project, 'old-git'))).toBe(false);
  });

  it("keeps a worktree's .git file (its pointer to the repository) read-only too", async () => {
    rmSync(join(project, '.git'), { recursive: true });
    writeFileSync(join(project, '.git'), 'gitdir: /elsewhere/.git/worktrees/project\n');
    const result = await sh('echo "gitdir: /project/evil" > /project/.git');
    expect(result.exitCode).not.toBe(0);
    expect(readFileSync(join(project, '.git'), 'utf8')).toBe('gitdir: /elsewhere/.git/worktrees/project\n');
  });

  it('a zone with git: writable lets the guest change its .git, and the rest of the zone stays writable either way', async () => {
    chmodSync(join(project, '.git'), 0o777);
    chmodSync(join(project, '.git', 'config'), 0o666);
    const result = await sh('echo "# guest" >> /project/.git/config && echo made > /project/made.txt', projectZone({ git: 'writable' }));
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(project, '.git', 'config'), 'utf8')).toContain('# guest');
    expect(readFileSync(join(project, 'made.txt'), 'utf8')).toBe('made\n');
  });
});

describe('a path swapped for a symlink between the check and the mount', () => {
  const settings = (): DockerSettings => ({ mountRoots: [join(base, 'root')], cpus: 1, pids: 64, memoryBytes: 64 << 20 });
  const spec = (gitWritable: boolean): ZoneSpec => ({
    name: 'project',
    kind: 'host',
    access: 'rw',
    guestPath: '/project',
    hostPath: project,
    gitWritable,
  });

  /** Checks the mounts, lets SWAP change the host, then starts a container on them as a run does; returns what verify said and what the command printed. */
  async function mountAfterSwap(swap: () => void, gitWritable = false): Promise<{ refusal: unknown; output: string; exitCode: number }> {
    const engine = dockerEngine();
    const mounts = ContainerMounts.open([spec(gitWritable)], settings(), '/var/run/docker.sock');
    swap();
    const files = new RunFiles({}, new Uint8Array(), NOBODY);
    const container = await engine.createContainer(
      containerOptions({
        image: toolsImageRef(),
        runId: 'swap-test',
        hostPid: process.pid,
        argv: ['sh', '-c', readOutside],
        cwd: '/',
        user: NOBODY,
        binds: mounts.binds,
        memoryZones: [],
        runFilesDir: files.dir,
        files: 1024,
        memoryBytes: 64 << 20,
        cpus: 1,
        pids: 64,
      }),
    );
    let refusal: unknown;
    try {
      const attached = await container.attach({ stream: true, stdout: true, stderr: true });
      const chunks: Buffer[] = [];
      const output = new PassThrough().on('data', (chunk: Buffer) => chunks.push(chunk));
      const drained = new Promise<void>((resolve) => attached.on('end', resolve).on('close', resolve));
      container.modem.demuxStream(attached, output, output);
      await container.start();
      try {
        mounts.verify((await container.inspect()).State.Pid);
        files.release();
      } catch (error) {
        refusal = error;
      }
      mounts.close();
      if (refusal !== undefined) await container.kill(); // as a run does: the command, still at the gate, never starts
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await drained;
      return { refusal, output: Buffer.concat(chunks).toString('latin1'), exitCode: StatusCode };
    } finally {
      await container.remove({ force: true });
      files.remove();
    }
  }

  it('attack: .git swapped for a symlink to an outside folder after the check is caught, and the command never runs', async () => {
    const { refusal, output, exitCode } = await mountAfterSwap(() => {
      renameSync(join(project, '.git'), join(project, 'git-real'));
      symlinkSync('../../outside', join(project, '.git'));
    });
    expect(refusal).toBeInstanceOf(GoodbotError);
    expect((refusal as GoodbotError).message).toContain('changed while it was being mounted');
    expect(output).not.toContain(secret);
    expect(output).not.toContain('main.c'); // the command printed nothing: it never ran
    expect(exitCode).not.toBe(0);
  });

  it('attack: the zone folder itself swapped for a symlink out of the mount roots after the check is caught', async () => {
    const { refusal, output } = await mountAfterSwap(() => {
      renameSync(project, join(base, 'root', 'project-real'));
      symlinkSync('../outside', project);
    }, true);
    expect((refusal as GoodbotError).kind).toBe('zone');
    expect(output).not.toContain(secret);
  });

  it('with nothing swapped, the command runs on the folders checked', async () => {
    const { refusal, output, exitCode } = await mountAfterSwap(() => {});
    expect(refusal).toBeUndefined();
    expect(exitCode).toBe(0);
    expect(output).toContain('main.c');
    expect(output).toContain('No such file'); // cat found no secret.txt
    expect(output).not.toContain(secret);
  });
});

describe('racing a swapper that flips paths to symlinks while runs mount them', () => {
  let swapper: ChildProcess | undefined;
  afterEach(() => {
    swapper?.kill('SIGKILL');
    swapper = undefined;
  });

  const flip = (path: string, target: string) => {
    swapper = startFlipper(path, target, 15);
  };

  /** Runs that must each either be refused by a check or see only the zone's own files; returns how many ran. */
  async function raceRuns(runs: number): Promise<number> {
    let ran = 0;
    for (let i = 0; i < runs; i++) {
      let result: RunResult | undefined;
      try {
        result = await sh(readOutside);
      } catch (error) {
        // goodbot's checks, or the engine's own when the flip leaves a path missing as it mounts
        expect(error).toBeInstanceOf(GoodbotError);
        expect(['zone', 'policy', 'engine']).toContain((error as GoodbotError).kind);
      }
      if (result !== undefined) ran++;
      expect(result?.stdout ?? '').not.toContain(secret);
    }
    return ran;
  }

  it('attack: .git flipped to a symlink out of the zone never shows the outside folder in a container', async () => {
    flip(join(project, '.git'), '../../outside');
    await raceRuns(10);
  }, 120_000);

  it('attack: the zone folder flipped to a symlink out of the mount roots never shows the outside folder in a container', async () => {
    rmSync(join(project, '.git'), { recursive: true }); // the zone's own mount is the one raced
    flip(project, '../outside');
    await raceRuns(10);
  }, 120_000);
});
