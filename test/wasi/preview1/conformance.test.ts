/**
 * Our port of WebAssembly/wasi-testsuite's preview1 assertions, run against
 * goodbot's preview1 host through the public API.
 *
 * The guest (wasm-tools/guests/wasi-checks.c, built by the global setup into
 * .cache/guests/wasi-checks.wasm) runs one named check per run and prints
 * `PASS name` or `FAIL name: <what differed>`; each test here runs one check
 * in a fresh sandbox over a fresh temporary folder mounted at `/`, so the
 * suite's root-preopen layout is reproduced, and fails with the guest's FAIL
 * line as the message.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSandbox, type RunResult, type SandboxConfig } from '../../../src/node/index.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const program = join(repoRoot, '.cache/guests/wasi-checks.wasm');

/** Checks run with the temporary folder mounted read-write at `/` (the first preopen, fd 3). */
const rustChecks = [
  'big_random_buf',
  'clock_time_get',
  'close_preopen',
  'dangling_fd',
  'dangling_symlink',
  'dir_fd_op_failures',
  'directory_seek',
  'fd_advise',
  'fd_fdstat_set_rights',
  'fd_filestat_set',
  'fd_flags_set',
  'fd_readdir',
  'file_allocate',
  'file_pread_pwrite',
  'file_seek_tell',
  'file_truncation',
  'file_unbuffered_write',
  'fstflags_validate',
  'interesting_paths',
  'isatty',
  'nofollow_errors',
  'overwrite_preopen',
  'path_exists',
  'path_filestat',
  'path_link',
  'path_open_create_existing',
  'path_open_dirfd_not_dir',
  'path_open_missing',
  'path_open_nonblock',
  'path_open_preopen',
  'path_open_read_write',
  'path_rename',
  'path_rename_dir_trailing_slashes',
  'path_symlink_trailing_slashes',
  'poll_oneoff_stdio',
  'readlink',
  'remove_directory_trailing_slashes',
  'remove_nonempty_directory',
  'renumber',
  'sched_yield',
  'stdio',
  'symlink_create',
  'symlink_filestat',
  'symlink_loop',
  'truncation_rights',
  'unlink_file_trailing_slashes',
];

const cChecks = [
  'clock_getres_monotonic',
  'clock_getres_realtime',
  'clock_gettime_monotonic',
  'clock_gettime_realtime',
  'fdopendir_with_access',
  'fopen_with_access',
  'lseek',
  'pread_with_access',
  'pwrite_with_access',
  'pwrite_with_append',
  'sock_shutdown_not_sock',
  'stat_dev_ino',
];

/** C checks that, as in the suite, run with no preopened directory at all. */
const cChecksWithoutPreopens = ['fopen_with_no_access', 'sock_shutdown_invalid_fd'];

const assemblyScriptChecks = ['fd_write_to_invalid_fd', 'random_get_zero_length', 'random_get_non_zero_length'];

/** The guest's report line for `name`, or a description of what came out instead. */
function reportLine(result: RunResult, name: string): string {
  const line = result.stdout.split('\n').find((text) => text === `PASS ${name}` || text.startsWith(`FAIL ${name}:`));
  if (line !== undefined) return line;
  return (
    `no report line for ${name} (status ${result.status}, exit ${result.exitCode}` +
    `${result.trap ? `, trap ${JSON.stringify(result.trap)}` : ''}); ` +
    `stdout ${JSON.stringify(result.stdout)}, stderr ${JSON.stringify(result.stderr)}`
  );
}

/** Expects `PASS name` and the given exit code; the message is the guest's FAIL line. */
function expectPass(result: RunResult, name: string, exitCode = 0): void {
  const line = reportLine(result, name);
  expect(line, line).toBe(`PASS ${name}`);
  expect(result.exitCode, `${name}: exit code (${line}; stdout ${JSON.stringify(result.stdout)})`).toBe(exitCode);
}

async function run(config: SandboxConfig, args: string[]): Promise<RunResult> {
  return createSandbox(config).exec({ program, args }).result;
}

let root: string;

beforeEach(() => {
  expect(existsSync(program), `${program} is missing: the global setup builds it (wasm-tools/build-guests.mjs)`).toBe(true);
  root = mkdtempSync(join(tmpdir(), 'goodbot-wasi-checks-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const rootZone = (limits?: SandboxConfig['limits']): SandboxConfig => ({
  zones: [{ name: 'root', mode: 'rw', hostPath: root, guestPath: '/' }],
  ...(limits && { limits }),
});

/** Runs one check over the temporary folder; it must pass and leave the folder empty. */
async function runFsCheck(name: string, limits?: SandboxConfig['limits']): Promise<void> {
  const result = await run(rootZone(limits), [name]);
  expectPass(result, name);
  expect(readdirSync(root), `${name} left entries in the zone`).toEqual([]);
}

describe('wasi-testsuite rust/wasm32-wasip1', () => {
  for (const name of rustChecks) test(name, () => runFsCheck(name));
});

/** The same checks metered (instrumented for fuel, with a deadline and a memory cap): nothing may change. */
describe('wasi-testsuite rust/wasm32-wasip1, metered', () => {
  const limits = { fuel: 10_000_000_000, timeout: '60s', memory: '256MiB' };
  for (const name of rustChecks) test(name, () => runFsCheck(name, limits));
});

describe('wasi-testsuite c', () => {
  for (const name of cChecks) test(name, () => runFsCheck(name));

  for (const name of cChecksWithoutPreopens) {
    test(`${name} (no preopens)`, async () => {
      expectPass(await run({ zones: [] }, [name]), name);
    });
  }
});

describe('wasi-testsuite assemblyscript/wasm32-wasip1', () => {
  for (const name of assemblyScriptChecks) test(name, () => runFsCheck(name));

  const args = ['first', 'the "second" arg', '3'];

  test('args_get_multiple_arguments', async () => {
    const name = 'args_get_multiple_arguments';
    expectPass(await run(rootZone(), [name, ...args]), name);
  });

  test('args_sizes_get_multiple_arguments', async () => {
    const name = 'args_sizes_get_multiple_arguments';
    expectPass(await run(rootZone(), [name, ...args]), name);
  });

  test('args_sizes_get_no_arguments (argv is the program name only)', async () => {
    expectPass(await run(rootZone(), []), 'args_sizes_get_no_arguments');
  });

  test('environ_get_multiple_variables (exactly the policy variables)', async () => {
    const name = 'environ_get_multiple_variables';
    const config: SandboxConfig = { env: { set: { a: 'text', b: 'escap " ing', c: 'new\nline' } } };
    expectPass(await run(config, [name]), name);
  });

  test('environ_sizes_get_multiple_variables', async () => {
    const name = 'environ_sizes_get_multiple_variables';
    expectPass(await run({ env: { set: { a: 'b', b: 'c', c: 'd' } } }, [name]), name);
  });

  test('environ_sizes_get_no_variables (the host environment does not leak in)', async () => {
    const name = 'environ_sizes_get_no_variables';
    expectPass(await run({}, [name]), name);
  });

  test('fd_write_to_stdout (stdout starts with "hello")', async () => {
    const name = 'fd_write_to_stdout';
    const result = await run({}, [name]);
    expectPass(result, name);
    expect(result.stdout.startsWith('hello\n'), `stdout ${JSON.stringify(result.stdout)}`).toBe(true);
  });

  test('proc_exit_success (exit code 0)', async () => {
    const name = 'proc_exit_success';
    const result = await run({}, [name]);
    expectPass(result, name, 0);
    expect(result.status).toBe('exited');
  });

  test('proc_exit_failure (proc_exit(33) -> exit code 33)', async () => {
    const name = 'proc_exit_failure';
    const result = await run({}, [name]);
    expectPass(result, name, 33);
    expect(result.status).toBe('exited');
  });
});

describe('wasi-checks guest', () => {
  test('every check the guest knows is run by this file', async () => {
    const result = await run({}, ['--list']);
    expect(result.exitCode, result.stdout).toBe(0);
    const listed = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t')[0]);
    const covered = new Set([
      ...rustChecks,
      ...cChecks,
      ...cChecksWithoutPreopens,
      ...assemblyScriptChecks,
      'args_get_multiple_arguments',
      'args_sizes_get_multiple_arguments',
      'args_sizes_get_no_arguments',
      'environ_get_multiple_variables',
      'environ_sizes_get_multiple_variables',
      'environ_sizes_get_no_variables',
      'fd_write_to_stdout',
      'proc_exit_success',
      'proc_exit_failure',
    ]);
    expect(listed.filter((name) => !covered.has(name!))).toEqual([]);
    expect([...covered].filter((name) => !listed.includes(name))).toEqual([]);
  });

  test('`all` runs every setup-free check in one process', async () => {
    const result = await run(rootZone(), ['all']);
    const lines = result.stdout.split('\n').filter(Boolean);
    const failures = lines.filter((line) => !line.startsWith('PASS '));
    expect(failures, failures.join('\n')).toEqual([]);
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.at(-1)).toBe('PASS overwrite_preopen');
    expect(result.exitCode).toBe(0);
    expect(readdirSync(root)).toEqual([]);
  });
});
