import { execFileSync } from 'node:child_process';
import { closeSync, openSync, constants } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool, type AuditEvent, type RunResult } from '../../../src/node/index.js';
import { guest, probe, removeTree, tempDir } from '../../helpers/guests.js';

/** Guests on worker threads: in parallel, with terminate() as the backstop. */
let pool: WorkerPool;
const audit: AuditEvent[] = [];

beforeAll(async () => {
  pool = new WorkerPool({ size: 2, graceMs: 300, audit: { record: (event) => audit.push(event) } });
  await pool.ready();
});

afterAll(() => pool.close());

/** A FIFO nobody writes to, opened read-write so opening it does not block: reading it blocks forever. */
function silentFifo(): { fd: number; dispose(): void } {
  const dir = tempDir('goodbot-fifo-');
  const path = join(dir, 'never');
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR);
  return {
    fd,
    dispose: () => {
      closeSync(fd);
      removeTree(dir);
    },
  };
}

describe('the worker pool', () => {
  it('runs a guest and streams its output back as it is written', async () => {
    const chunks: string[] = [];
    const run = pool.exec({}, { program: probe(), args: ['count', '10'], onStdout: (chunk) => chunks.push(new TextDecoder().decode(chunk)) });
    const result = await run.result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'count: ok 45\n' });
    expect(chunks.join('')).toBe('count: ok 45\n');
    expect(audit.some((event) => event.event === 'run.exit' && event.runId === run.id)).toBe(true);
  });

  it('attack: a guest blocked forever reading stdin holds up neither the caller nor other runs, and is stopped at its deadline', async () => {
    const fifo = silentFifo();
    try {
      const blocked = pool.exec({ limits: { timeout: '300ms' } }, { program: probe(), args: ['cat'], stdin: { hostFd: fifo.fd } });
      let blockedEnded = false;
      void blocked.result.then(() => (blockedEnded = true));
      const other = await pool.exec({}, { program: probe(), args: ['count', '100'] }).result;
      expect(other.stdout).toBe('count: ok 4950\n');
      expect(blockedEnded).toBe(false);
      const result = await blocked.result;
      expect(result.status).toBe('timeout');
      expect(result.exitCode).toBe(124);
      // The host stdin is read without blocking: the run ends at its deadline, its worker kept.
      expect(result.limit?.message).toContain('(while reading stdin)');
    } finally {
      fifo.dispose();
    }
    // The pool still runs guests.
    expect((await pool.exec({}, { program: probe(), args: ['count', '3'] }).result).stdout).toBe('count: ok 3\n');
  });

  it('cancels a metered run gracefully, and an unmetered spinning one by terminating its worker', async () => {
    const metered = pool.exec({ limits: { timeout: '60s' } }, { program: probe(), args: ['spin'] });
    setTimeout(() => metered.cancel(), 100);
    const graceful = await metered.result;
    expect(graceful.status).toBe('cancelled');
    expect(graceful.limit?.message).toBe('the run was cancelled');

    const unmetered = pool.exec({}, { program: probe(), args: ['spin'] });
    setTimeout(() => unmetered.cancel(), 100);
    const forced = await unmetered.result;
    expect(forced.status).toBe('cancelled');
    expect(forced.limit?.message).toContain('its worker was terminated');
  });

  it('cancels a sleeping guest gracefully: its sleep ends within a slice, and its worker is kept', async () => {
    // Cancelled once the guest is under way (its first line), whatever the worker's start-up took.
    const sleeping = pool.exec({}, { program: probe(), args: ['count', '1', ';', 'sleep', '10000'], onStdout: () => sleeping.cancel() });
    const result = await sleeping.result;
    expect(result.status).toBe('cancelled');
    expect(result.limit?.message).toBe('the run was cancelled');
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('attack: of 8 runs, 4 misbehave; each gets its own status and the good ones their output', async () => {
    const policy = { limits: { timeout: '300ms', memory: '16MiB', maxOutput: '64KiB' } };
    const cases: [string[], string][] = [
      [['spin'], 'timeout'],
      [['count', '1000'], 'exited'],
      [['mallocbomb'], 'memory-limit'],
      [['count', '2000'], 'exited'],
      [['flood'], 'output-limit'],
      [['exit', '3'], 'exited'],
      [['sleep', '1000000'], 'timeout'],
      [['count', '3000'], 'exited'],
    ];
    const results: RunResult[] = await Promise.all(cases.map(([args]) => pool.exec(policy, { program: probe(), args }).result));
    expect(results.map((result) => result.status)).toEqual(cases.map(([, status]) => status));
    expect(results[1]!.stdout).toBe('count: ok 499500\n');
    expect(results[4]!.stdout.length).toBe(64 * 1024);
    expect(results[5]!.exitCode).toBe(3);
  });

  it('reports a run that cannot start as an error, like the in-thread sandbox', async () => {
    const error = await pool.exec({ tools: { allow: ['cat'] } }, { program: 'python3', args: ['-c', 'pass'] }).result.catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'policy', field: 'sandbox.tools.allow' });
  });
});

/**
 * The audit trail of each run is whole: one `run.start`, then its records,
 * then exactly one `run.exit` or `run.error`, last; a run cancelled while
 * queued too. Checked on runs the pool itself stops.
 */
describe("the worker pool's audit trail", () => {
  let small: WorkerPool;
  const trail: AuditEvent[] = [];
  const recordsOf = (runId: string) => trail.filter((event) => event.runId === runId).map((event) => event.event);

  beforeAll(async () => {
    small = new WorkerPool({ size: 1, graceMs: 200, audit: { record: (event) => trail.push(event) } });
    await small.ready();
  });

  afterAll(() => small.close());

  it('attack: a guest blocked on a stdin that never ends, past its deadline, still gets its run.exit (module and component)', async () => {
    const fifo = silentFifo();
    try {
      // A fresh worker takes a while to load a component: its deadline leaves room for that.
      for (const [program, kind, timeout] of [
        [probe(), 'module', '300ms'],
        [guest('probe.component.wasm'), 'component', '3s'],
      ] as const) {
        const run = small.exec({ limits: { timeout } }, { program, args: ['cat'], stdin: { hostFd: fifo.fd } });
        const result = await run.result;
        expect(result).toMatchObject({ status: 'timeout', exitCode: 124, program: { kind } });
        // The stdin read ends at the deadline itself; were it stuck, the pool's backstop would end the trail the same way.
        expect(result.limit?.message).toMatch(/while reading stdin|its worker was terminated/);
        expect(recordsOf(run.id)).toEqual(['run.start', 'limit.exceeded', 'run.exit']);
        expect(trail.find((event) => event.runId === run.id && event.event === 'run.exit')).toMatchObject({ status: 'timeout', exitCode: 124 });
      }
    } finally {
      fifo.dispose();
    }
  });

  it('attack: a run cancelled while queued gets a whole trail (run.start, limit.exceeded, run.exit), not a limit record without a start', async () => {
    const busy = small.exec({ limits: { timeout: '2s' } }, { program: probe(), args: ['sleep', '500'] });
    const queued = small.exec({}, { program: guest('probe.component.wasm'), args: ['count', '3'] });
    queued.cancel();
    const result = await queued.result;
    expect(result).toMatchObject({ status: 'cancelled', program: { kind: 'component' } });
    await busy.result;
    expect(recordsOf(queued.id)).toEqual(['run.start', 'limit.exceeded', 'run.exit']);
    expect(trail.find((event) => event.runId === queued.id && event.event === 'run.start')).toMatchObject({
      programKind: 'component',
      backend: 'wasm',
    });
    expect(trail.find((event) => event.runId === queued.id && event.event === 'run.exit')).toMatchObject({ status: 'cancelled', exitCode: 124 });
    expect(recordsOf(busy.id)).toEqual(['run.start', 'run.exit']);
  });

  it('attack: a spinning guest cancelled by terminating its worker ends its trail once, even if the worker says more', async () => {
    const run = small.exec({}, { program: probe(), args: ['spin'] });
    setTimeout(() => run.cancel(), 100);
    expect((await run.result).status).toBe('cancelled');
    // Give a terminated worker's last messages time to arrive: they must not add to the trail.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recordsOf(run.id)).toEqual(['run.start', 'limit.exceeded', 'run.exit']);
  });

  it('keeps every trail whole: run.start first, exactly one run.exit or run.error, last', () => {
    const runIds = new Set(trail.map((event) => event.runId));
    expect(runIds.size).toBeGreaterThan(3);
    for (const runId of runIds) {
      const records = recordsOf(runId);
      expect(records[0]).toBe('run.start');
      expect(records.filter((name) => name === 'run.exit' || name === 'run.error')).toHaveLength(1);
      expect(['run.exit', 'run.error']).toContain(records.at(-1));
    }
  });
});
