import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../src/node/index.js';
import { interleaved, type Contender, type Timing } from './interleaved.js';

/** The pipeline: the ten most frequent words of a 1 MiB file. */
const pipeline = 'sort words.txt | uniq -c | sort -rn | head';

/**
 * Command lines in goodbot's shell against `/bin/sh -c` spawning the
 * host's native tools, side by side in one process: a 4-stage pipeline
 * on 1 MiB of words, and `yes | head -1` (how soon a pipeline ends when
 * its reader does). goodbot runs warm: a sandbox whose tools are compiled.
 */
export async function shellPipeline(options: { timeMs: number }): Promise<{ pipeline: Timing[]; yesHead: Timing[] }> {
  const dir = join(tmpdir(), 'goodbot-bench-shell');
  mkdirSync(dir, { recursive: true });
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  let text = '';
  for (let i = 0; text.length < 1 << 20; i++) text += `${words[(i * 7 + (i >> 3)) % words.length]}${i % 97}\n`;
  writeFileSync(join(dir, 'words.txt'), text);
  const sandbox = createSandbox({ zones: [{ name: 'bench', mode: 'ro', hostPath: dir, guestPath: '/bench' }], cwd: '/bench' });
  const expected = spawnSync('/bin/sh', ['-c', pipeline], { cwd: dir, encoding: 'utf8' }).stdout;

  const goodbot =
    (line: string, check: (stdout: string) => boolean): Contender['run'] =>
    async () => {
      const result = await sandbox.exec({ program: 'sh', args: ['-c', line] }).result;
      if (!check(result.stdout)) throw new Error(`goodbot's ${line} gave ${JSON.stringify(result.stdout.slice(0, 200))} (${result.status})`);
    };
  const native =
    (line: string, check: (stdout: string) => boolean): Contender['run'] =>
    () => {
      const result = spawnSync('/bin/sh', ['-c', line], { cwd: dir, encoding: 'utf8' });
      if (!check(result.stdout)) throw new Error(`native ${line} gave ${JSON.stringify(result.stdout.slice(0, 200))}`);
    };
  const settings = { warmupRounds: 3, timeMs: options.timeMs, maxRounds: 2000 };
  const sameAsNative = (stdout: string) => stdout === expected;
  const oneY = (stdout: string) => stdout === 'y\n';
  return {
    pipeline: await interleaved(
      [
        { name: `goodbot sh -c '${pipeline}'`, run: goodbot(pipeline, sameAsNative) },
        { name: `native /bin/sh -c '${pipeline}'`, run: native(pipeline, sameAsNative) },
      ],
      settings,
    ),
    yesHead: await interleaved(
      [
        { name: "goodbot sh -c 'yes | head -1'", run: goodbot('yes | head -1', oneY) },
        { name: "native /bin/sh -c 'yes | head -1'", run: native('yes | head -1', oneY) },
      ],
      settings,
    ),
  };
}
