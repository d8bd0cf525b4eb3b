import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type AuditEvent, type ExecRequest, type SandboxConfig } from '../../src/node/index.js';
import { goodbot } from '../helpers/cli.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'goodbot-sh-'));
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'data'));
  mkdirSync(join(root, 'out'));
  writeFileSync(join(root, 'src', 'app.py'), 'import json\nprint(json.dumps({"ok": True, "cwd": __import__("os").getcwd()}))\n');
  writeFileSync(join(root, 'src', 'util.py'), '# TODO: types\n');
  writeFileSync(join(root, 'src', 'main.c'), 'int main(void) { return 0; } // TODO: more\n');
  writeFileSync(join(root, 'data', 'a.csv'), 'x\ny\nz\n');
  writeFileSync(join(root, 'data', 'b.csv'), 'x\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  zones: [{ name: 'work', mode: 'rw', hostPath: root, guestPath: '/work' }],
  cwd: '/work',
  ...extra,
});

async function sh(line: string, extra: Partial<SandboxConfig> = {}, request: Partial<ExecRequest> = {}) {
  const audit: AuditEvent[] = [];
  const result = await createSandbox(config(extra), { audit: { record: (event) => audit.push(event) } }).exec({
    program: 'sh',
    args: ['-c', line],
    ...request,
  }).result;
  return { result, audit };
}

describe('sh -c on WebAssembly: command lines over the catalog tools', () => {
  it('runs the command lines agents write', async () => {
    const lines: [string, string][] = [
      ['grep -rn TODO src | sort', 'src/main.c:1:int main(void) { return 0; } // TODO: more\nsrc/util.py:1:# TODO: types\n'],
      ['cd src && python3 app.py > ../out/result.json && cat ../out/result.json', '{"ok": true, "cwd": "/work/src"}\n'],
      ['for f in data/*.csv; do wc -l "$f"; done', '3 data/a.csv\n1 data/b.csv\n'],
      ["cat > notes.md <<'EOF'\n# Notes\n$HOME stays\nEOF\ncat notes.md | wc -l", '2\n'],
      ['n=$(ls src | wc -l); echo "files: $n"', 'files: 3\n'],
      ['sort -r data/a.csv | head -1 | tr a-z A-Z', 'Z\n'],
      ['ls nothing 2>/dev/null || echo missing', 'missing\n'],
      ['cat data/a.csv | while read -r l; do printf "<%s>" "$l"; done; echo', '<x><y><z>\n'],
    ];
    for (const [line, expected] of lines) {
      const { result } = await sh(line);
      expect([line, result.stdout, result.exitCode]).toEqual([line, expected, 0]);
    }
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('# Notes\n$HOME stays\n');
  });

  it('runs a script file of a zone with its arguments, and a script read from stdin (sh -s, bash with no arguments)', async () => {
    writeFileSync(join(root, 'count.sh'), '#!/bin/sh\nset -e\nfor f in "$@"; do printf "%s %s\\n" "$(wc -l < "$f")" "$f"; done\necho "from $0"\n');
    const file = await createSandbox(config()).exec({ program: 'sh', args: ['count.sh', 'data/a.csv', 'data/b.csv'] }).result;
    expect(file).toMatchObject({ exitCode: 0, stdout: '3 data/a.csv\n1 data/b.csv\nfrom count.sh\n' });
    const piped = await createSandbox(config()).exec({ program: 'bash', args: ['-s', 'one', 'two'], stdin: 'echo "$# $2"; ls data | wc -l\n' })
      .result;
    expect(piped).toMatchObject({ exitCode: 0, stdout: '2 two\n2\n' });
    const missing = await createSandbox(config()).exec({ program: 'sh', args: ['nope.sh'] }).result;
    expect(missing).toMatchObject({ exitCode: 127, stderr: 'sh: nope.sh: No such file or directory\n' });
  });

  it('runs ./script files by their #! line: this shell for sh and bash (and none), the catalog tool for python3', async () => {
    writeFileSync(join(root, 'run.sh'), '#!/bin/bash\necho "run $1"; exit 4\n');
    writeFileSync(join(root, 'plain'), 'echo plain $#\n');
    writeFileSync(join(root, 'tool.py'), '#!/usr/bin/env python3\nimport sys; print("py", sys.argv[1:])\n');
    writeFileSync(join(root, 'odd'), '#!/usr/bin/perl\nprint 1\n');
    const lines: [string, string, number][] = [
      ['./run.sh a; echo "status $?"', 'run a\nstatus 4\n', 0],
      ['./plain x y', 'plain 2\n', 0],
      ['cd src && ../tool.py 1 2', "py ['1', '2']\n", 0],
      ['./missing.sh', '', 127],
      ['./odd', '', 126],
      ['./src', '', 126],
    ];
    for (const [line, stdout, exitCode] of lines) expect([line, (await sh(line)).result]).toMatchObject([line, { stdout, exitCode }]);
    expect((await sh('./odd')).result.stderr).toBe('sh: line 1: ./odd: /usr/bin/perl: bad interpreter: No such file or directory\n');
  });

  it('gives exit statuses as a shell does, and records the run as a shell run', async () => {
    const { result, audit } = await sh('cat data/b.csv; false || exit 3');
    expect(result).toMatchObject({ status: 'exited', exitCode: 3, stdout: 'x\n', program: { name: 'sh', kind: 'shell' } });
    expect(audit.find((event) => event.event === 'run.start')).toMatchObject({
      program: 'sh',
      programKind: 'shell',
      args: ['sh', '-c', 'cat data/b.csv; false || exit 3'],
    });
    expect((await sh('nosuchtool x')).result).toMatchObject({ exitCode: 127, stderr: 'sh: line 1: nosuchtool: command not found\n' });
    expect((await sh('if then')).result).toMatchObject({ exitCode: 2, stderr: "sh: -c: line 1: syntax error near unexpected token `then'\n" });
  });

  it('attack: a command line starting a tool tools.allow refuses is refused that command, and audited', async () => {
    const { result, audit } = await sh('grep -c x data/a.csv; cat data/b.csv', { tools: { allow: ['sh', 'cat'] } });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'x\n', stderr: 'sh: grep: the policy does not allow this tool (sandbox.tools.allow)\n' });
    expect(audit.filter((event) => event.event === 'access.denied')).toMatchObject([
      { operation: 'run-tool', target: 'grep', reason: 'tool-not-allowed' },
    ]);
  });

  it('attack: a shell loop with no program in it stops at the run deadline (timeout, 124)', async () => {
    const { result } = await sh('while true; do :; done', { limits: { timeout: '300ms' } });
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124 });
  });

  it('attack: output past the cap ends the run with output-limit, whether a tool or the shell itself writes it', async () => {
    for (const line of [
      'cat data/a.csv data/a.csv data/a.csv',
      'while true; do echo yyyyyyyy; done',
      'printf "%s\\n" {1..1000} | cat',
      'seq 1000 | cat',
    ]) {
      const { result } = await sh(line, { limits: { maxOutput: '8B' } });
      expect([line, result.status, result.exitCode, result.stdout.length]).toEqual([line, 'output-limit', 124, 8]);
    }
  });

  it('attack: a producer whose reader has gone ends silently, as SIGPIPE ends it, and the line goes on', async () => {
    const { result } = await sh('yes | head -1; echo after');
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'y\nafter\n', stderr: '' });
  });

  it('gives the whole command line one fuel budget', async () => {
    const single = (await sh('python3 -c pass', { limits: { fuel: 10_000_000_000 } })).result.fuelConsumed!;
    const { result } = await sh('for i in 1 2 3 4 5 6; do python3 -c pass; done; echo done', { limits: { fuel: Math.floor(single * 3.5) } });
    expect(result).toMatchObject({ status: 'fuel-exhausted', exitCode: 124 });
    expect(result.stdout).toBe('');
  });

  it('is what goodbot exec -- sh -c runs', () => {
    const cli = goodbot(root, ['exec', '--dir', `${root}::/work`, '--cwd', '/work', '--', 'sh', '-c', 'ls data | wc -l; bash -c "echo nested"']);
    expect(cli).toMatchObject({ status: 0, stdout: '2\nnested\n' });
  });
});
