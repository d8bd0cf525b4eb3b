import { getEventListeners } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, JsonlSessionIndex, restoreSession, WorkerPool, type SandboxConfig } from '../../src/node/index.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/session/snapshot-file.js';
import { removeTree, tempDir } from '../helpers/guests.js';

/** Sessions on a real worker pool, running goodbot's shell and the catalog's BusyBox. */
let pool: WorkerPool;
let project: string;
let state: string;
let index: JsonlSessionIndex;

beforeAll(async () => {
  pool = new WorkerPool({ size: 2, graceMs: 300 });
  await pool.ready();
  project = tempDir('goodbot-session-project-');
  writeFileSync(join(project, 'notes.txt'), 'first\nsecond\n');
  state = tempDir('goodbot-session-state-');
  index = new JsonlSessionIndex(state);
});

afterAll(async () => {
  await pool.close();
  removeTree(project);
  removeTree(state);
});

const zones = (): NonNullable<SandboxConfig['zones']> => [
  { name: 'project', mode: 'rw', hostPath: project, guestPath: '/project' },
  { name: 'scratch', mode: 'tmpfs', guestPath: '/scratch' },
];
const policy = (): SandboxConfig => ({ zones: zones(), cwd: '/project' });

describe('a session', () => {
  it('keeps the working folder, variables, functions and scratch files from one command to the next', async () => {
    const session = createSession(policy(), { pool, index });
    try {
      expect(
        (await session.run('cd /scratch && mkdir -p a/b && echo hi > a/b/f.txt && export GREETING=hello && count() { wc -l < "$1"; }')).exitCode,
      ).toBe(0);
      expect(session.cwd).toBe('/scratch');
      const second = await session.run('pwd; echo "$GREETING"; cat a/b/f.txt; count /project/notes.txt; echo "$?"');
      expect(second).toMatchObject({ status: 'exited', exitCode: 0, cwd: '/scratch' });
      expect(second.stdout).toBe('/scratch\nhello\nhi\n2\n0\n');
      // A command's own cwd starts it elsewhere; cd in it moves the session.
      expect((await session.run('pwd', { cwd: '/project' })).stdout).toBe('/project\n');
      expect((await session.run('false')).exitCode).toBe(1);
      expect((await session.run('echo $?')).stdout).toBe('1\n');
    } finally {
      await session.close();
    }
  });

  it('attack: one session cannot see or change another session’s scratch', async () => {
    const first = createSession(policy(), { pool, index: false });
    const second = createSession(policy(), { pool, index: false });
    try {
      await first.run('echo secret > /scratch/key');
      const peek = await second.run('cat /scratch/key; ls -A /scratch | wc -l');
      expect(peek.stdout).toBe('0\n');
      expect(peek.stderr).toContain('No such file');
      await second.run('echo other > /scratch/key');
      expect((await first.run('cat /scratch/key')).stdout).toBe('secret\n');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('reads, writes and lists files through the same zones and checks as the shell', async () => {
    const session = createSession(
      { ...policy(), zones: [...zones(), { name: 'docs', mode: 'ro', hostPath: project, guestPath: '/docs' }] },
      { pool, index: false },
    );
    try {
      await session.writeFile('/scratch/deep/new.txt', 'made\n');
      expect(new TextDecoder().decode(await session.readFile('/scratch/deep/new.txt'))).toBe('made\n');
      expect(new TextDecoder().decode(await session.readFile('notes.txt'))).toBe('first\nsecond\n');
      const bytes = Uint8Array.from([0, 255, 10, 128]);
      await session.writeFile('/scratch/bin', bytes);
      expect(await session.readFile('/scratch/bin')).toEqual(bytes);
      expect(await session.listFiles('/scratch', true)).toEqual([
        { path: '/scratch/bin', type: 'file' },
        { path: '/scratch/deep', type: 'directory' },
        { path: '/scratch/deep/new.txt', type: 'file' },
      ]);
      expect(await session.listFiles('/scratch')).toEqual([
        { path: '/scratch/bin', type: 'file' },
        { path: '/scratch/deep', type: 'directory' },
      ]);
      // Only files, only folders, nothing; relative to the session's folder.
      expect(await session.listFiles('/scratch/deep')).toEqual([{ path: '/scratch/deep/new.txt', type: 'file' }]);
      await session.run('mkdir -p /scratch/only/sub /scratch/none');
      expect(await session.listFiles('/scratch/only')).toEqual([{ path: '/scratch/only/sub', type: 'directory' }]);
      expect(await session.listFiles('/scratch/none')).toEqual([]);
      await session.run('cd /scratch/deep');
      expect(await session.listFiles()).toEqual([{ path: './new.txt', type: 'file' }]);
      await expect(session.listFiles('/scratch/missing')).rejects.toThrow(/could not list/);
      await expect(session.writeFile('/docs/x.txt', 'no')).rejects.toMatchObject({ kind: 'policy' });
      await expect(session.readFile('/etc/passwd')).rejects.toThrow(/could not read \/etc\/passwd/);
      await expect(session.readFile('/project/../../etc/passwd')).rejects.toThrow(/could not read/);
    } finally {
      await session.close();
    }
  });

  it('snapshots, restores and forks its shell state and scratch', async () => {
    const session = createSession(policy(), { pool, index });
    try {
      await session.run(
        'cd /scratch && ln -s target link && echo data > target && mkdir d && touch -d @1000000000 d/old && v=kept && f() { echo "fn $v"; }',
      );
      const snapshot = await session.snapshot();
      const restored = await restoreSession(snapshot, policy(), { pool, index });
      const forked = await session.fork();
      await session.run('rm -rf /scratch/* && unset -f f');
      for (const copy of [restored, forked]) {
        const result = await copy.run('pwd; f; cat link; stat -c %Y d/old; ls');
        expect(result.stdout).toBe('/scratch\nfn kept\ndata\n1000000000\nd\nlink\ntarget\n');
      }
      expect((await session.run('ls /scratch | wc -l')).stdout).toBe('0\n');
      await Promise.all([restored.close(), forked.close()]);
      const otherPolicy = { ...policy(), cwd: '/scratch' };
      await expect(restoreSession(snapshot, otherPolicy, { pool, index: false })).rejects.toThrow(/another policy/);
      // attack: a snapshot edited to put files into a read-only zone (or a tool's own) is refused
      const { state: taken, policyDigest: digest } = decodeSnapshot(snapshot);
      const forged = encodeSnapshot({ ...taken, zones: { ...taken.zones, project: taken.zones['scratch']! } }, digest);
      await expect(restoreSession(forged, policy(), { pool, index: false })).rejects.toThrow(/no scratch \(tmpfs\) zone/);
      const cut = snapshot.slice(0, snapshot.length - 1);
      await expect(restoreSession(cut, policy(), { pool, index: false })).rejects.toThrow(/not a goodbot session snapshot/);
    } finally {
      await session.close();
    }
  });

  it("gives a secret the same placeholder in each of its commands and after a restore; another session's differs", async () => {
    const tokenFile = join(state, 'session-token');
    writeFileSync(tokenFile, 'session-secret-value\n', { mode: 0o600 });
    const withSecret = (): SandboxConfig => ({
      ...policy(),
      network: { allow: ['127.0.0.1:9'] },
      secrets: [{ name: 'API_TOKEN', from: `file:${tokenFile}`, hosts: ['127.0.0.1:9'] }],
    });
    const session = createSession(withSecret(), { pool, index: false });
    const other = createSession(withSecret(), { pool, index: false });
    try {
      const first = (await session.run('echo "$API_TOKEN" | tee /scratch/kept')).stdout;
      expect(first).toMatch(/^goodbot-secret-API_TOKEN-[0-9a-f]{32}\n$/);
      expect((await session.run('echo "$API_TOKEN"; cat /scratch/kept')).stdout).toBe(`${first}${first}`);
      const restored = await restoreSession(await session.snapshot(), withSecret(), { pool, index: false });
      expect((await restored.run('echo "$API_TOKEN"')).stdout).toBe(first);
      await restored.close();
      const theirs = (await other.run('echo "$API_TOKEN"')).stdout;
      expect(theirs).toMatch(/^goodbot-secret-API_TOKEN-/);
      expect(theirs).not.toBe(first);
    } finally {
      await Promise.all([session.close(), other.close()]);
    }
  });

  it('records its commands in the session index', async () => {
    const session = createSession(policy(), { pool, index, id: 'recorded-session' });
    await session.run('echo one');
    await session.run('cat /nowhere');
    await session.close();
    const lines = await index.show('recorded-session');
    expect(lines[0]).toMatchObject({ type: 'session', id: 'recorded-session' });
    expect(lines[0]).toHaveProperty('policyDigest', expect.stringMatching(/^sha256:/));
    expect(lines.filter((line) => line.type === 'command')).toMatchObject([
      { command: 'echo one', status: 'exited', exitCode: 0, stdoutBytes: 4 },
      { command: 'cat /nowhere', exitCode: 1 },
    ]);
    expect(lines.at(-1)).toMatchObject({ type: 'closed' });
    const listed = (await index.list()).find((summary) => summary.id === 'recorded-session');
    expect(listed).toMatchObject({ commands: 2 });
    expect(
      readFileSync(join(state, 'sessions', 'recorded-session.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(4);
  });

  it('keeps the caller’s thread free while a command spins, and cancels it at once', async () => {
    const session = createSession(policy(), { pool, index: false });
    try {
      const controller = new AbortController();
      const spinning = session.run('while :; do :; done', { signal: controller.signal });
      const pings: number[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 20));
        pings.push(performance.now() - sent);
      }
      expect(Math.max(...pings)).toBeLessThan(100);
      const cancelledAt = performance.now();
      controller.abort();
      const result = await spinning;
      expect(result.status).toBe('cancelled');
      expect(performance.now() - cancelledAt).toBeLessThan(1000);
      // The session goes on after a cancelled command.
      expect((await session.run('echo after')).stdout).toBe('after\n');
    } finally {
      await session.close();
    }
  });

  it('cancels the command running when it is closed, and refuses new ones', async () => {
    const session = createSession(policy(), { pool, index: false });
    const spinning = session.run('while :; do :; done');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closedAt = performance.now();
    await session.close();
    expect(performance.now() - closedAt).toBeLessThan(1000);
    expect((await spinning).status).toBe('cancelled');
    await expect(session.run('true')).rejects.toThrow(/is closed/);
  });

  it('stops a command when the caller’s signal aborts, and leaves no listener on that signal once a command ends', async () => {
    const session = createSession(policy(), { pool, index: false });
    try {
      const caller = new AbortController();
      for (let i = 0; i < 20; i++) expect((await session.run('true', { signal: caller.signal })).exitCode).toBe(0);
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
      const spinning = session.run('while :; do :; done', { signal: caller.signal });
      setTimeout(() => caller.abort(), 200);
      expect((await spinning).status).toBe('cancelled');
      expect((await session.run('echo still here')).stdout).toBe('still here\n');
    } finally {
      await session.close();
    }
  });

  it('shortens the policy’s timeout for one command, never lengthens it', async () => {
    const session = createSession({ ...policy(), limits: { timeout: '5s' } }, { pool, index: false });
    try {
      const result = await session.run('while :; do :; done', { timeout: 200 });
      expect(result.status).toBe('timeout');
      await expect(session.run('true', { timeout: -1 })).rejects.toMatchObject({ kind: 'usage', field: 'timeout' });
    } finally {
      await session.close();
    }
  });

  it('runs nothing when the session index cannot record it, and says why', async () => {
    const blocked = join(state, 'not-a-folder');
    writeFileSync(blocked, 'a file where the index wants a folder');
    const session = createSession(policy(), { pool, index: new JsonlSessionIndex(blocked) });
    await expect(session.run('echo x > /project/ran.txt')).rejects.toThrow(/cannot be recorded in the session index/);
    expect(existsSync(join(project, 'ran.txt'))).toBe(false);
    await session.close();
  });

  it('refuses a bad id and a Docker policy', () => {
    expect(() => createSession(policy(), { pool, index: false, id: '../x' })).toThrow(/not a session id/);
    expect(() => createSession({ ...policy(), backend: 'docker' }, { pool, index: false })).toThrow(/WebAssembly/);
  });
});
