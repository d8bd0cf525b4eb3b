import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoodbotError } from '../../src/errors.js';
import { createSandbox, type ExecRequest, type SandboxConfig } from '../../src/node/index.js';
import { goodbot } from '../helpers/cli.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'goodbot-cwd-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'notes.md'), 'top notes\n');
  writeFileSync(join(root, 'src', 'config.json'), '{"name": "demo"}\n');
  writeFileSync(join(root, 'src', 'todo.txt'), 'TODO: one\n');
  writeFileSync(
    join(root, 'src', 'app.py'),
    'import json\nname = json.load(open("config.json"))["name"]\nopen("../out.txt", "w").write(name + "\\n")\nprint(name)\n',
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  zones: [{ name: 'work', mode: 'rw', hostPath: root, guestPath: '/work' }],
  cwd: '/work/src',
  ...extra,
});

async function run(request: ExecRequest, extra: Partial<SandboxConfig> = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await createSandbox(config(extra)).exec(request).result;
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
}

describe('the working folder', () => {
  it('is where every catalog tool resolves relative paths', async () => {
    const outcomes = await Promise.all([
      run({ program: 'cat', args: ['config.json'] }),
      run({ program: 'pwd' }),
      run({ program: 'ls' }),
      run({ program: 'python3', args: ['app.py'] }),
      run({ program: 'rg', args: ['-l', 'TODO'] }),
      run({ program: 'lua', args: ['-e', 'io.write(io.open("config.json"):read("a"))'] }),
      run({ program: 'jq', args: ['-r', '.name', 'config.json'] }),
      run({ program: 'sqlite3', args: ['made-here.db', 'create table t(x); select 7;'] }),
      run({ program: 'ruby', args: ['-e', 'print File.read("config.json")'] }),
    ]);
    expect(outcomes.map((outcome) => [outcome.exitCode, outcome.stdout])).toEqual([
      [0, '{"name": "demo"}\n'],
      [0, '/work/src\n'],
      [0, 'app.py\nconfig.json\ntodo.txt\n'],
      [0, 'demo\n'],
      [0, 'todo.txt\n'],
      [0, '{"name": "demo"}\n'],
      [0, 'demo\n'],
      [0, '7\n'],
      [0, '{"name": "demo"}\n'],
    ]);
    expect(readFileSync(join(root, 'out.txt'), 'utf8')).toBe('demo\n');
    expect(
      readFileSync(join(root, 'src', 'made-here.db'))
        .subarray(0, 15)
        .toString(),
    ).toBe('SQLite format 3');
  });

  it("is the request's when it gives one, over the policy's", async () => {
    expect(await run({ program: 'cat', args: ['notes.md'], cwd: '/work' })).toMatchObject({ exitCode: 0, stdout: 'top notes\n' });
  });

  it("wins over a PWD from the policy's environment", async () => {
    expect(await run({ program: 'pwd' }, { env: { set: { PWD: '/work' } } })).toMatchObject({ stdout: '/work/src\n' });
  });

  it('is refused when it is not a folder of the zones, before the tool runs', async () => {
    await expect(run({ program: 'cat', args: ['x'], cwd: '/work/missing' })).rejects.toThrow(
      "the working folder /work/missing does not exist in the run's zones",
    );
    await expect(run({ program: 'cat', args: ['x'], cwd: '/work/notes.md' })).rejects.toThrow('the working folder /work/notes.md is not a folder');
    await expect(run({ program: 'cat', args: ['x'], cwd: 'src' })).rejects.toThrow("the working folder 'src' is not an absolute guest path");
  });

  it('in a policy must lie in a zone', () => {
    let thrown: unknown;
    try {
      createSandbox(config({ cwd: '/elsewhere' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GoodbotError);
    expect(thrown).toMatchObject({ kind: 'policy', field: 'cwd', message: "'/elsewhere' lies in no zone" });
  });

  it('is set by goodbot exec --cwd', () => {
    const result = goodbot(root, ['exec', '--dir', `${root}::/work`, '--cwd', '/work/src', '--', 'cat', 'config.json']);
    expect(result).toMatchObject({ status: 0, stdout: '{"name": "demo"}\n' });
  });
});
