import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsImage } from './docker-image.js';
import { interleaved, type Timing } from './interleaved.js';

/**
 * Cold runs, as a user types them: one process per run, so each pays for
 * starting Node, loading goodbot, compiling (or the disk caches) and
 * instantiating (or, handed to a running `goodbot serve`, only for starting
 * Node and the hand-off). Print a 4 KiB file from an input zone with `goodbot exec`
 * on each backend (on the wasm one, the preview1 module and the preview2
 * component), against a native spawn of Debian's `cat` and `docker run`
 * of the same image without goodbot's hardening.
 */
export async function coldStart(options: { rounds: number; root: string }): Promise<Timing[]> {
  const zone = join(tmpdir(), 'goodbot-bench-cold');
  mkdirSync(zone, { recursive: true });
  writeFileSync(join(zone, 'file.txt'), 'x'.repeat(4095) + '\n');
  const cli = join(options.root, 'dist', 'node', 'cli', 'main.js');
  // The command line as tsc built it, without the bundle main.js starts: what the bundle saves, side by side.
  const unbundled = join(options.root, 'dist', 'node', 'cli', 'run-cli.js');
  const guest = join(options.root, '.cache', 'guests', 'cat.wasm');
  const component = join(options.root, '.cache', 'guests', 'cat.component.wasm');
  // stdin /dev/null; no hand-off to a goodbot serve but in its own row.
  const run =
    (command: string, args: string[], env: NodeJS.ProcessEnv = { ...process.env, GOODBOT_HANDOFF: 'off' }) =>
    () => {
      const result = spawnSync(command, args, { cwd: zone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
      if (result.status !== 0 || result.stdout.length !== 4096) {
        throw new Error(`${command} ${args.join(' ')}: exit ${result.status}, ${result.stdout.length} bytes: ${result.stderr}`);
      }
    };
  const nodeAlone = () => {
    if (spawnSync(process.execPath, ['-e', '0']).status !== 0) throw new Error('node -e 0 failed');
  };
  const image = toolsImage(options.root, zone);
  const docker =
    image === undefined
      ? []
      : [
          {
            name: 'goodbot exec, docker backend (cat)',
            run: run(process.execPath, [cli, 'exec', '--backend=docker', '--dir', '.::/input:ro', '--', 'cat', '/input/file.txt']),
          },
          {
            name: 'docker run --rm (same image, no hardening)',
            run: run('docker', ['run', '--rm', '-v', `${zone}:/input:ro`, image, 'cat', '/input/file.txt']),
          },
        ];
  const server = await startServer(cli, join(tmpdir(), 'goodbot-bench-state'));
  try {
    return await interleaved(
      [
        {
          name: 'goodbot exec, wasm backend (cat.wasm)',
          run: run(process.execPath, [cli, 'exec', '--dir', '.::/input:ro', '--', guest, '/input/file.txt']),
        },
        {
          name: 'goodbot exec, wasm backend (cat.wasm), modules as built (no bundle)',
          run: run(process.execPath, [unbundled, 'exec', '--dir', '.::/input:ro', '--', guest, '/input/file.txt']),
        },
        {
          name: 'goodbot exec, wasm backend (cat.wasm), handed to a running goodbot serve',
          run: run(process.execPath, [cli, 'exec', '--dir', '.::/input:ro', '--', guest, '/input/file.txt'], {
            ...process.env,
            GOODBOT_STATE_DIR: server.stateDir,
            GOODBOT_HANDOFF: 'on',
          }),
        },
        {
          name: 'goodbot exec, wasm backend (cat.component.wasm)',
          run: run(process.execPath, [cli, 'exec', '--dir', '.::/input:ro', '--', component, '/input/file.txt']),
        },
        ...docker,
        { name: 'native spawn of /bin/cat', run: run('/bin/cat', [join(zone, 'file.txt')]) },
        { name: 'node -e 0 (Node starting, nothing loaded)', run: nodeAlone },
      ],
      { warmupRounds: 2, timeMs: Number.POSITIVE_INFINITY, maxRounds: options.rounds },
    );
  } finally {
    server.child.kill('SIGTERM');
  }
}

/** `goodbot serve` taking `goodbot exec` runs (no MCP) with its state in STATE_DIR, once it says it listens. */
async function startServer(cli: string, stateDir: string): Promise<{ child: ChildProcess; stateDir: string }> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [cli, 'serve', '--workers', '1'], {
    env: { ...process.env, GOODBOT_STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let said = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('taking goodbot exec runs')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`goodbot serve exited ${code}: ${said}`)));
  });
  return { child, stateDir };
}
