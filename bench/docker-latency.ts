import { spawnSync } from 'node:child_process';
import { createSandbox } from '../src/node/index.js';
import { interleaved, type Timing } from './interleaved.js';

/**
 * What a run costs on each backend for a trivial tool (`true`): goodbot's
 * Docker backend (a fresh hardened container per run: create, attach, start,
 * wait, remove, through the engine's API), goodbot's WebAssembly backend
 * (BusyBox's `true`, warm), and a native spawn of /bin/true, side by side.
 */
export async function dockerLatency(options: { rounds: number }): Promise<Timing[]> {
  const container = createSandbox({ backend: 'docker' });
  const wasm = createSandbox({ backend: 'wasm' });
  const check = (backend: string) => async (sandbox: typeof container) => {
    const result = await sandbox.exec({ program: 'true' }).result;
    if (result.exitCode !== 0 || result.backend !== backend) throw new Error(`${backend} true: ${result.status} ${result.exitCode} ${result.stderr}`);
  };
  return interleaved(
    [
      { name: 'goodbot docker backend: true', run: () => check('docker')(container) },
      { name: 'goodbot wasm backend: true, warm', run: () => check('wasm')(wasm) },
      {
        name: 'native spawn of /bin/true',
        run: () => {
          if (spawnSync('/bin/true').status !== 0) throw new Error('/bin/true failed');
        },
      },
    ],
    { warmupRounds: 3, timeMs: Number.POSITIVE_INFINITY, maxRounds: options.rounds },
  );
}
