import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import { WorkerPool } from '../../../src/node/index.js';

/** Container runs on the worker pool: the same results, and a timeout the container honours before the backstop. */
let pool: WorkerPool;

beforeAll(async () => {
  pool = new WorkerPool({ size: 2, graceMs: 300 });
  await pool.ready();
});

afterAll(() => pool.close());

describe('the worker pool with the Docker backend', () => {
  it('runs a container and returns its output and backend', async () => {
    const result = await pool.exec({ backend: 'docker', env: { set: { GREETING: 'hello' } } }, { program: 'printenv', args: ['GREETING'] }).result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: 'hello\n', backend: 'docker' });
  });

  it('lets a timed-out container be stopped and removed by its worker, not terminated with it', async () => {
    const run = pool.exec({ backend: 'docker', limits: { timeout: '1s' } }, { program: 'sh', args: ['-c', 'trap "" TERM; sleep 30'] });
    const result = await run.result;
    // SIGTERM is ignored, so SIGKILL comes after the grace period: still the worker's own stop, not the pool's backstop.
    expect(result.status).toBe('timeout');
    expect(result.limit?.message).not.toContain('worker was terminated');
    expect(await dockerEngine().listContainers({ all: true, filters: { label: [`goodbot.run=${run.id}`] } })).toEqual([]);
  });
});
