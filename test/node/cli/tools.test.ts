import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolRecipes } from '../../../src/tools/catalog.js';
import { goodbot } from '../../helpers/cli.js';
import { removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/** `goodbot tools …` and how `goodbot exec` treats catalog names, as a user sees them. */
const empty = tempDir('goodbot-cli-tools-');
afterAll(() => removeTree(empty));
const unbuilt = { GOODBOT_TOOLS_DIR: join(empty, 'tools') };

describe('goodbot tools', () => {
  it('lists every recipe with its version, kind, size and status', () => {
    const { status, stdout } = goodbot(repoRoot, ['tools', 'list']);
    expect(status).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TOOL\s+VERSION\s+KIND\s+SIZE\s+STATUS\s+COMMANDS$/);
    for (const recipe of toolRecipes) {
      expect(lines.some((line) => line.startsWith(`${recipe.name} `) && line.includes(recipe.version))).toBe(true);
    }
    expect(stdout).toMatch(/busybox .*applets: .*\bsort\b/);
  });

  it('lists nothing as built in an empty cache, and says how to build in info', () => {
    const list = goodbot(repoRoot, ['tools', 'list', '--json'], { env: unbuilt });
    const rows = JSON.parse(list.stdout) as { recipe: string; status: string }[];
    expect(rows.every((row) => row.status === 'not built')).toBe(true);
    const info = goodbot(repoRoot, ['tools', 'info', 'sort'], { env: unbuilt });
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/^argv\[0\]:\s+sort$/m);
    expect(info.stdout).toMatch(/^status:\s+not built \(goodbot tools build sort\)$/m);
  });

  it('refuses unknown names and options with a clear message', () => {
    const build = goodbot(repoRoot, ['tools', 'build', 'nosuchtool'], { env: unbuilt });
    expect(build.status).toBe(127);
    expect(build.stderr).toContain("no tool named 'nosuchtool' in the catalog");
    expect(goodbot(repoRoot, ['tools', 'build', '--everything']).status).toBe(125);
    expect(goodbot(repoRoot, ['tools', 'frobnicate']).stderr).toContain("unknown tools command 'frobnicate'");
  });
});

describe('goodbot exec with catalog names', () => {
  it('exits 127 with the exact command to build a tool that is not built', () => {
    const { status, stderr } = goodbot(repoRoot, ['exec', '--', 'jq', '.'], { env: unbuilt });
    expect(status).toBe(127);
    expect(stderr).toContain('jq is in the catalog but not built');
    expect(stderr).toContain('`goodbot tools build jq`');
  });

  it('builds a missing tool first with --build, with progress on stderr, then runs it', () => {
    const env = { GOODBOT_TOOLS_DIR: join(empty, 'build-on-demand') };
    const { status, stdout, stderr } = goodbot(repoRoot, ['exec', '--build', '--', 'lua', '-e', 'print(6 * 7)'], { env });
    expect(stderr).toMatch(/^\[lua\] building lua /m);
    expect(stderr).toMatch(/^\[lua\] built in /m);
    expect(stdout).toBe('42\n');
    expect(status).toBe(0);
    const again = goodbot(repoRoot, ['exec', '--build', '--', 'lua', '-e', 'print(1)'], { env });
    expect(again.stderr).toBe('');
  });

  it("suggests the tool meant by a typo: goodbot exec, tools info, tools build and the policy's tools.allow", () => {
    const exec = goodbot(repoRoot, ['exec', '--', 'pyhton3', '-c', 'pass']);
    expect(exec.status).toBe(127);
    expect(exec.stderr).toContain("(did you mean 'python3'? run `goodbot tools list`");
    expect(goodbot(repoRoot, ['tools', 'info', 'pyhton3']).stderr).toContain("did you mean 'python3'?");
    expect(goodbot(repoRoot, ['tools', 'build', 'srot'], { env: unbuilt }).stderr).toContain("did you mean 'sort'?");
    const policy = join(empty, 'typo.json');
    writeFileSync(policy, JSON.stringify({ sandbox: { tools: { allow: ['jq', 'pyhton3'] } } }));
    const allow = goodbot(repoRoot, ['exec', '--policy', policy, '--', 'jq', '.']);
    expect(allow.status).toBe(125);
    expect(allow.stderr).toContain("sandbox.tools.allow[1]: no tool named 'pyhton3' in the catalog (did you mean 'python3'?");
    expect(goodbot(repoRoot, ['exec', '--', 'gcc']).stderr).not.toContain('did you mean');
  });

  it('exits 127 pointing to --backend=docker for a tool the catalog does not have', () => {
    const { status, stderr } = goodbot(repoRoot, ['exec', '--', 'git', 'status']);
    expect(status).toBe(127);
    expect(stderr).toContain('--backend=docker');
  });

  it('exits 125 naming the policy field when the policy does not allow the tool', () => {
    const policy = join(empty, 'policy.json');
    writeFileSync(policy, JSON.stringify({ sandbox: { tools: { allow: ['cat'] } } }));
    const { status, stderr } = goodbot(repoRoot, ['exec', '--policy', policy, '--', 'jq', '.']);
    expect(status).toBe(125);
    expect(stderr).toContain('sandbox.tools.allow');
  });
});
