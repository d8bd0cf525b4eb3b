import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../../src/node/index.js';
import { guest, makeTree, removeTree, tempDir } from '../../helpers/guests.js';

/*
 * The preview2 face through the public API: probe (a preview1 C program
 * wrapped with jco's command adapter) runs as a component against host-folder
 * zones, and must see exactly what the policy grants.
 */

let base: string;
let sandbox: Sandbox;
let probe: string;

beforeAll(() => {
  probe = guest('probe.component.wasm');
  base = tempDir('goodbot-p2-');
  makeTree(base, {
    'input/hello.txt': 'hello\nworld\n',
    'input/sub/inner.txt': 'inner',
    'input/escape': { symlink: '../outside' },
    output: null,
    'outside/secret': 'SECRET',
  });
  sandbox = createSandbox(
    {
      zones: [
        { name: 'input', mode: 'ro', hostPath: join(base, 'input') },
        { name: 'output', mode: 'rw', hostPath: join(base, 'output'), quota: '64KiB' },
      ],
      env: { allow: ['GRANTED_*'], set: { MODE: 'test' } },
    },
    { hostEnv: { GRANTED_TOKEN: 'yes', SECRET_TOKEN: 'no', HOME: '/root' } },
  );
});

afterAll(() => removeTree(base));

/** probe's arguments for several commands: `read P ; ls D ; …`. */
function commands(...list: string[][]): string[] {
  return list.flatMap((command, i) => (i === 0 ? command : [';', ...command]));
}

async function run(args: string[], options: { stdin?: string } = {}) {
  return sandbox.exec({ program: probe, args, ...options }).result;
}

describe('a component through createSandbox', () => {
  it('runs as a component and gets its arguments', async () => {
    const result = await run(['args', 'one', 'two words']);
    expect(result.program.kind).toBe('component');
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    const [argv0, ...rest] = result.stdout.split('\n').filter(Boolean);
    expect(argv0).toMatch(/^arg: .*probe\.component\.wasm$/);
    expect(rest).toEqual(['arg: args', 'arg: one', 'arg: two words']);
  });

  it('sees only the environment the policy grants', async () => {
    const result = await run(['env']);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(['env: GRANTED_TOKEN=yes', 'env: MODE=test']);
  });

  it.each([0, 3, 42, 255])('exits with the exact code %i', async (code) => {
    const result = await run(['exit', String(code)]);
    expect(result.status).toBe('exited');
    expect(result.exitCode).toBe(code);
  });

  it('reports a failing main as exit code 2', async () => {
    const result = await run(['no-such-command']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('usage: probe');
  });

  it.each([
    ['unreachable', 'unreachable'],
    ['oob', 'out-of-bounds'],
    ['div0', 'divide-by-zero'],
  ])('traps on %s and the host stays alive', async (kind, trapKind) => {
    const trapped = await run(['trap', kind]);
    expect(trapped.status).toBe('trapped');
    expect(trapped.exitCode).toBe(134);
    expect(trapped.trap?.kind).toBe(trapKind);
    const after = await run(['read', '/input/hello.txt']);
    expect(after.stdout).toBe('read: ok hello|world|\n');
  });

  it('reads stdin', async () => {
    const result = await run(['cat'], { stdin: 'from stdin\n' });
    expect(result.stdout).toBe('from stdin\n');
  });

  it('reads a file of a read-only zone', async () => {
    const result = await run(commands(['read', '/input/hello.txt'], ['cat', '/input/sub/inner.txt']));
    expect(result.stdout).toBe('read: ok hello|world|\ninner');
  });

  it('writes, appends and reads back a file of a read-write zone', async () => {
    const result = await run(
      commands(
        ['write', '/output/new.txt', 'written'],
        ['append', '/output/new.txt', '+appended'],
        ['read', '/output/new.txt'],
        ['copy', '/input/hello.txt', '/output/copy.txt'],
      ),
    );
    expect(result.stdout).toBe('write: ok\nappend: ok\nread: ok written+appended\ncopy: ok 12\n');
    expect(readFileSync(join(base, 'output/new.txt'), 'utf8')).toBe('written+appended');
    expect(readFileSync(join(base, 'output/copy.txt'), 'utf8')).toBe('hello\nworld\n');
  });

  it('refuses changes to a read-only zone with EROFS and records them', async () => {
    const result = await run(
      commands(
        ['write', '/input/new.txt', 'x'],
        ['unlink', '/input/hello.txt'],
        ['mkdir', '/input/dir'],
        ['trunc', '/input/hello.txt'],
        ['futimes', '/input/hello.txt'],
      ),
    );
    expect(result.stdout).toBe('write: EROFS\nunlink: EROFS\nmkdir: EROFS\ntrunc: EROFS\nfutimes: EROFS\n');
    expect(result.denials.map((d) => [d.operation, d.reason, d.error])).toEqual([
      ['create', 'read-only-zone', 'EROFS'],
      ['unlink', 'read-only-zone', 'EROFS'],
      ['mkdir', 'read-only-zone', 'EROFS'],
      ['truncate', 'read-only-zone', 'EROFS'],
      ['set-times', 'read-only-zone', 'EROFS'],
    ]);
    expect(readFileSync(join(base, 'input/hello.txt'), 'utf8')).toBe('hello\nworld\n');
  });

  it('denies path escapes with EPERM', async () => {
    const result = await run(
      commands(
        ['read', '/input/escape/secret'],
        ['rawopen', '3', '../outside/secret'],
        ['rawopen', '3', '/etc/passwd'],
        ['symlink', '../../outside', '/output/link'],
      ),
    );
    expect(result.stdout).toBe('read: EPERM\nrawopen: EPERM\nrawopen: EPERM\nsymlink: EPERM\n');
    expect(result.stdout).not.toContain('SECRET');
    expect(result.denials.map((d) => d.reason)).toEqual(['symlink-escape', 'path-escape', 'path-escape', 'symlink-escape']);
  });

  it('enforces the zone quota with ENOSPC', async () => {
    const result = await run(['fill', '/output/big', '200000']);
    expect(result.stdout).toMatch(/^fill: ENOSPC after \d+\n$/);
    expect(result.denials.at(-1)).toMatchObject({ zone: 'output', reason: 'quota-exceeded', error: 'ENOSPC' });
  });

  it('lists directories and stats files', async () => {
    const result = await run(commands(['ls', '/input'], ['stat', '/input/hello.txt'], ['stat', '/input/sub'], ['lstat', '/input/escape']));
    expect(result.stdout.split('\n')).toEqual([
      'ls: ok escape,hello.txt,sub',
      'stat: ok file size=12 nlink=1',
      'stat: ok dir size=4096 nlink=2',
      'lstat: ok symlink size=10 nlink=1',
      '',
    ]);
  });

  it('shows stdio, one descriptor per zone, /dev and the mount-point root, nothing else', async () => {
    const result = await run(['fdscan']);
    expect(result.stdout).toBe('fdscan: ok 0,1,2,3,4,5,6\n');
  });

  it('prints what the same program prints as a core module', async () => {
    const args = commands(
      ['read', '/input/hello.txt'],
      ['ls', '/input/sub'],
      ['write', '/output/same.txt', 'same'],
      ['stat', '/output/same.txt'],
      ['link', '/output/same.txt', '/output/same2.txt'],
      ['stat', '/output/same2.txt'],
      ['rename', '/output/same2.txt', '/output/same3.txt'],
      ['readlink', '/input/escape'],
      ['unlink', '/output/same3.txt'],
      ['mkdir', '/output/d'],
      ['rmdir', '/output/d'],
      ['rmdir', '/output/d'],
      ['create', '/output/same.txt'],
      ['ftruncate', '/output/same.txt', '1'],
      ['utimes', '/output/same.txt'],
      ['read', '/input/nope'],
      ['env'],
      ['sleep', '5'],
    );
    const component = await run(args);
    const module = await sandbox.exec({ program: guest('probe.wasm'), args }).result;
    expect(component.stdout).toBe(module.stdout);
    expect(component.exitCode).toBe(module.exitCode);
  });
});

describe('a zone holding a socket file', () => {
  let dir: string;
  let server: Server;

  beforeAll(async () => {
    dir = tempDir('goodbot-p2-socket-');
    makeTree(dir, { 'file.txt': 'x' });
    server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'control.sock'), resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    removeTree(dir);
  });

  it('lists and stats it without trapping the adapter, and refuses to open it', async () => {
    const result = await createSandbox({ zones: [{ name: 'z', mode: 'ro', hostPath: dir }] }).exec({
      program: probe,
      args: commands(['ls', '/z'], ['stat', '/z/control.sock'], ['read', '/z/control.sock']),
    }).result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(result.stdout).toBe('ls: ok control.sock,file.txt\nstat: ok unknown size=0 nlink=1\nread: EACCES\n');
    expect(result.denials).toMatchObject([{ operation: 'open', reason: 'special-file' }]);
  });
});
