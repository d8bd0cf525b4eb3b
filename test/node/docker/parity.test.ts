import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type RunResult, type SandboxConfig } from '../../../src/node/index.js';
import { makeTree, probe, removeTree, tempDir } from '../../helpers/guests.js';
import { namespaceAvailability } from '../../../src/node/namespace/availability.js';
import { startLoopbackServers, type LoopbackServers } from '../../helpers/loopback-servers.js';

/**
 * The same cases on every backend, against the real tools: a command from
 * the catalog on `wasm`, the same command of the tools image's userland in
 * new namespaces (bubblewrap) on `namespace`, in a container (the Docker
 * engine) on `docker`, and in a container under gVisor's runsc on
 * `docker+runsc` must agree on output, files, denials (as exit codes),
 * the environment, limits and the network.
 */

let base: string;
let servers: LoopbackServers;
const backends = ['wasm', 'namespace', 'docker', 'docker+runsc'] as const;
type Backend = (typeof backends)[number];

/** The policy's backend of each case (docker+runsc is Docker's backend with gVisor's runtime). */
const backendOf = (backend: Backend) => (backend === 'docker+runsc' ? 'docker' : backend);

const config = (backend: Backend, extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  backend: backendOf(backend),
  zones: [
    { name: 'input', mode: 'ro', hostPath: join(base, 'input') },
    { name: 'output', mode: 'rw', hostPath: join(base, 'output') },
  ],
  env: { allow: ['GRANTED_*'], set: { MODE: 'parity' } },
  ...extra,
  docker: { mountRoots: [base], ...(backend === 'docker+runsc' && { runtime: 'runsc' }), ...extra.docker },
});
const run = (backend: Backend, program: string, args: string[], extra: Partial<SandboxConfig> = {}): Promise<RunResult> =>
  createSandbox(config(backend, extra), { hostEnv: { GRANTED_TOKEN: 'yes', SECRET_TOKEN: 'no' } }).exec({ program, args }).result;

beforeAll(async () => {
  servers = await startLoopbackServers();
  base = tempDir('goodbot-parity-');
  makeTree(base, { 'input/hello.txt': 'hello\nworld\n', output: null });
  chmodSync(base, 0o755);
  chmodSync(join(base, 'input'), 0o755);
  chmodSync(join(base, 'output'), 0o777); // the container's user (nobody, as goodbot runs as root here) writes it
});
afterAll(async () => {
  removeTree(base);
  await servers.close();
});

/** An HTTP GET of URL, printing `STATUS BODY` or `failed`: the js tool's fetch() on wasm, python's urllib (through the proxy variables) natively. */
const fetchCommand = (backend: Backend, url: string): [string, string[]] =>
  backend === 'wasm'
    ? ['js', ['-e', `try { const r = await fetch(${JSON.stringify(url)}); console.log(r.status, await r.text()); } catch { console.log('failed'); }`]]
    : [
        'python3',
        [
          '-c',
          `import urllib.request
try:
  r = urllib.request.urlopen(${JSON.stringify(url)}, timeout=10); print(r.status, r.read().decode())
except Exception: print("failed")`,
        ],
      ];

describe.each(backends)('on the %s backend', (backend) => {
  it('reads a file from a read-only zone', async () => {
    const result = await run(backend, 'cat', ['/input/hello.txt']);
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'hello\nworld\n', backend: backendOf(backend) });
  });

  it('writes a file into a read-write zone, seen on the host', async () => {
    rmSync(join(base, 'output', 'copy.txt'), { force: true });
    const result = await run(backend, 'cp', ['/input/hello.txt', '/output/copy.txt']);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(base, 'output', 'copy.txt'), 'utf8')).toBe('hello\nworld\n');
  });

  it('attack: writing into a read-only zone fails, and nothing reaches the host', async () => {
    const result = await run(backend, 'cp', ['/input/hello.txt', '/input/planted.txt']);
    expect(result.exitCode).toBe(1);
    expect(existsSync(join(base, 'input', 'planted.txt'))).toBe(false);
  });

  it('attack: a read-only zone stays read-only where the folder itself would let the user write', async () => {
    const writable = { zones: [{ name: 'open', mode: 'ro' as const, hostPath: join(base, 'output'), guestPath: '/open' }] };
    const result = await run(backend, 'sh', ['-c', 'echo x > /open/planted.txt'], writable);
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(join(base, 'output', 'planted.txt'))).toBe(false);
  });

  it('passes granted variables and set ones, and never the others', async () => {
    expect((await run(backend, 'printenv', ['GRANTED_TOKEN'])).stdout).toBe('yes\n');
    expect((await run(backend, 'printenv', ['MODE'])).stdout).toBe('parity\n');
    const secret = await run(backend, 'printenv', ['SECRET_TOKEN']);
    expect(secret).toMatchObject({ exitCode: 1, stdout: '' });
  });

  it('reports the exit code the program chose', async () => {
    expect((await run(backend, 'false', [])).exitCode).toBe(1);
    expect((await run(backend, 'python3', ['-c', 'import sys; sys.exit(3)'])).exitCode).toBe(3);
  });

  it("runs a command line (bash -c: goodbot's shell on wasm, the image's bash in the container) with the same output", async () => {
    const line =
      'cd /input && for f in *.txt; do printf "%s:%s\\n" "$f" "$(wc -l < "$f")"; done; sort -r hello.txt | head -1 > /output/top.txt; cat /output/top.txt; [[ -f nope ]] || echo "status $?"';
    const result = await run(backend, 'bash', ['-c', line]);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'hello.txt:2\nworld\nstatus 1\n' });
  });

  it('stops a run at its timeout with status timeout and exit 124', async () => {
    const result = await run(backend, 'sleep', ['30'], { limits: { timeout: '1s' } });
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124 });
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('ends a run that outgrows its memory cap with memory-limit', async () => {
    // A program that allocates until it cannot: the test guest's malloc bomb in WebAssembly, python natively.
    const hog = backend === 'wasm' ? [probe(), ['mallocbomb']] : ['python3', ['-c', 'a = []\nwhile True: a.append(bytearray(8 << 20))']];
    const result = await run(backend, hog[0] as string, hog[1] as string[], { limits: { memory: '64MiB', timeout: '60s' } });
    expect(result).toMatchObject({ status: 'memory-limit', exitCode: 124 });
  });

  it("attack: without a grant no request leaves, not even to the host's loopback", async () => {
    const url = `http://127.0.0.1:${servers.http}/no-grant`;
    const [program, args] = fetchCommand(backend, url);
    const result = await run(backend, program, args, { limits: { timeout: '30s' } });
    expect(result.stdout).toBe('failed\n');
  });

  it('reaches a granted host and port, and is refused another port of it', async () => {
    const granted = `http://127.0.0.1:${servers.http}/granted`;
    const [program, args] = fetchCommand(backend, granted);
    const result = await run(backend, program, args, { network: { allow: [`127.0.0.1:${servers.http}`] }, limits: { timeout: '30s' } });
    expect(result.stdout).toBe(`200 GET /granted host=127.0.0.1:${servers.http}\n`);
    const [otherProgram, otherArgs] = fetchCommand(backend, `http://127.0.0.1:${servers.echo}/`);
    const other = await run(backend, otherProgram, otherArgs, { network: { allow: [`127.0.0.1:${servers.http}`] }, limits: { timeout: '30s' } });
    expect(other.stdout).toBe('failed\n');
    expect(other.denials.length).toBeGreaterThan(0);
  });

  it('cuts output at the cap with status output-limit', async () => {
    const result = await run(backend, 'python3', ['-c', 'import sys\nwhile True: sys.stdout.write("y" * 4096)'], {
      limits: { maxOutput: '64KiB', timeout: '20s' },
    });
    expect(result.status).toBe('output-limit');
    expect(result.stdout.length).toBe(64 * 1024);
  });
});

describe('backend auto', () => {
  // bubblewrap works on this machine (the namespace suite proves it), so auto prefers it to Docker.
  const native = namespaceAvailability().works ? 'namespace' : 'docker';

  it('runs a catalog tool as WebAssembly and anything else natively (namespace where it works, else a container), and says which', async () => {
    expect((await run('auto' as Backend, 'cat', ['/input/hello.txt'])).backend).toBe('wasm');
    const git = await run('auto' as Backend, 'git', ['--version']);
    expect(git.backend).toBe(native);
    expect(git.stdout).toMatch(/^git version \d/);
  });

  it("runs a command line in goodbot's shell when all its commands are catalog tools, else in the userland's shell", async () => {
    const tools = await run('auto' as Backend, 'sh', ['-c', 'cat /input/hello.txt | sort -r | head -1']);
    expect(tools).toMatchObject({ backend: 'wasm', program: { kind: 'shell' }, stdout: 'world\n' });
    const outside = await run('auto' as Backend, 'sh', ['-c', 'git --version | cut -d" " -f1-2; wc -l < /input/hello.txt']);
    expect(outside).toMatchObject({ backend: native, stdout: 'git version\n2\n', exitCode: 0 });
  });
});
