import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createSandbox } from '../src/node/index.js';
import { interleaved, type Contender, type Timing } from './interleaved.js';

/**
 * Start-up of the catalog's interpreters: `python3 -c pass` and `lua -e ''`,
 * warm (the program compiled once in this process, instantiated per run),
 * side by side with a native spawn of Debian's python3.11 and lua5.4.
 */
export async function toolStartup(options: { timeMs: number }): Promise<Timing[]> {
  const sandbox = createSandbox({});
  const goodbot = (program: string, args: string[]) => async () => {
    const result = await sandbox.exec({ program, args, collectOutput: true, outputEvents: false }).result;
    if (result.exitCode !== 0) throw new Error(`${program} exited ${result.exitCode}: ${result.stderr}`);
  };
  const native = (path: string, args: string[]) => () => {
    const status = spawnSync(path, args).status;
    if (status !== 0) throw new Error(`${path} exited ${status}`);
  };
  const contenders: Contender[] = [
    { name: 'goodbot: python3 -c pass, warm', run: goodbot('python3', ['-c', 'pass']) },
    { name: 'goodbot: lua -e "", warm', run: goodbot('lua', ['-e', '']) },
  ];
  if (existsSync('/usr/bin/python3.11')) {
    contenders.push({ name: 'native: Debian python3.11 -c pass', run: native('/usr/bin/python3.11', ['-c', 'pass']) });
  }
  if (existsSync('/usr/bin/lua5.4')) contenders.push({ name: 'native: Debian lua5.4 -e ""', run: native('/usr/bin/lua5.4', ['-e', '']) });
  return interleaved(contenders, { warmupRounds: 3, timeMs: options.timeMs, maxRounds: 2000 });
}
