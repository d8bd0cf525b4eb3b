import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { runsInWebAssembly } from '../../src/shell/command-names.js';
import { findTool } from '../../src/tools/catalog.js';

const isTool = (name: string) => findTool(name) !== undefined;
const decide = (line: string) => (runsInWebAssembly(['-c', line], isTool) ? 'wasm' : 'docker');

describe('--backend=auto for a command line', () => {
  it('runs it in WebAssembly when every command is a builtin, a function it defines or a catalog tool', () => {
    const lines = [
      'grep -rn TODO src | sort',
      'cd src && python3 app.py > ../out.json',
      'for f in *.csv; do wc -l "$f"; done',
      'count() { wc -l < "$1"; }; count notes.md',
      'x=$(jq -r .name config.json); echo "$x"',
      "bash -c 'sort data.txt | uniq'",
      'command -v git || echo no git',
      'if [ -f x ]; then cat x; fi',
    ];
    expect(lines.map((line) => [line, decide(line)])).toEqual(lines.map((line) => [line, 'wasm']));
  });

  it('runs it in a container when a command has no WebAssembly build, or its name is known only when it runs', () => {
    const lines = [
      'git status',
      'make && ./app',
      'echo "$(git rev-parse HEAD)"',
      'cmd=ls; $cmd',
      "sh -c 'gcc -o app app.c'",
      'eval "$line"',
      'for f in *.c; do gcc -c "$f"; done',
      'command gcc --version',
    ];
    expect(lines.map((line) => [line, decide(line)])).toEqual(lines.map((line) => [line, 'docker']));
  });

  it('runs a script file or stdin in WebAssembly: they cannot be read beforehand', () => {
    expect(runsInWebAssembly(['build.sh'], isTool)).toBe(true);
    expect(runsInWebAssembly(['-s'], isTool)).toBe(true);
    expect(runsInWebAssembly([], isTool)).toBe(true);
  });

  it('takes the WebAssembly shell for a line of catalog tools, with auto', async () => {
    const root = mkdtempSync(join(tmpdir(), 'goodbot-auto-'));
    try {
      writeFileSync(join(root, 'a.txt'), 'b\na\n');
      const result = await createSandbox({ backend: 'auto', zones: [{ name: 'w', mode: 'ro', hostPath: root, guestPath: '/w' }], cwd: '/w' }).exec({
        program: 'sh',
        args: ['-c', 'sort a.txt | head -1'],
      }).result;
      expect(result).toMatchObject({ backend: 'wasm', program: { kind: 'shell' }, stdout: 'a\n', exitCode: 0 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
