import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type SandboxConfig } from '../../../src/node/index.js';

/**
 * goodbot's process interface (`goodbot_process.run`): tools that start
 * tools (xargs, find -exec, env CMD, python's subprocess and os.system),
 * each child a command of the run's shell, under the run's policy.
 */
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'goodbot-children-'));
  mkdirSync(join(root, 'src', 'pkg'), { recursive: true });
  writeFileSync(join(root, 'src', 'app.py'), 'print("app")  # TODO: tests\n');
  writeFileSync(join(root, 'src', 'pkg', 'util.py'), 'x = 1\n');
  writeFileSync(join(root, 'src', 'pkg', 'more.py'), '# TODO: docs\ny = 2\n');
  writeFileSync(join(root, 'notes.txt'), 'b\na\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  zones: [{ name: 'work', mode: 'rw', hostPath: root, guestPath: '/work' }],
  cwd: '/work',
  ...extra,
});

const sh = (line: string, extra: Partial<SandboxConfig> = {}) => createSandbox(config(extra)).exec({ program: 'sh', args: ['-c', line] }).result;

describe('tools that start tools', () => {
  it('xargs, find -exec, env CMD and nohup run their commands as children, in the working folder', async () => {
    const lines: [string, string][] = [
      ["find . -name '*.py' | sort | xargs grep -l TODO", './src/app.py\n./src/pkg/more.py\n'],
      ["find src -name '*.py' -exec wc -l {} \\; | sort", '1 src/app.py\n1 src/pkg/util.py\n2 src/pkg/more.py\n'],
      ["find src/pkg -name '*.py' -exec cat {} + | sort", '# TODO: docs\nx = 1\ny = 2\n'],
      ['echo a b c | xargs -n1 echo item', 'item a\nitem b\nitem c\n'],
      ["printf '%s\\n' one two | xargs -I{} sh -c 'echo \"<{}>\"'", '<one>\n<two>\n'],
      ['env GREETING=hi sh -c \'echo "$GREETING from $(pwd)"\'', 'hi from /work\n'],
      ['cd src && env -i ls pkg', 'more.py\nutil.py\n'],
      ['nohup sort notes.txt 2>/dev/null', 'a\nb\n'],
      ['echo x | xargs false; echo "xargs: $?"; find . -maxdepth 0 -exec false \\; -print; echo "find: $?"', 'xargs: 123\nfind: 0\n'],
    ];
    for (const [line, expected] of lines) {
      const result = await sh(line);
      expect([line, result.stdout, result.exitCode]).toEqual([line, expected, 0]);
    }
  });

  it("python's subprocess and os.system start commands and read what they wrote", async () => {
    const script = [
      'import os, subprocess',
      'r = subprocess.run(["sort", "notes.txt"], capture_output=True, text=True)',
      'print(repr(r.stdout), r.returncode)',
      'print(subprocess.check_output("ls src | wc -l", shell=True).decode().strip())',
      'print(subprocess.run(["tr", "a-z", "A-Z"], input=b"quiet\\n", stdout=subprocess.PIPE).stdout)',
      'print(subprocess.run(["sh", "-c", "echo err >&2; exit 3"], stderr=subprocess.STDOUT, stdout=subprocess.PIPE))',
      'print(subprocess.call(["ls"], cwd="src/pkg"))',
      'print(os.system("echo from system | tr a-z A-Z"))',
      'try:\n    subprocess.run(["no-such-tool"])\nexcept FileNotFoundError as e:\n    print("missing:", e.filename)',
      'p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)',
      'print(p.communicate("piped\\n"), p.returncode)',
    ].join('\n');
    writeFileSync(join(root, 'children.py'), script);
    const result = await sh('python3 children.py');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        "'a\\nb\\n' 0",
        '2',
        "b'QUIET\\n'",
        "CompletedProcess(args=['sh', '-c', 'echo err >&2; exit 3'], returncode=3, stdout=b'err\\n')",
        'more.py',
        'util.py',
        '0',
        'FROM SYSTEM',
        '0',
        'missing: no-such-tool',
        "('piped\\n', None) 0",
        '',
      ].join('\n'),
    );
  });

  it('attack: a child the policy does not allow is refused (126) and the refusal recorded, whoever starts it', async () => {
    const result = await sh('echo notes.txt | xargs rm; python3 -c \'import os; print(os.system("rm notes.txt") >> 8)\'', {
      tools: { allow: ['sh', 'echo', 'xargs', 'python3'] },
    });
    expect(result.stdout).toBe('126\n');
    expect(result.denials.filter((denial) => denial.reason === 'tool-not-allowed').map((denial) => denial.target)).toEqual(['rm', 'rm']);
  });

  it('attack: a child sees only the zones: no path it is given reaches the host', async () => {
    const result = await sh('echo /etc/passwd | xargs cat; find / -maxdepth 1 -name etc -exec ls {} \\; ; echo end');
    expect(result.stdout).toBe('end\n');
    expect(result.stderr).toContain("cat: can't open '/etc/passwd': No such file or directory");
  });

  it("attack: a child that never ends stops at the run's deadline, its parent with it", async () => {
    const result = await sh("echo x | xargs sh -c 'while :; do :; done'", { limits: { timeout: '1s' } });
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124 });
    const python = await sh('python3 -c "import os; os.system(\'yes > /dev/null\')"', { limits: { timeout: '1s' } });
    expect(python).toMatchObject({ status: 'timeout', exitCode: 124 });
  });

  it('attack: children that start children without end stop at 16 programs at once, not at the host memory', async () => {
    writeFileSync(join(root, 'again.sh'), 'echo x | xargs sh again.sh\n');
    const result = await sh('sh again.sh; echo "ended: $?"', { limits: { timeout: '60s' } });
    expect(result.stdout).toMatch(/ended: \d+\n$/);
    expect(result.stderr).toContain('more than 16 programs would run at once');
  });
});
