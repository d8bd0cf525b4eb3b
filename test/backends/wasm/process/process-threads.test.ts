import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type AuditEvent, type SandboxConfig } from '../../../../src/node/index.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'goodbot-pipes-'));
  mkdirSync(join(root, 'work'));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'work', 'notes.txt'), 'b TODO\na done\nc TODO\n');
  writeFileSync(join(root, 'docs', 'readme.md'), '# docs\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  zones: [
    { name: 'work', mode: 'rw', hostPath: join(root, 'work'), guestPath: '/work' },
    { name: 'docs', mode: 'ro', hostPath: join(root, 'docs'), guestPath: '/docs' },
    { name: 'scratch', mode: 'tmpfs', guestPath: '/scratch' },
  ],
  cwd: '/work',
  ...extra,
});

function sh(line: string, extra: Partial<SandboxConfig> = {}) {
  const audit: AuditEvent[] = [];
  const run = createSandbox(config(extra), { audit: { record: (event) => audit.push(event) } }).exec({ program: 'sh', args: ['-c', line] });
  return { run, audit, result: run.result };
}

describe("a pipeline's programs run at once, each on a thread of its own", () => {
  it('streams: a producer stops as soon as its reader does, however much it could still write', async () => {
    const { result } = sh('yes | head -2; seq 1 100000000 | head -3; yes | head -c 3000000 | wc -c', { limits: { fuel: 3_000_000_000 } });
    // 100 million lines would take far more fuel than the budget: seq was stopped after its first pipeful.
    expect(await result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'y\ny\n1\n2\n3\n3000000\n', stderr: '' });
  });

  it('a pipe stays open while any command of its side still writes it, as a shared descriptor does', async () => {
    const { result } = sh('{ grep TODO notes.txt; echo between; grep done notes.txt; } | sort | cat -n');
    expect((await result).stdout).toBe('     1\ta done\n     2\tb TODO\n     3\tbetween\n     4\tc TODO\n');
  });

  it("reads and writes the run's zones through the run: in-memory files the shell wrote, and the run's audit", async () => {
    const { result, audit } = sh('echo hello > /scratch/a; cd /scratch && cat a | tr a-z A-Z | tee b; cat /docs/readme.md | wc -l; cat /scratch/b');
    expect(await result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'HELLO\n1\nHELLO\n' });
    expect(audit.filter((event) => event.event === 'zone.mount').map((event) => (event as { zone?: string }).zone)).toContain('scratch');
  });

  it("attack: a piped command's write to a read-only zone is refused and recorded as the run's denial", async () => {
    const { result, audit } = sh('echo secret | tee /docs/planted.md | cat; echo "tee: $?"');
    const done = await result;
    expect(done.stdout).toBe('secret\ntee: 0\n');
    expect(done.stderr).toMatch(/planted\.md/);
    expect(done.denials).toEqual([expect.objectContaining({ zone: 'docs', reason: 'read-only-zone', target: '/docs/planted.md' })]);
    expect(audit.some((event) => event.event === 'access.denied' && (event as { target?: string }).target === '/docs/planted.md')).toBe(true);
  });

  it('attack: a pipeline that never ends stops at the run deadline, all its commands with it', async () => {
    const { result } = sh('yes | sort | cat', { limits: { timeout: '1s' } });
    expect(await result).toMatchObject({ status: 'timeout', exitCode: 124 });
  });

  it('attack: the commands running at once spend one fuel budget', async () => {
    const { result } = sh('yes | sort | cat', { limits: { fuel: 300_000_000 } });
    const done = await result;
    expect(done).toMatchObject({ status: 'fuel-exhausted', exitCode: 124 });
    // Each thread may hold at most one slice beyond the budget when it stops.
    expect(done.fuelConsumed).toBeLessThanOrEqual(300_000_000 + 3 * 1_000_000);
  });

  it('attack: output from a piped command counts against the run output cap', async () => {
    const { result } = sh('yes | cat', { limits: { maxOutput: '1000B' } });
    const done = await result;
    expect([done.status, done.exitCode, done.stdout.length]).toEqual(['output-limit', 124, 1000]);
  });

  it('attack: a cancel stops every command of a running pipeline', async () => {
    const { run, result } = sh('yes | sort | cat');
    setTimeout(() => run.cancel(), 300);
    expect(await result).toMatchObject({ status: 'cancelled', exitCode: 124 });
  });

  it('runs the programs of a background job beside what follows it', async () => {
    // Run on the shell's thread, sleep would end before `started` is read, and the difference would be 0.
    const { result } = sh('sleep 2 & started=$(date +%s); wait; echo "waited: $(( $(date +%s) - started >= 1 ))"');
    expect((await result).stdout).toBe('waited: 1\n');
  });

  it('keeps pipes whole, commands one after another, where the run must be reproducible (deterministic)', async () => {
    const { result } = sh('yes | head -1; echo after', { deterministic: true });
    const done = await result;
    expect(done).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'y\nafter\n' });
    expect(done.stderr).toContain('a pipe between programs that run one after another passed 16777216 bytes: its writer was stopped');
  });
});
