import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.js';
import type { Backend, RunOutcome } from '../../src/backends/backend.js';
import { compileSandboxConfig } from '../../src/policy/compile.js';
import type { RunEvent } from '../../src/run/events.js';
import { startRun } from '../../src/run/start-run.js';
import { createSandbox, WorkerPool, type SandboxConfig } from '../../src/node/index.js';
import { probe } from '../helpers/guests.js';

/**
 * The run recorder writes every run's trail in one order, whatever carried
 * the run out: `run.start`, `zone.mount`s, `access.denied`, then
 * `limit.exceeded` when a limit ended it, then `run.exit` last.
 */

/** An in-memory read-only zone the probe tries to write (a denial), then a spin a limit ends. */
const config: SandboxConfig = { zones: [{ name: 'notes', mode: 'tmpfs', guestPath: '/notes' }], limits: { timeout: '400ms' } };
const readOnly: SandboxConfig = { zones: [{ name: 'input', mode: 'ro', hostPath: '.', guestPath: '/input' }], limits: { timeout: '400ms' } };
const deniedThenSpin = ['write', '/input/x', 'hi', ';', 'spin'];

const names = (trail: readonly AuditEvent[]) => trail.map((event) => event.event);
const eventTypes = async (events: AsyncIterable<RunEvent>) => {
  const types: string[] = [];
  for await (const event of events) if (event.type !== 'stdout' && event.type !== 'stderr') types.push(event.type);
  return types;
};
const expectedTrail = ['run.start', 'zone.mount', 'zone.mount', 'zone.mount', 'access.denied', 'limit.exceeded', 'run.exit'];

describe('the order of a run trail', () => {
  it('WebAssembly on the calling thread: start, zones, denial, limit, exit', async () => {
    const trail: AuditEvent[] = [];
    const run = createSandbox(readOnly, { audit: { record: (event) => trail.push(event) } }).exec({ program: probe(), args: deniedThenSpin });
    const [types, result] = await Promise.all([eventTypes(run.events), run.result]);
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124, backend: 'wasm' });
    expect(names(trail)).toEqual(expectedTrail);
    expect(types).toEqual(['start', 'zone', 'zone', 'zone', 'denied', 'end']);
    expect(trail.at(-1)).toMatchObject({ event: 'run.exit', status: 'timeout', denials: 1 });
  });

  it('a run with a tmpfs zone and no limit hit ends with run.exit right after its records', async () => {
    const trail: AuditEvent[] = [];
    const result = await createSandbox(config, { audit: { record: (event) => trail.push(event) } }).exec({
      program: probe(),
      args: ['write', '/notes/a', 'hi'],
    }).result;
    expect(result.status).toBe('exited');
    expect(names(trail)).toEqual(['run.start', 'zone.mount', 'zone.mount', 'zone.mount', 'run.exit']);
  });

  describe('WebAssembly on the worker pool', () => {
    let pool: WorkerPool;
    const trail: AuditEvent[] = [];
    const trailOf = (runId: string) => names(trail.filter((event) => event.runId === runId));

    beforeAll(async () => {
      pool = new WorkerPool({ size: 1, graceMs: 200, audit: { record: (event) => trail.push(event) } });
      await pool.ready();
    });
    afterAll(() => pool.close());

    it('the same trail as on the calling thread, written by the recorder on the calling thread', async () => {
      const run = pool.exec(readOnly, { program: probe(), args: deniedThenSpin });
      const [types, result] = await Promise.all([eventTypes(run.events), run.result]);
      expect(result).toMatchObject({ status: 'timeout', exitCode: 124, denials: [{ reason: 'read-only-zone' }] });
      expect(trailOf(run.id)).toEqual(expectedTrail);
      expect(types).toEqual(['start', 'zone', 'zone', 'zone', 'denied', 'end']);
    });

    it('attack: a guest the pool kills (backstop) still gets its whole trail, and nothing its dead worker says after', async () => {
      // No timeout or fuel: the guest is not metered and cannot see the cancel; only terminating its worker stops it.
      const run = pool.exec({ zones: readOnly.zones! }, { program: probe(), args: deniedThenSpin });
      setTimeout(() => run.cancel(), 300);
      const result = await run.result;
      expect(result).toMatchObject({ status: 'cancelled', exitCode: 124, denials: [{ reason: 'read-only-zone' }] });
      expect(result.limit?.message).toMatch(/its worker was terminated/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(trailOf(run.id)).toEqual(expectedTrail);
      expect(trail.findLast((event) => event.runId === run.id)).toMatchObject({ event: 'run.exit', status: 'cancelled', denials: 1 });
    });

    it('attack: a run cancelled while queued gets run.start, limit.exceeded and run.exit, and never runs', async () => {
      const busy = pool.exec({ limits: { timeout: '2s' } }, { program: probe(), args: ['sleep', '300'] });
      const queued = pool.exec(readOnly, { program: probe(), args: ['write', '/input/x', 'hi'] });
      queued.cancel();
      const [types, result] = await Promise.all([eventTypes(queued.events), queued.result]);
      await busy.result;
      expect(result).toMatchObject({ status: 'cancelled', program: { kind: 'module' }, denials: [] });
      expect(trailOf(queued.id)).toEqual(['run.start', 'limit.exceeded', 'run.exit']);
      // The environment was never built: the record says nothing rather than something false.
      expect(trail.find((event) => event.runId === queued.id && event.event === 'run.start')).not.toHaveProperty('env');
      expect(types).toEqual(['start', 'end']);
    });
  });

  it('Docker: start, zones, limit, exit', async () => {
    const trail: AuditEvent[] = [];
    const sandbox = createSandbox(
      { backend: 'docker', zones: [{ name: 'scratch', mode: 'tmpfs', guestPath: '/scratch' }], limits: { timeout: '2s' } },
      { audit: { record: (event) => trail.push(event) } },
    );
    const run = sandbox.exec({ program: 'sleep', args: ['30'] });
    const [types, result] = await Promise.all([eventTypes(run.events), run.result]);
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124, backend: 'docker', program: { kind: 'container' } });
    expect(names(trail)).toEqual(['run.start', 'zone.mount', 'limit.exceeded', 'run.exit']);
    expect(types).toEqual(['start', 'zone', 'end']);
  }, 60_000);
});

describe('the recorder as a backend sees it', () => {
  const policy = compileSandboxConfig({}, { file: '<test>', baseDir: '/' });
  const launch = (backend: Backend, trail: AuditEvent[]) =>
    startRun({
      policy,
      request: { program: 'scripted', args: ['a'] },
      backend,
      policyDigest: async () => 'digest',
      audit: { record: (event) => trail.push(event) },
    });
  const outcome: RunOutcome = {
    status: 'exited',
    exitCode: 0,
    durationMs: 1,
    denialCount: 0,
    backend: 'wasm',
    program: { name: 'scripted', kind: 'module' },
  };

  it('attack: a backend that keeps reporting after its outcome adds nothing to the trail or the result', async () => {
    const trail: AuditEvent[] = [];
    let late: (() => void) | undefined;
    const run = launch(
      {
        name: 'wasm',
        run: async ({ reporter }) => {
          reporter.started({ program: 'scripted', programKind: 'module', args: ['scripted', 'a'], backend: 'wasm', env: [['SECRET', 'value']] });
          late = () => {
            reporter.denied({ operation: 'open', target: '/x', reason: 'path-escape', error: 'EPERM' });
            reporter.output('stdout', new TextEncoder().encode('late'), { deadline: undefined, checkpoint: () => {} });
          };
          return outcome;
        },
      },
      trail,
    );
    const result = await run.result;
    late!();
    expect(result).toMatchObject({ stdout: '', denials: [] });
    expect(names(trail)).toEqual(['run.start', 'run.exit']);
    expect(trail[0]).toMatchObject({ policyDigest: 'digest', env: { SECRET: '[redacted]' } });
  });

  it('a run that cannot start has its refusal, then run.error, and no run.start', async () => {
    const trail: AuditEvent[] = [];
    const run = launch(
      {
        name: 'wasm',
        run: async ({ reporter }) => {
          reporter.denied({ operation: 'run-tool', target: 'scripted', reason: 'tool-not-allowed', error: 'policy' });
          throw new Error('no such program');
        },
      },
      trail,
    );
    await expect(run.result).rejects.toMatchObject({ kind: 'runtime' });
    expect(names(trail)).toEqual(['access.denied', 'run.error']);
  });

  it('counts refusals past the recorded ones as omitted', async () => {
    const trail: AuditEvent[] = [];
    const run = launch({ name: 'wasm', run: async () => ({ ...outcome, denialCount: 1500 }) }, trail);
    expect(await run.result).toMatchObject({ denials: [], denialsOmitted: 1500 });
    expect(trail.at(-1)).toMatchObject({ event: 'run.exit', denials: 1500 });
  });
});
