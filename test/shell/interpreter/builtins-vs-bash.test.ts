import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommandLines } from '../command-lines.js';
import { bash, goodbotShell, projectFolder } from '../shell-harness.js';

const files = { 'a.txt': 'hello\nworld\n', 'data/a.csv': 'apple,3\nbanana,5\n', 'data/b.csv': 'kiwi,2\n' };

describe('the shell against bash, on lines of builtins and shell language', () => {
  it('gives the same output and status as bash for every line', async () => {
    const differences: unknown[] = [];
    for (const line of builtinCommandLines) {
      // Each line gets fresh copies of the files: lines write to them.
      const ours = projectFolder(files);
      const theirs = projectFolder(files);
      try {
        const got = await goodbotShell(line, ours.dir);
        const want = bash(line, theirs.dir);
        const same = (text: string, dir: string) => text.split(dir).join('<project>');
        const gotView = { stdout: same(got.stdout, ours.dir), status: got.status };
        const wantView = { stdout: same(want.stdout, theirs.dir), status: want.status };
        if (JSON.stringify(gotView) !== JSON.stringify(wantView)) differences.push({ line, goodbot: gotView, bash: wantView });
      } finally {
        ours.remove();
        theirs.remove();
      }
    }
    expect(differences).toEqual([]);
    expect(builtinCommandLines.length).toBeGreaterThanOrEqual(140);
  });

  it('words its errors as bash does', async () => {
    const { dir, remove } = projectFolder(files);
    try {
      const arithmetic = ['1/0', '10 / (5-5)', '1 +* 2', '2 ** -1', '5 % 0', '1 2', '08', '2#3'].map((expression) => `echo $((${expression}))`);
      for (const line of [
        'set -u; echo "$nope"',
        'echo hi >&-; echo $?',
        'echo x > /dev/full; echo $?',
        `set -x; x=1; A="b c" true; echo "a b" $x "it's" ""; y=$x z=2`,
        ...arithmetic,
        'cd nowhere',
        'echo x > data',
        'read < missing.txt',
        'nosuchcommand',
      ]) {
        const ours = await goodbotShell(line, dir);
        expect([line, ours.stderr]).toEqual([line, bash(line, dir).stderr]);
      }
    } finally {
      remove();
    }
  });
});

describe('the shell on its own', () => {
  let project: { dir: string; remove: () => void };
  beforeAll(() => {
    project = projectFolder(files);
  });
  afterAll(() => project.remove());

  it('reports a syntax error with its line and exits 2', async () => {
    expect(await goodbotShell('echo ok\nif true; then echo x; done', project.dir)).toMatchObject({
      stdout: '',
      stderr: "bash: -c: line 2: syntax error near unexpected token `done'\n",
      status: 2,
    });
  });

  it('names a construct it does not run and exits 2', async () => {
    expect(await goodbotShell('diff <(echo a) <(echo b)', project.dir)).toMatchObject({
      stderr: 'bash: -c: line 1: process substitution <(…) is not supported\n',
      status: 2,
    });
  });

  it('attack: a function calling itself without end stops at a nesting limit, not a host crash', async () => {
    const outcome = await goodbotShell('f() { f; }; f; echo unreachable', project.dir);
    expect(outcome).toMatchObject({ status: 1, stdout: '' });
    expect(outcome.stderr).toContain('maximum function nesting level exceeded (1000)');
  });

  it('attack: a command substitution that never stops writing stops at its capture limit', async () => {
    const outcome = await goodbotShell('x=$(while :; do echo yyyyyyyyyyyyyyyy; done); echo unreachable', project.dir, {
      run: { captureLimit: 4096 },
    });
    expect(outcome).toMatchObject({ status: 1, stdout: '', stderr: 'bash: line 1: command substitution output passed 4096 bytes\n' });
  });
});
