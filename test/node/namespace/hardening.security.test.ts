import { spawnSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type RunResult, type SandboxConfig } from '../../../src/node/index.js';
import { endNamespaceSandboxes } from '../../../src/node/namespace/namespace-run.js';
import { nodeAsNobody } from '../../helpers/cli.js';
import { makeTree, removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/**
 * The namespace backend's hardening, against real bubblewrap, the kernel's
 * namespaces, cgroups and seccomp: checked from inside the sandbox, and from
 * the host while it runs. goodbot runs as root here, so zones are idmapped.
 */
let base: string;
const isRoot = process.getuid?.() === 0;

const config = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  backend: 'namespace',
  zones: [
    { name: 'data', mode: 'ro', hostPath: join(base, 'data') },
    { name: 'out', mode: 'rw', hostPath: join(base, 'out') },
  ],
  env: { set: { API_TOKEN: 's3cret-value' } },
  docker: { mountRoots: [base] },
  ...extra,
});
const run = (program: string, args: string[], extra: Partial<SandboxConfig> = {}): Promise<RunResult> =>
  createSandbox(config(extra)).exec({ program, args }).result;
const python = (script: string, extra: Partial<SandboxConfig> = {}) => run('python3', ['-c', script], extra);
const shell = (script: string, extra: Partial<SandboxConfig> = {}) => run('sh', ['-c', script], extra);

beforeAll(() => {
  base = tempDir('goodbot-ns-hardening-');
  makeTree(base, { 'data/in.txt': 'input\n', out: null, 'owned/': null });
  // Root's own folder, writable only by root: the Docker backend would refuse it without a chown.
  chmodSync(join(base, 'out'), 0o755);
});
afterAll(() => removeTree(base));

/** Host processes whose command line is exactly ARGV (NUL-separated, as the kernel keeps it). */
function hostProcesses(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('a namespace sandbox, seen from the host', () => {
  it.runIf(isRoot)('runs as a uid of its own, never 0, and no secret shows on a command line', async () => {
    const marker = ['sleep', '7.125'];
    const started = createSandbox(config()).exec({ program: marker[0]!, args: marker.slice(1) });
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pids = hostProcesses(marker);
    }
    try {
      expect(pids.length).toBe(1);
      const status = readFileSync(`/proc/${pids[0]}/status`, 'utf8');
      const [real, effective] = status
        .match(/^Uid:\s+(\d+)\s+(\d+)/m)!
        .slice(1)
        .map(Number);
      expect(real).not.toBe(0);
      expect(effective).not.toBe(0);
      expect(real).toBeGreaterThanOrEqual(0x6000_0000);
      const everyCommandLine = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        });
      expect(everyCommandLine.some((line) => line.includes('s3cret-value'))).toBe(false);
    } finally {
      started.cancel();
    }
    expect((await started.result).status).toBe('cancelled');
  });

  it.runIf(isRoot)(
    'attack: what it writes in a root-owned read-write zone belongs to root, yet it cannot make a setuid or setgid file or a device',
    async () => {
      const script = [
        'import os, stat',
        'open("/out/plain.txt", "w").write("x")',
        'def attempt(name, action):',
        '  try: action(); print(name, "allowed")',
        '  except OSError as e: print(name, "refused", e.errno)',
        'attempt("chmod-setuid", lambda: os.chmod("/out/plain.txt", 0o4755))',
        'attempt("chmod-setgid", lambda: os.chmod("/out/plain.txt", 0o2755))',
        'attempt("create-setuid", lambda: os.close(os.open("/out/made", os.O_CREAT | os.O_WRONLY, 0o4755)))',
        'attempt("mkdir-setgid", lambda: os.mkdir("/out/dir", 0o2755))',
        'attempt("char-device", lambda: os.mknod("/out/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3)))',
        'attempt("block-device", lambda: os.mknod("/out/disk", 0o666 | stat.S_IFBLK, os.makedev(8, 0)))',
        'attempt("fifo", lambda: os.mkfifo("/out/pipe"))',
      ].join('\n');
      const result = await python(script);
      expect(result.stdout).toBe(
        [
          'chmod-setuid refused 1',
          'chmod-setgid refused 1',
          'create-setuid refused 1',
          'mkdir-setgid refused 1',
          'char-device refused 1',
          'block-device refused 1',
          'fifo allowed',
          '',
        ].join('\n'),
      );
      const written = lstatSync(join(base, 'out', 'plain.txt'));
      expect(written.uid).toBe(0);
      expect(written.mode & 0o7777).toBe(0o644);
      for (const name of readdirSync(join(base, 'out'))) {
        const entry = lstatSync(join(base, 'out', name));
        expect(entry.mode & 0o6000).toBe(0);
        expect(entry.isCharacterDevice() || entry.isBlockDevice()).toBe(false);
      }
    },
  );

  it.runIf(isRoot)("writes files in a zone owned by another user as that user's", async () => {
    chownSync(join(base, 'owned'), 4321, 4321);
    const result = await shell('touch /owned/file && id -u && stat -c %u /owned/file', {
      zones: [{ name: 'owned', mode: 'rw', hostPath: join(base, 'owned') }],
    });
    expect(result.stdout).toBe('1000\n1000\n');
    expect(lstatSync(join(base, 'owned', 'file')).uid).toBe(4321);
  });
});

describe('a namespace sandbox, seen from inside', () => {
  it('has no capabilities, no_new_privs, a seccomp filter, and only a loopback interface', async () => {
    const result = await python(
      [
        'import socket',
        'status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)',
        'print(status["CapEff"], status["CapPrm"], status["CapBnd"], status["NoNewPrivs"], status["Seccomp"])',
        'print([name for _, name in socket.if_nameindex()])',
      ].join('\n'),
    );
    expect(result.stdout).toBe("0000000000000000 0000000000000000 0000000000000000 1 2\n['lo']\n");
  });

  it("sees none of the host's secrets or homes, and only its own processes", async () => {
    const result = await shell(
      'for p in /etc/shadow /etc/gshadow /root /home /work /var/run/docker.sock /run/docker.sock; do [ -e $p ] && echo "present $p"; done; ls /proc | grep -c "^[0-9]"',
    );
    expect(result.stdout).toMatch(/^\d+\n$/);
    expect(Number(result.stdout)).toBeLessThanOrEqual(4);
  });

  it('attack: writing to the root, the userland or a read-only zone is refused', async () => {
    const result = await shell(
      'for f in /planted /usr/bin/planted /etc/passwd /data/in.txt; do (echo x > $f) 2>/dev/null && echo "wrote $f"; done; echo done',
    );
    expect(result.stdout).toBe('done\n');
    expect(readFileSync(join(base, 'data', 'in.txt'), 'utf8')).toBe('input\n');
  });

  it('attack: seccomp refuses new namespaces, mounts and ptrace', async () => {
    const script = [
      'import ctypes, os',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'for name, call in (("unshare", lambda: libc.unshare(0x10000000)), ("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)), ("ptrace", lambda: libc.ptrace(0, 0, None, None)), ("setns", lambda: libc.setns(0, 0))):',
      '  print(name, call(), ctypes.get_errno())',
    ].join('\n');
    const result = await python(script);
    expect(result.stdout).toBe('unshare -1 1\nmount -1 1\nptrace -1 1\nsetns -1 1\n');
  });

  it("attack: no descriptor goodbot handed bubblewrap reaches the command (a held zone folder's .. would lead out)", async () => {
    const result = await python('import os; print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")))');
    expect(result.stdout).toBe('[0, 1, 2, 3]\n');
  });

  it('attack: a fork bomb stops at the process limit, and the run still ends', async () => {
    const script = [
      'import os, time',
      'count = 0',
      'try:',
      '  while True:',
      '    if os.fork() == 0:',
      '      time.sleep(30); os._exit(0)',
      '    count += 1',
      'except OSError as e: print("stopped", e.errno, count < 32)',
    ].join('\n');
    const result = await python(script, { docker: { mountRoots: [base], pids: 32 }, limits: { timeout: '20s' } });
    expect(result.stdout).toBe('stopped 11 True\n');
    expect(result.status).toBe('exited');
  });

  it('attack: a memory hog is ended with memory-limit', async () => {
    const result = await python('x = bytearray(512 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\nprint("survived")', {
      limits: { memory: '64MiB', timeout: '30s' },
    });
    expect(result).toMatchObject({ status: 'memory-limit', exitCode: 124, resourceControl: expect.stringMatching(/^cgroup-v[12]$/) });
    expect(result.stdout).toBe('');
  });

  it("passes stdin through a pipe and the environment through a descriptor, never the host's", async () => {
    const sandbox = createSandbox(config({ env: { set: { API_TOKEN: 'tok' } } }), { hostEnv: { HOME: '/root', SECRET: 'x' } });
    const result = await sandbox.exec({ program: 'sh', args: ['-c', 'cat; env | sort'], stdin: 'from stdin\n' }).result;
    expect(result.stdout.split('\n')[0]).toBe('from stdin');
    expect(result.stdout).toContain('API_TOKEN=tok\n');
    expect(result.stdout).not.toContain('SECRET');
    expect(result.stdout).not.toContain('HOME=/root');
  });

  it('reports a missing working folder as an error of goodbot, not as output of the command', async () => {
    await expect(createSandbox(config({ cwd: '/data/missing' })).exec({ program: 'true', args: [] }).result).rejects.toMatchObject({
      kind: 'runtime',
      message: expect.stringContaining('/data/missing'),
    });
  });

  it("reports an unknown command as 127 with the shell's message", async () => {
    const result = await run('no-such-command', []);
    expect(result).toMatchObject({ exitCode: 127, stderr: 'no-such-command: command not found\n' });
  });
});

describe.runIf(isRoot)('goodbot run by a user who is not root', () => {
  it('runs the sandbox as that user, caps it with rlimits, and says so', () => {
    const zone = tempDir('goodbot-ns-nobody-'); // its own folder: the suite's is closed to other users
    chownSync(zone, 65534, 65534);
    const run = nodeAsNobody(
      zone,
      [
        '{view}/dist/node/cli/main.js',
        'exec',
        '--backend=namespace',
        '--dir',
        `${zone}::/z`,
        '--json',
        '--',
        'bash',
        '-c',
        'touch /z/made && ulimit -u && id -u',
      ],
      { HOME: '/nonexistent' },
    );
    try {
      const result = JSON.parse(run.stdout) as { exitCode: number; stdout: string; resourceControl: string };
      expect(result).toMatchObject({ exitCode: 0, stdout: '256\n1000\n', resourceControl: 'rlimit' });
      expect(lstatSync(join(zone, 'made')).uid).toBe(65534);
    } finally {
      removeTree(zone);
    }
  });
});

describe.runIf(isRoot)('goodbot installed where only root may look (under /root, say)', () => {
  it("runs the sandbox, whose user reaches goodbot's root filesystem and init through descriptors, not paths", () => {
    const closed = tempDir('goodbot-ns-closed-');
    chmodSync(closed, 0o700);
    mkdirSync(join(closed, 'goodbot'));
    const zone = join(closed, 'zone');
    makeTree(closed, { 'zone/in.txt': 'seen\n' });
    // The package seen at a path inside the closed folder, in a mount namespace of this command alone.
    const script = [
      `mount --bind ${repoRoot} ${closed}/goodbot`,
      `cd ${closed}`, // the command line's mount root
      `exec ${process.execPath} ${closed}/goodbot/dist/node/cli/main.js exec --backend=namespace --dir ${zone}::/z -- cat /z/in.txt`,
    ].join(' && ');
    try {
      const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect([run.status, run.stdout]).toEqual([0, 'seen\n']);
    } finally {
      removeTree(closed);
    }
  });
});

describe.runIf(isRoot)('files goodbot keeps about a run', () => {
  it('leaves no cgroup, socket or stage behind (once the sandbox made for the next run is let go)', async () => {
    await shell('true');
    await new Promise((resolve) => setImmediate(resolve));
    await endNamespaceSandboxes();
    expect(existsSync(join(base, 'out'))).toBe(true);
    const leftovers = readdirSync('/sys/fs/cgroup/pids').filter((name) => name.startsWith(`goodbot-${process.pid}-`));
    expect(leftovers).toEqual([]);
  });
});
