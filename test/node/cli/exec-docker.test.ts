import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import { repoRoot } from '../../helpers/guests.js';

/** `goodbot exec --backend=docker` as a user runs it. */
describe('goodbot exec --backend=docker', () => {
  it('on Ctrl-C stops and removes the container, and exits 124 (cancelled)', async () => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'dist', 'node', 'cli', 'main.js'), 'exec', '--backend=docker', '--json', '--', 'sleep', '60'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const engine = dockerEngine();
    const own = () => engine.listContainers({ all: true, filters: { label: [`goodbot.pid=${child.pid}`] } });
    for (let i = 0; i < 150 && (await own()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await own()).toHaveLength(1);
    const started = performance.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(124);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'cancelled', backend: 'docker' });
    expect(await own()).toEqual([]);
  });
});
