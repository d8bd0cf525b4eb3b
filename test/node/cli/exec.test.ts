import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goodbot as run, goodbotOnTerminal } from '../../helpers/cli.js';
import { guest, makeTree, removeTree, tempDir } from '../../helpers/guests.js';

/** `goodbot exec` as a user runs it: flags, exit statuses, --json, --audit, streaming. */
let root: string;

beforeAll(() => {
  root = tempDir();
  makeTree(root, { 'in/a.txt': 'alpha\n', out: null });
});

afterAll(() => removeTree(root));

const goodbot = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => run(root, args, options);

describe('goodbot exec', () => {
  it('runs a module with zones from --dir and streams its output', () => {
    const { status, stdout } = goodbot([
      'exec',
      '--dir',
      './in::/in:ro',
      '--dir',
      './out::/out',
      guest('probe.wasm'),
      'read',
      '/in/a.txt',
      ';',
      'write',
      '/out/b.txt',
      'beta',
      ';',
      'write',
      '/in/x',
      'y',
    ]);
    expect(status).toBe(0);
    expect(stdout).toBe('read: ok alpha|\nwrite: ok\nwrite: EROFS\n');
    expect(readFileSync(join(root, 'out', 'b.txt'), 'utf8')).toBe('beta');
  });

  it('passes stdin through and the guest exit code back', () => {
    expect(goodbot(['exec', guest('cat.wasm')], { input: 'piped text' }).stdout).toBe('piped text');
    expect(goodbot(['exec', guest('probe.wasm'), 'exit', '3']).status).toBe(3);
  });

  it('gives everything after PROGRAM to the guest, even option-like words', () => {
    const { stdout } = goodbot(['exec', '--', guest('probe.wasm'), 'args', '--json', '--dir', 'x']);
    expect(stdout).toContain('arg: --json\narg: --dir\narg: x\n');
  });

  it('passes --env values and only the host variables named', () => {
    const { stdout } = goodbot(['exec', '--env', 'VISIBLE', '--env', 'SET=1', guest('probe.wasm'), 'env'], {
      env: { VISIBLE: 'yes', HIDDEN: 'no' },
    });
    expect(stdout).toBe('env: VISIBLE=yes\nenv: SET=1\n');
  });

  it('prints one result object with --json', () => {
    const { status, stdout } = goodbot(['exec', '--json', '--dir', './in::/in:ro', guest('probe.wasm'), 'write', '/in/x', 'y']);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(status).toBe(0);
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'write: EROFS\n', stderr: '' });
    expect(result['denials']).toEqual([{ operation: 'create', target: '/in/x', zone: 'in', reason: 'read-only-zone', error: 'EROFS' }]);
    expect(typeof result['durationMs']).toBe('number');
  });

  it('reports a trap with exit status 134, in --json, and on a terminal', () => {
    expect(goodbot(['exec', guest('probe.wasm'), 'trap', 'unreachable'])).toMatchObject({ status: 134, stderr: '' });
    const json = JSON.parse(goodbot(['exec', '--json', guest('probe.wasm'), 'trap', 'unreachable']).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ status: 'trapped', exitCode: 134, trap: { kind: 'unreachable' } });
    const terminal = goodbotOnTerminal(root, ['exec', guest('probe.wasm'), 'trap', 'unreachable']);
    expect(terminal.status).toBe(134);
    expect(terminal.output).toMatch(/^goodbot: \S*probe\.wasm trapped: .*\(unreachable\)\n$/);
  });

  it('exits 126 for a file that is not WebAssembly', () => {
    writeFileSync(join(root, 'fake.wasm'), 'not wasm at all');
    const { status, stderr } = goodbot(['exec', 'fake.wasm']);
    expect(status).toBe(126);
    expect(stderr).toMatch(/not a WebAssembly binary/);
  });

  it('exits 127 for a program that does not exist', () => {
    expect(goodbot(['exec', 'missing.wasm']).status).toBe(127);
    expect(goodbot(['exec', 'no-such-tool']).status).toBe(127);
  });

  it('exits 125 for a bad policy, naming the file and field', () => {
    writeFileSync(join(root, 'bad.yaml'), 'sandbox:\n  zones:\n    - { name: a, mode: rwx, hostPath: ./in }\n');
    const { status, stderr } = goodbot(['exec', '--policy', 'bad.yaml', guest('probe.wasm')]);
    expect(status).toBe(125);
    expect(stderr).toContain('bad.yaml: sandbox.zones[0].mode');
  });

  it('exits 125 for bad flags, and --json reports the error as an object', () => {
    expect(goodbot(['exec', '--dir', 'in::relative', guest('probe.wasm')]).status).toBe(125);
    expect(goodbot(['exec', '--frobnicate', guest('probe.wasm')]).status).toBe(125);
    const { status, stdout } = goodbot(['exec', '--json', '--dir', './missing::/m:ro', guest('probe.wasm')]);
    expect(status).toBe(125);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'error', error: { kind: 'zone' } });
  });

  it('attack: a --dir mode it does not know (:RO, a trailing space) is refused, never mounted read-write', () => {
    for (const dir of ['./out::/out:RO', './out::/out:ro ']) {
      const { status, stdout, stderr } = goodbot(['exec', '--dir', dir, guest('probe.wasm'), 'write', '/out:RO/x', 'y']);
      expect(status).toBe(125);
      expect(stdout).toBe('');
      expect(stderr).toContain(`<command line>: --dir ${dir}: `);
      expect(stderr).toContain('is not a zone mode');
    }
  });

  it('takes --timeout as plain seconds, as docs/policy.md says', () => {
    const { status, stdout } = goodbot(['exec', '--timeout', '5', guest('probe.wasm'), 'args', 'x']);
    expect(status).toBe(0);
    expect(stdout).toContain('arg: x\n');
  });

  it('checks --allow-net entries, and a granted guest is refused what the grant does not cover', () => {
    const broad = goodbot(['exec', '--allow-net', '*.com:443', guest('probe.wasm')]);
    expect(broad.status).toBe(125);
    expect(broad.stderr).toContain("<command line>: --allow-net *.com:443: '*.com:443': *.com would grant every name under a top-level domain");
    const granted = goodbot(['exec', '--json', '--allow-net', '127.0.0.1:9', guest('netprobe.component.wasm'), 'tcp', '127.0.0.1', '10']);
    expect(granted.status).toBe(1);
    expect(JSON.parse(granted.stdout)).toMatchObject({
      stdout: 'connect: access-denied\n',
      denials: [{ operation: 'tcp-connect', target: '127.0.0.1:10' }],
    });
  });

  it('appends audit events with secrets redacted', () => {
    const audit = join(root, 'audit.jsonl');
    goodbot(['exec', '--audit', audit, '--env', 'LANG', '--env', 'API_TOKEN', '--dir', './in::/in:ro', guest('probe.wasm'), 'write', '/in/x', 'y'], {
      env: { LANG: 'C.UTF-8', API_TOKEN: 'tok-123' },
    });
    const text = readFileSync(audit, 'utf8');
    expect(text).not.toContain('tok-123');
    const events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e['event'])).toEqual(['run.start', 'zone.mount', 'zone.mount', 'zone.mount', 'access.denied', 'run.exit']);
    expect(events[2]).toMatchObject({ zone: 'devices', guestPath: '/dev', access: 'ro', kind: 'devices', internal: true });
    expect(events[3]).toMatchObject({ zone: 'mount-points', guestPath: '/', access: 'ro', internal: true });
    expect(events[0]).toMatchObject({ env: { LANG: 'C.UTF-8', API_TOKEN: '[redacted]' }, backend: 'wasm' });
    expect(events[0]!['policyDigest']).toMatch(/^sha256:/);
    expect(events[4]).toMatchObject({ operation: 'create', target: '/in/x', reason: 'read-only-zone' });
    expect(events[5]).toMatchObject({ status: 'exited', exitCode: 0, denials: 1 });
  });

  it("attack: a guest printing goodbot's own 'stopped (timeout)' line and exiting 124 cannot pass for a timeout", () => {
    const forged = 'goodbot: awk stopped (timeout): the run took longer than its 1 s timeout; raise it with --timeout or sandbox.limits.timeout';
    const awk = ['--', 'awk', `BEGIN { print "${forged}" > "/dev/stderr"; exit 124 }`];
    const spin = ['--timeout', '200ms', '--', guest('probe.wasm'), 'spin'];
    // In a pipe, goodbot writes no line of its own about how a run ended: such a line is always the guest's.
    expect(goodbot(['exec', ...awk])).toMatchObject({ status: 124, stdout: '', stderr: `${forged}\n` });
    expect(goodbot(['exec', ...spin])).toMatchObject({ status: 124, stdout: '', stderr: '' });
    // --json is goodbot's record: the guest's text is data inside it.
    const fake = JSON.parse(goodbot(['exec', '--json', ...awk]).stdout) as Record<string, unknown>;
    const real = JSON.parse(goodbot(['exec', '--json', ...spin]).stdout) as Record<string, unknown>;
    expect(fake).toMatchObject({ status: 'exited', exitCode: 124, stderr: `${forged}\n` });
    expect(fake['limit']).toBeUndefined();
    expect(real).toMatchObject({ status: 'timeout', exitCode: 124, stderr: '', limit: { kind: 'timeout' } });
  });

  it("starts goodbot's line on a terminal on a line of its own, after the guest's unfinished line", () => {
    const { output } = goodbotOnTerminal(root, ['exec', '--timeout', '1s', '--', 'awk', 'BEGIN { printf "partial"; fflush(); while (1) {} }']);
    expect(output).toMatch(/^partial\ngoodbot: awk stopped \(timeout\)/);
  });

  it('prints help', () => {
    const help = goodbot(['exec', '--help']).stdout;
    expect(help).toContain('usage: goodbot exec');
    expect(help).toMatch(/--allow-net[^]*namespace and docker\s+backends the sandbox's HTTP clients, through\s+goodbot's egress proxy/);
    expect(help).not.toContain('refused by the docker backend');
    expect(goodbot(['--help']).status).toBe(0);
  });
});
