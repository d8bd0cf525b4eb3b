import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSandbox } from '../src/node/index.js';
import { findRecipe } from '../src/tools/catalog.js';
import { ToolStore } from '../src/node/tools/tool-store.js';
import { interleaved, type Contender, type Timing } from './interleaved.js';

/**
 * Start-up of the catalog's interpreters: `python3 -c pass` and `lua -e ''`,
 * warm (the program compiled once in this process, instantiated per run),
 * side by side with a native spawn of Debian's python3.11 and lua5.4.
 * python3 runs from its Wizer snapshot (the catalog's python3.wasm) and,
 * beside it, from scratch (python3-plain.wasm, the same interpreter). The
 * first run in a fresh process is timed inside a child Node process (from
 * `exec` to its result, Node's own start and goodbot's import not counted).
 */
export async function toolStartup(options: { timeMs: number; root: string }): Promise<Timing[]> {
  const build = new ToolStore().buildDir(findRecipe('python3')!);
  const stdlib = { name: 'stdlib', mode: 'ro' as const, hostPath: join(build, 'lib'), guestPath: '/usr/local/lib' };
  const plain = join(build, 'python3-plain.wasm');
  const sandbox = createSandbox({});
  const plainSandbox = createSandbox({ zones: [stdlib] });
  const goodbot =
    (program: string, args: string[], within = sandbox) =>
    async () => {
      const result = await within.exec({ program, args, argv0: program === plain ? 'python3' : program, collectOutput: true, outputEvents: false })
        .result;
      if (result.exitCode !== 0) throw new Error(`${program} exited ${result.exitCode}: ${result.stderr}`);
    };
  const native = (path: string, args: string[]) => () => {
    const status = spawnSync(path, args).status;
    if (status !== 0) throw new Error(`${path} exited ${status}`);
  };
  const library = pathToFileURL(join(options.root, 'dist', 'node', 'index.js')).href;
  const firstRun = (program: string, zones: unknown[]) => () => {
    const script = `import(${JSON.stringify(library)}).then(async ({ createSandbox }) => {
      const sandbox = createSandbox({ zones: ${JSON.stringify(zones)} });
      const started = performance.now();
      const result = await sandbox.exec({ program: ${JSON.stringify(program)}, argv0: 'python3', args: ['-c', 'pass'] }).result;
      if (result.exitCode !== 0) throw new Error(result.stderr);
      process.stdout.write(String(performance.now() - started));
    })`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`first run of ${program} failed: ${child.stderr}`);
    return Number(child.stdout);
  };
  const contenders: Contender[] = [
    { name: 'goodbot: python3 -c pass, warm', run: goodbot('python3', ['-c', 'pass']) },
    { name: 'goodbot: python3 -c pass, warm, from scratch (no snapshot)', run: goodbot(plain, ['-c', 'pass'], plainSandbox) },
    { name: 'goodbot: python3 -c pass, first run in a fresh process', run: firstRun('python3', []), everyRounds: 20 },
    {
      name: 'goodbot: python3 -c pass, first run in a fresh process, from scratch (no snapshot)',
      run: firstRun(plain, [stdlib]),
      everyRounds: 20,
    },
    { name: 'goodbot: lua -e "", warm', run: goodbot('lua', ['-e', '']) },
  ];
  if (existsSync('/usr/bin/python3.11')) {
    contenders.push({ name: 'native: Debian python3.11 -c pass', run: native('/usr/bin/python3.11', ['-c', 'pass']) });
  }
  if (existsSync('/usr/bin/lua5.4')) contenders.push({ name: 'native: Debian lua5.4 -e ""', run: native('/usr/bin/lua5.4', ['-e', '']) });
  return interleaved(contenders, { warmupRounds: 3, timeMs: options.timeMs, maxRounds: 2000 });
}
