import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileSandboxConfig, createSandbox, type RunResult, type SandboxConfig } from '../../../src/node/index.js';
import { endNamespaceSandboxes, warmSandboxes } from '../../../src/node/namespace/namespace-run.js';
import { PreparedSandbox, type SandboxShape } from '../../../src/node/namespace/prepared-sandbox.js';
import { cgroupSite } from '../../../src/node/namespace/run-cgroup.js';
import { WarmSandboxes } from '../../../src/node/namespace/warm-sandboxes.js';
import { makeTree, removeTree, tempDir } from '../../helpers/guests.js';

/**
 * Sandboxes made ahead (the namespace backend's start-up taken off a run's
 * path), against real bubblewrap: a run takes one only while it is exactly
 * what a cold run would get, and nothing of one run meets the next.
 */
let base: string;

const config = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  backend: 'namespace',
  zones: [
    { name: 'data', mode: 'ro', hostPath: join(base, 'data') },
    { name: 'out', mode: 'rw', hostPath: join(base, 'out') },
  ],
  docker: { mountRoots: [base] },
  ...extra,
});
const shell = (script: string, extra: Partial<SandboxConfig> = {}): Promise<RunResult> =>
  createSandbox(config(extra)).exec({ program: 'sh', args: ['-c', script] }).result;
/** The turn after the run's, when the pool makes the next sandbox. */
const refilled = () => new Promise((resolve) => setImmediate(resolve));

beforeAll(() => {
  base = tempDir('goodbot-ns-prepared-');
  makeTree(base, { 'data/in.txt': 'input\n', 'out/': null });
});
afterEach(() => endNamespaceSandboxes());
afterAll(() => removeTree(base));

describe('a namespace run with a sandbox made ahead', () => {
  it('takes the sandbox the previous run of the same policy left, and says so', async () => {
    const first = await shell('cat /data/in.txt');
    await refilled();
    const second = await shell('cat /data/in.txt; pwd', { cwd: '/data' });
    expect([first.prestarted, first.stdout]).toEqual([false, 'input\n']);
    expect([second.prestarted, second.exitCode, second.stdout]).toEqual([true, 0, 'input\n/data\n']);
  });

  it('gets its own environment, stdin, working folder, limits and exit status, as a cold run does', async () => {
    await shell('true', { env: { set: { WHO: 'first' } } });
    await refilled();
    const sandbox = createSandbox(config({ env: { set: { WHO: 'second' } }, cwd: '/out' }));
    const result = await sandbox.exec({ program: 'sh', args: ['-c', 'echo $WHO $(pwd) $(cat); exit 3'], stdin: 'typed' }).result;
    expect([result.prestarted, result.exitCode, result.stdout]).toEqual([true, 3, 'second /out typed\n']);
    await refilled();
    const timed = await shell('sleep 5', { limits: { timeout: '300ms' }, env: { set: { WHO: 'x' } } });
    expect([timed.prestarted, timed.status]).toEqual([true, 'timeout']);
  });

  it("ends at the command's exit, as bwrap reports it, with all its output, the status of a signal, and its own 125", async () => {
    const big = await shell('head -c 4194304 /dev/zero | tr "\\0" x; echo; exit 7');
    expect([big.exitCode, big.stdout.length]).toEqual([7, 4194305]);
    expect((await shell('kill -9 $$')).exitCode).toBe(137);
    const own = await shell('echo mine >&2; exit 125');
    expect([own.status, own.exitCode, own.stderr]).toEqual(['exited', 125, 'mine\n']);
  });

  it('attack: a process the command leaves behind ends with the run; what it would print later never comes', async () => {
    const result = await shell('(sleep 0.5; echo late; echo late > /out/late) & echo early');
    expect(result.stdout).toBe('early\n');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(existsSync(join(base, 'out', 'late'))).toBe(false);
  });

  it('attack: nothing of one run (a file in /tmp, a process left running) meets the next', async () => {
    const first = await shell('echo planted > /tmp/left; (sleep 30 &); echo started');
    expect(first.stdout).toBe('started\n');
    await refilled();
    const second = await shell('ls /tmp; ps -e -o comm= | grep -c sleep');
    expect(second.prestarted).toBe(true);
    expect(second.stdout).toBe('0\n');
  });

  it('attack: a zone folder swapped for another after the sandbox was made is not served from the old one', async () => {
    await shell('true');
    await refilled();
    renameSync(join(base, 'data'), join(base, 'data-old'));
    makeTree(base, { 'data/in.txt': 'swapped\n' });
    const result = await shell('cat /data/in.txt');
    expect([result.prestarted, result.stdout]).toEqual([false, 'swapped\n']);
  });

  it('attack: a .git made in a read-write zone after the sandbox was made is still mounted read-only (no hook can be planted)', async () => {
    await shell('true');
    await refilled();
    mkdirSync(join(base, 'out', '.git', 'hooks'), { recursive: true });
    const result = await shell('echo evil > /out/.git/hooks/pre-commit');
    expect(result.prestarted).toBe(false);
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(join(base, 'out', '.git', 'hooks', 'pre-commit'))).toBe(false);
  });

  it('attack: credentials put at the top of a zone after the sandbox was made refuse the run, as they would a cold one', async () => {
    const zone = join(base, 'later');
    makeTree(base, { 'later/': null });
    const extra = { zones: [{ name: 'later', mode: 'ro' as const, hostPath: zone }] };
    await shell('true', extra);
    await refilled();
    mkdirSync(join(zone, '.ssh'));
    await expect(shell('true', extra)).rejects.toMatchObject({ kind: 'policy', message: expect.stringContaining('.ssh') });
  });

  it('is not used for a run with network grants (its relay is made for the run)', async () => {
    const extra = { network: { allow: ['127.0.0.1:9'] } };
    await shell('true', extra);
    await refilled();
    expect(warmSandboxes.size).toBe(0);
    expect((await shell('true', extra)).prestarted).toBe(false);
  });

  it('is never made by a process that runs once (goodbot exec turns it off)', async () => {
    const sandbox = createSandbox(config(), { prestart: false });
    await sandbox.exec({ program: 'true', args: [] }).result;
    await refilled();
    expect(warmSandboxes.size).toBe(0);
    expect((await sandbox.exec({ program: 'true', args: [] }).result).prestarted).toBe(false);
  });
});

describe('the sandboxes waiting', () => {
  const shapeOf = (extra: Partial<SandboxConfig> = {}): SandboxShape => ({
    policy: compileSandboxConfig(config(extra), { file: '<test>', baseDir: base }),
    toolDirs: [],
  });
  /** This process's pool cgroups (where the machine gives goodbot cgroups), as paths. */
  const cgroups = () =>
    (cgroupSite()?.parents ?? []).flatMap((parent) =>
      readdirSync(parent)
        .filter((name) => name.startsWith(`goodbot-${process.pid}-pool`))
        .map((name) => join(parent, name)),
    );

  it('keep one per policy, at most their number of policies, and end (cgroup and all) when unused for their time', async () => {
    let made = 0;
    const pool = new WarmSandboxes<SandboxShape, PreparedSandbox>((shape) => PreparedSandbox.start(shape, `pool${made++}`), 2, 300);
    const shapes = ['a', 'b', 'c'].map((name) => shapeOf({ env: { set: { NAME: name } }, limits: { memory: `${64 + name.charCodeAt(0)}MiB` } }));
    shapes.forEach((shape, index) => pool.refill(String(index), shape));
    pool.refill('0', shapes[0]!);
    await refilled();
    expect(pool.size).toBe(2);
    expect(made).toBe(3);
    expect(pool.take('0', shapes[0]!)).toBeUndefined(); // the oldest made way
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(pool.size).toBe(0);
    expect(cgroups()).toEqual([]);
  });

  it.runIf(cgroupSite() !== undefined)('one that ended while it waited (killed from outside) is not handed out', async () => {
    const pool = new WarmSandboxes<SandboxShape, PreparedSandbox>((shape) => PreparedSandbox.start(shape, 'pool-killed'));
    const shape = shapeOf();
    pool.refill('k', shape);
    await refilled();
    const [group] = cgroups();
    const members = () => readFileSync(join(group!, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    // The launcher joins the cgroup, then bwrap makes the sandbox: wait until init waits.
    for (let i = 0; i < 100 && members().length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const processes = members();
    expect(processes.length).toBeGreaterThanOrEqual(3);
    for (const pid of processes) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already ended with its parent (--die-with-parent)
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pool.take('k', shape)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cgroups()).toEqual([]);
  });
});
