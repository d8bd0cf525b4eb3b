import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../src/node/index.js';
import { findRecipe } from '../src/tools/catalog.js';
import { ToolStore } from '../src/node/tools/tool-store.js';
import { interleaved, type Contender, type Timing } from './interleaved.js';
import { leanSpawner, type LeanSpawner } from './lean-spawner.js';
import { nodeWasiRunner, type NodeWasiRunner } from './node-wasi-runner.js';
import { preview2ShimRunner } from './preview2-shim.js';

/** `docker run` costs about 300 ms, the others about 1: it runs every this many rounds. */
const dockerEvery = 25;

/**
 * Latency of one run of a small tool, side by side in one process, on two
 * workloads: print a 4 KiB file from an input zone (our cat guest), and
 * count the lines of a 1 MiB file (`wc -l`: BusyBox's from the catalog),
 * and sort 1 MiB of lines (`sort`, BusyBox's, against Debian's).
 * Contenders: goodbot (warm: compiled once, instantiated per run; the cat
 * also as a preview2 component), node:wasi with the module cached and
 * preview2-shim through jco (peers that are not sandboxes), a native spawn
 * of Debian's tool, and `docker run` of goodbot's tools image (when an
 * engine answers; the same tool, no hardening).
 */
export async function execLatency(options: { timeMs: number; guestsDir: string; dockerImage: string | undefined }): Promise<{
  cat: Timing[];
  lineCount: Timing[];
  sort: Timing[];
  bigCat: Timing[];
}> {
  const zone = join(tmpdir(), 'goodbot-bench-input');
  mkdirSync(zone, { recursive: true });
  const smallFile = join(zone, 'file.txt');
  writeFileSync(smallFile, 'goodbot benchmark: a line of text!\n'.repeat(120).slice(0, 4096));
  const bigFile = join(zone, 'lines.txt');
  const line = 'a line of a megabyte of text, for wc -l to count\n';
  const lines = Math.floor((1 << 20) / line.length);
  writeFileSync(bigFile, line.repeat(lines));
  const sortFile = join(zone, 'words.txt');
  const words = randomWordLines(1 << 20);
  writeFileSync(sortFile, words.join(''));
  const hugeFile = join(zone, 'huge.bin');
  writeFileSync(hugeFile, new Uint8Array(hugeBytes).fill(97));
  const spawner = leanSpawner();
  const nodeWasi = nodeWasiRunner();
  try {
    const cat = await catContenders({ ...options, zone, file: smallFile, spawner, nodeWasi });
    const wc = lineCountContenders({ ...options, zone, file: bigFile, lines, spawner, nodeWasi });
    const sort = await sortContenders({ ...options, zone, file: sortFile, spawner, nodeWasi }, words);
    const bigCat = bigCatContenders({ ...options, zone, file: hugeFile, spawner, nodeWasi });
    const settings = { warmupRounds: 50, timeMs: options.timeMs, maxRounds: 20_000 };
    return {
      cat: await interleaved(cat, settings),
      lineCount: await interleaved(wc, settings),
      sort: await interleaved(sort, { warmupRounds: 5, timeMs: options.timeMs / 2, maxRounds: 2000 }),
      bigCat: await interleaved(bigCat, { warmupRounds: 3, timeMs: options.timeMs / 2, maxRounds: 200 }),
    };
  } finally {
    spawner.close();
    nodeWasi.close();
    // A crash of node:wasi's process is Node's (see node-wasi-runner.ts), but it is said, not hidden.
    if (nodeWasi.crashes > 0) console.error(`[latency] node:wasi's process crashed ${nodeWasi.crashes} time(s); each run it was in was repeated`);
  }
}

interface Workload {
  /** Spawns the native contenders from a process of its own, so this one never forks between its in-process runs. */
  spawner: LeanSpawner;
  /** Runs the node:wasi contenders in a process of their own: Node's WASI crashes now and then (see node-wasi-runner.ts). */
  nodeWasi: NodeWasiRunner;
  guestsDir: string;
  dockerImage: string | undefined;
  zone: string;
  file: string;
}

async function catContenders(options: Workload): Promise<Contender[]> {
  const check = (output: string | Buffer) => {
    if (output.length !== 4096) throw new Error(`the benchmark tool printed ${output.length} bytes, not 4096`);
  };
  const sandbox = createSandbox({ zones: [{ name: 'input', mode: 'ro', hostPath: options.zone }] });
  const goodbot = (program: string) => async () => {
    check((await sandbox.exec({ program, args: ['/input/file.txt'] }).result).stdout);
  };
  const catModule = join(options.guestsDir, 'cat.wasm');
  const catComponent = join(options.guestsDir, 'cat.component.wasm');
  const shim = await preview2ShimRunner({
    component: catComponent,
    args: ['cat', '/input/file.txt'],
    preopens: { '/input': options.zone },
    outputFile: join(tmpdir(), 'goodbot-bench-shim-output.txt'),
    expectedBytes: 4096,
  });
  return [
    { name: 'goodbot: preview1 module, warm', run: goodbot(catModule) },
    { name: 'goodbot: preview2 component, warm', run: goodbot(catComponent) },
    { name: 'node:wasi (not a sandbox), module cached, file as stdin', run: nodeWasi(catModule, ['cat'], options) },
    { name: 'preview2-shim via jco (not a sandbox), component cached', run: shim },
    { name: 'native spawn of /bin/cat (from a lean process)', run: async () => check(await options.spawner.run('/bin/cat', [options.file])) },
    ...dockerRun(options, ['cat', '/input/file.txt'], check),
  ];
}

function lineCountContenders(options: Workload & { lines: number }): Contender[] {
  const expected = String(options.lines);
  const check = (output: string | Buffer) => {
    if (output.toString().trim().split(/\s+/)[0] !== expected) throw new Error(`wc -l printed ${JSON.stringify(output.toString())}, not ${expected}`);
  };
  const sandbox = createSandbox({ zones: [{ name: 'input', mode: 'ro', hostPath: options.zone }] });
  const store = new ToolStore();
  const busybox = join(store.buildDir(findRecipe('busybox')!), 'busybox.wasm');
  return [
    {
      name: 'goodbot: wc -l (BusyBox), warm',
      run: async () => check((await sandbox.exec({ program: 'wc', args: ['-l', '/input/lines.txt'] }).result).stdout),
    },
    {
      name: 'node:wasi (not a sandbox): BusyBox wc -l, module cached, file as stdin',
      run: nodeWasi(busybox, ['wc', '-l'], options, check),
    },
    {
      name: 'native spawn of /usr/bin/wc -l (from a lean process)',
      run: async () => check(await options.spawner.run('/usr/bin/wc', ['-l', options.file])),
    },
    ...dockerRun(options, ['wc', '-l', '/input/lines.txt'], check),
  ];
}

/** Lines of two random base-36 words each, SIZE bytes or a little more: what `sort` sorts. */
function randomWordLines(size: number): string[] {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff).toString(36);
  const lines: string[] = [];
  for (let bytes = 0; bytes < size;) {
    const line = `${next()} ${next()}\n`;
    lines.push(line);
    bytes += line.length;
  }
  return lines;
}

/**
 * `sort` of 1 MiB of such lines (ASCII: the same order in every locale),
 * output checked once against JavaScript's sort; then, timed, goodbot's to
 * a callback that counts it and the native one's to /dev/null (through the
 * lean process, 1 MiB of output would cost more to carry back than to sort).
 */
async function sortContenders(options: Workload, lines: readonly string[]): Promise<Contender[]> {
  const expected = [...lines].sort().join('');
  const sandbox = createSandbox({ zones: [{ name: 'input', mode: 'ro', hostPath: options.zone }] });
  const request = { program: 'sort', args: ['/input/words.txt'] };
  for (const output of [(await sandbox.exec(request).result).stdout, await options.spawner.run('/usr/bin/sort', [options.file])]) {
    if (output !== expected) throw new Error(`sort printed ${output.length} characters that are not the sorted lines`);
  }
  return [
    {
      name: 'goodbot: sort of 1 MiB (BusyBox), warm, output counted',
      run: async () => {
        let bytes = 0;
        const result = await sandbox.exec({ ...request, collectOutput: false, outputEvents: false, onStdout: (chunk) => (bytes += chunk.length) })
          .result;
        if (result.exitCode !== 0 || bytes !== expected.length) throw new Error(`sort: exit ${result.exitCode}, ${bytes} bytes`);
      },
    },
    {
      name: 'native spawn of /usr/bin/sort (from a lean process), output to /dev/null',
      run: async () => {
        await options.spawner.run('/usr/bin/sort', [options.file], true);
      },
    },
  ];
}

/** The size of the file `cat` streams in the I/O workload. */
export const hugeBytes = 100 * 1024 * 1024;

/**
 * I/O: BusyBox `cat` of a 100 MiB file from a read-only zone, its output
 * streamed to a callback that counts it (`onStdout`, nothing kept: a
 * 100 MiB string alone takes V8 about 0.3 s to make), against Debian's cat
 * writing to /dev/null.
 */
function bigCatContenders(options: Workload): Contender[] {
  const sandbox = createSandbox({ zones: [{ name: 'input', mode: 'ro', hostPath: options.zone }] });
  return [
    {
      name: 'goodbot: cat of 100 MiB (BusyBox), output streamed',
      run: async () => {
        let bytes = 0;
        const count = (chunk: Uint8Array) => void (bytes += chunk.length);
        await sandbox.exec({ program: 'cat', args: ['/input/huge.bin'], collectOutput: false, outputEvents: false, onStdout: count }).result;
        if (bytes !== hugeBytes) throw new Error(`cat streamed ${bytes} bytes, not ${hugeBytes}`);
      },
    },
    {
      name: 'native spawn of /bin/cat (from a lean process), output to /dev/null',
      run: () => options.spawner.run('/bin/cat', [options.file], true),
    },
  ];
}

/** node:wasi running MODULE on the workload's file as its stdin, in its own process (see node-wasi-runner.ts); its own timing. */
function nodeWasi(module: string, args: string[], options: Workload, check?: (output: string) => void): () => Promise<number> {
  return async () => {
    const { ms, stdout } = await options.nodeWasi.run(module, args, options.file, check !== undefined);
    check?.(stdout);
    return ms;
  };
}

/** `docker run --rm` of the tools image with the zone at /input, every `dockerEvery` rounds; none without an engine. */
function dockerRun(options: Workload, command: string[], check: (output: string) => void): Contender[] {
  const image = options.dockerImage;
  if (image === undefined) return [];
  return [
    {
      name: `docker run --rm ${command[0]} (same tool, no hardening)`,
      everyRounds: dockerEvery,
      run: async () =>
        check(await options.spawner.run('docker', ['run', '--rm', '--network', 'none', '-v', `${options.zone}:/input:ro`, image, ...command])),
    },
  ];
}
