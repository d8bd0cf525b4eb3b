import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { lines, probe, runProbe } from '../helpers/guests.js';

/** /dev for a run: null, zero, full, random, urandom, stdin, stdout, stderr, as tools and scripts expect them. */
const scratch = { zones: [{ name: 'tmp', mode: 'tmpfs' as const }] };

describe('/dev', () => {
  it('holds the usual devices, and nothing can be created or removed in it', async () => {
    const result = await runProbe(
      scratch,
      ['ls', '/dev'],
      ['stat', '/dev/null'],
      ['read', '/dev/null'],
      ['write', '/dev/null', 'gone'],
      ['write', '/dev/full', 'x'],
      ['create', '/dev/new'],
      ['unlink', '/dev/null'],
      ['mkdir', '/dev/sub'],
    );
    expect(lines(result)).toEqual([
      'ls: ok full,null,random,stderr,stdin,stdout,urandom,zero',
      'stat: ok chardev size=0 nlink=1',
      'read: ok',
      'write: ok',
      'write: ENOSPC',
      'create: EROFS',
      'unlink: EROFS',
      'mkdir: EROFS',
    ]);
  });

  it("/dev/stdin, /dev/stdout and /dev/stderr are the run's own streams, under the same output cap", async () => {
    const sandbox = createSandbox({ ...scratch, limits: { maxOutput: '1KiB' } });
    const result = await sandbox.exec({
      program: probe(),
      args: ['cat', '/dev/stdin', ';', 'write', '/dev/stderr', 'to stderr', ';', 'write', '/dev/stdout', 'x'.repeat(4096)],
      stdin: 'from stdin\n',
    }).result;
    expect(result.stdout.startsWith('from stdin\n')).toBe(true);
    expect(result.stderr).toContain('to stderr');
    expect(result.status).toBe('output-limit');
  });

  it('reads zeros and random bytes with real tools, and a redirect to /dev/null works', async () => {
    const sandbox = createSandbox(scratch);
    const zeros = await sandbox.exec({ program: 'od', args: ['-An', '-tx1', '-N8', '/dev/zero'] }).result;
    expect(zeros.stdout.trim()).toBe('00 00 00 00 00 00 00 00');
    const random = await sandbox.exec({ program: 'head', args: ['-c', '32', '/dev/urandom'] }).result;
    expect(random.stdout.length).toBeGreaterThan(0);
    const python = await sandbox.exec({
      program: 'python3',
      args: ['-c', 'import os, sys; open("/dev/null", "w").write("x"); print(len(open("/dev/urandom", "rb").read(16)), os.path.exists("/dev/null"))'],
    }).result;
    expect(python.stdout).toBe('16 True\n');
  });

  it('a zone of the policy at /dev takes its place', async () => {
    const result = await runProbe({ zones: [{ name: 'dev', mode: 'tmpfs' }] }, ['write', '/dev/null', 'a file now'], ['stat', '/dev/null']);
    expect(lines(result)).toEqual(['write: ok', 'stat: ok file size=10 nlink=1']);
  });

  it('a run without zones sees no filesystem at all, /dev included', async () => {
    const result = await runProbe({}, ['read', '/dev/null'], ['fdscan']);
    expect(lines(result)).toEqual([expect.stringMatching(/^read: E(NOTCAPABLE|NOENT)$/), 'fdscan: ok 0,1,2']);
  });
});
