import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type RunResult, type SandboxConfig } from '../../../src/node/index.js';
import { makeTree, removeTree, tempDir } from '../../helpers/guests.js';

/**
 * The same cases on both backends, against the real Docker engine and the
 * tools image: a command from the catalog on `wasm` and the same command in
 * the container on `docker` must agree on output, files, denials (as exit
 * codes), the environment and limits.
 */

let base: string;
const backends = ['wasm', 'docker'] as const;
type Backend = (typeof backends)[number];

const config = (backend: Backend, extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  backend,
  zones: [
    { name: 'input', mode: 'ro', hostPath: join(base, 'input') },
    { name: 'output', mode: 'rw', hostPath: join(base, 'output') },
  ],
  env: { allow: ['GRANTED_*'], set: { MODE: 'parity' } },
  docker: { mountRoots: [base] },
  ...extra,
});
const run = (backend: Backend, program: string, args: string[], extra: Partial<SandboxConfig> = {}): Promise<RunResult> =>
  createSandbox(config(backend, extra), { hostEnv: { GRANTED_TOKEN: 'yes', SECRET_TOKEN: 'no' } }).exec({ program, args }).result;

beforeAll(() => {
  base = tempDir('goodbot-parity-');
  makeTree(base, { 'input/hello.txt': 'hello\nworld\n', output: null });
  chmodSync(base, 0o755);
  chmodSync(join(base, 'input'), 0o755);
  chmodSync(join(base, 'output'), 0o777); // the container's user (nobody, as goodbot runs as root here) writes it
});
afterAll(() => removeTree(base));

describe.each(backends)('on the %s backend', (backend) => {
  it('reads a file from a read-only zone', async () => {
    const result = await run(backend, 'cat', ['/input/hello.txt']);
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'hello\nworld\n', backend });
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

  it('cuts output at the cap with status output-limit', async () => {
    const result = await run(backend, 'python3', ['-c', 'import sys\nwhile True: sys.stdout.write("y" * 4096)'], {
      limits: { maxOutput: '64KiB', timeout: '20s' },
    });
    expect(result.status).toBe('output-limit');
    expect(result.stdout.length).toBe(64 * 1024);
  });
});

describe('backend auto', () => {
  it('runs a catalog tool as WebAssembly and anything else in a container, and says which', async () => {
    expect((await run('auto' as Backend, 'cat', ['/input/hello.txt'])).backend).toBe('wasm');
    const git = await run('auto' as Backend, 'git', ['--version']);
    expect(git.backend).toBe('docker');
    expect(git.stdout).toMatch(/^git version \d/);
  });

  it("runs a command line in goodbot's shell when all its commands are catalog tools, else in the container's shell", async () => {
    const tools = await run('auto' as Backend, 'sh', ['-c', 'cat /input/hello.txt | sort -r | head -1']);
    expect(tools).toMatchObject({ backend: 'wasm', program: { kind: 'shell' }, stdout: 'world\n' });
    const native = await run('auto' as Backend, 'sh', ['-c', 'git --version | cut -d" " -f1-2; wc -l < /input/hello.txt']);
    expect(native).toMatchObject({ backend: 'docker', stdout: 'git version\n2\n', exitCode: 0 });
  });
});
