import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { createSandbox } from '../src/index.js';
import { interleaved, type Timing } from './interleaved.js';

/**
 * Latency of one run of a small tool: print a 4 KiB file from an input zone.
 * Contenders, side by side in one process: goodbot running a preview1 module
 * and a preview2 component (both warm: compiled once, instantiated per run),
 * node:wasi with its module cached (a peer that is not a sandbox), and a
 * native spawn of Debian's /bin/cat from Node.
 */
export async function execLatency(options: { timeMs: number; guestsDir: string }): Promise<Timing[]> {
  const zone = join(tmpdir(), 'goodbot-bench-input');
  mkdirSync(zone, { recursive: true });
  const file = join(zone, 'file.txt');
  writeFileSync(file, 'goodbot benchmark: a line of text!\n'.repeat(120).slice(0, 4096));

  const sandbox = createSandbox({ zones: [{ name: 'input', mode: 'ro', hostPath: zone }] });
  const catModule = join(options.guestsDir, 'cat.wasm');
  const catComponent = join(options.guestsDir, 'cat.component.wasm');
  const check = (output: string | Buffer) => {
    if (output.length !== 4096) throw new Error(`the benchmark tool printed ${output.length} bytes, not 4096`);
  };
  const goodbot = (program: string) => async () => {
    check((await sandbox.exec({ program, args: ['/input/file.txt'] }).result).stdout);
  };

  const compiled = new WebAssembly.Module(readFileSync(catModule));
  const devNull = openSync('/dev/null', 'w');
  const nodeWasi = () => {
    const wasi = new WASI({
      version: 'preview1',
      args: ['cat', '/input/file.txt'],
      preopens: { '/input': zone },
      returnOnExit: true,
      stdout: devNull,
    });
    const instance = new WebAssembly.Instance(compiled, wasi.getImportObject() as WebAssembly.Imports);
    if (wasi.start(instance) !== 0) throw new Error('the node:wasi run failed');
  };

  try {
    return await interleaved(
      [
        { name: 'goodbot: preview1 module, warm', run: goodbot(catModule) },
        { name: 'goodbot: preview2 component, warm', run: goodbot(catComponent) },
        { name: 'node:wasi (not a sandbox), module cached', run: nodeWasi },
        { name: 'native spawn of /bin/cat', run: () => check(spawnSync('/bin/cat', [file]).stdout) },
      ],
      { warmupRounds: 50, timeMs: options.timeMs, maxRounds: 20_000 },
    );
  } finally {
    closeSync(devNull);
  }
}
