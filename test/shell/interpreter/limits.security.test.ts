import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockingWait } from '../../../src/limits/blocking-wait.js';
import { goodbotShell, projectFolder } from '../shell-harness.js';

/** A run deadline MS from now, whose checkpoint throws as the run limiter's does. */
function deadlineIn(ms: number): BlockingWait {
  const deadline = performance.now() + ms;
  return {
    deadline,
    checkpoint: (detail) => {
      if (performance.now() >= deadline) throw new Error(`timeout${detail}`);
    },
  };
}

describe('the shell under the run limits', () => {
  let project: { dir: string; remove: () => void };
  beforeAll(() => {
    project = projectFolder({ 'a.txt': 'a\n' });
  });
  afterAll(() => project.remove());

  it('attack: a shell loop with no program in it (`while true; do :; done`) still stops at the run deadline', async () => {
    const started = performance.now();
    for (const line of [
      'while true; do :; done',
      'until false; do x=1; done',
      'for ((;;)); do :; done',
      'while :; do echo y; done | while read l; do :; done',
    ]) {
      await expect(goodbotShell(line, project.dir, { run: { wait: deadlineIn(150) } })).rejects.toThrow('timeout (in the shell)');
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('the shell against expansions that would fill the host memory', () => {
  it('attack: a brace expansion of millions of words (or a range of a billion) is refused, not built', async () => {
    const project = projectFolder({});
    try {
      for (const line of ['echo {1..9}{1..9}{1..9}{1..9}{1..9}{1..9}', 'echo {1..1000000000}']) {
        const outcome = await goodbotShell(line, project.dir);
        expect([line, outcome.status, outcome.stderr]).toEqual([line, 1, 'bash: line 1: brace expansion makes more than 100000 words\n']);
      }
    } finally {
      project.remove();
    }
  });

  it('attack: a value doubled in a loop, a billion-wide printf field, element 10^9 of an array or a multiplying replacement stop at the shell value bounds', async () => {
    const project = projectFolder({});
    try {
      const cases: [string, string][] = [
        ['x=a; while :; do x=$x$x; done', 'a word would hold more than 16777216 characters'],
        ["printf '%*s' 1000000000 x", 'printf: a field of 1000000000 characters is wider than 16777216'],
        ['a[1000000000]=x', 'a[1000000000]: array indices run from 0 to 1000000'],
        ['x=$(printf "%5000s" ""); y=${x// /$x}', 'a replacement would make a value of more than 16777216 characters'],
      ];
      for (const [line, message] of cases) {
        const started = performance.now();
        const outcome = await goodbotShell(line, project.dir);
        expect([line, outcome.status, outcome.stderr]).toEqual([line, 1, `bash: line 1: ${message}\n`]);
        expect(performance.now() - started).toBeLessThan(5000);
      }
    } finally {
      project.remove();
    }
  });
});

describe('the shell inside the zones', () => {
  let project: { dir: string; remove: () => void };
  beforeAll(() => {
    project = projectFolder({ 'notes.md': 'original\n', 'sub/file.txt': 'x\n' });
  });
  afterAll(() => project.remove());

  it('attack: a redirection into a read-only zone is refused, audited, and changes nothing on the host', async () => {
    const outcome = await goodbotShell('echo forged > notes.md; echo "status $?"; echo more >> sub/new.txt; echo "status $?"', project.dir, {
      access: 'ro',
    });
    expect(outcome.stdout).toBe('status 1\nstatus 1\n');
    expect(outcome.stderr).toMatch(/notes\.md: (Read-only file system|Permission denied)/);
    expect(outcome.denials.map((denial) => [denial.operation, denial.reason])).toEqual([
      ['truncate', 'read-only-zone'],
      ['create', 'read-only-zone'],
    ]);
    expect(readFileSync(`${project.dir}/notes.md`, 'utf8')).toBe('original\n');
  });

  it('attack: `cd ..` above the zone and globbing there see only the mount points, never the host', async () => {
    const outcome = await goodbotShell('cd /; cd ..; pwd; echo /*; echo /etc/*; cd /etc; echo "cd $?"', project.dir);
    const top = `/${project.dir.split('/')[1]}`;
    expect(outcome.stdout).toBe(`/\n${['/dev', top].sort().join(' ')}\n/etc/*\ncd 1\n`);
  });

  it('attack: reading a host file by an absolute path, `..` chains or a symlink out of the zone fails', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/passwd', `${project.dir}/passwd-link`);
    symlinkSync('/etc', `${project.dir}/etc-link`);
    const outcome = await goodbotShell(
      'for f in /etc/passwd ../../../../etc/passwd passwd-link; do read -r l < $f || echo "no $f"; done; echo etc-link/*; [ -e etc-link/passwd ] || echo hidden',
      project.dir,
    );
    expect(outcome.stdout).toBe('no /etc/passwd\nno ../../../../etc/passwd\nno passwd-link\netc-link/*\nhidden\n');
    expect(outcome.stdout + outcome.stderr).not.toContain('root:');
  });
});
